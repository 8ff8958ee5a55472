import Foundation
import TestSupport
@testable import App
@testable import Feedback

/// A browser's view of the dashboard: its session cookie, sent on every request.
struct Browser {
    let live: LiveApp
    var cookie: String?

    init(_ live: LiveApp) { self.live = live }

    /// Signs in with a token through the form; the cookie comes from `Set-Cookie`.
    static func signedIn(_ live: LiveApp, token: String) throws -> Browser {
        var browser = Browser(live)
        let answer = try browser.post("/login", ["token": token, "next": "/dashboard"])
        guard answer.status == 303, let set = answer.header("Set-Cookie") else {
            throw DashboardTestError("sign-in failed: \(answer.status)")
        }
        browser.cookie = String(set.split(separator: ";")[0])
        return browser
    }

    func get(_ path: String, headers: [(String, String)] = []) throws -> RawClient.Response {
        try RawClient.request(port: live.port, "GET", path, headers: headers + (cookie.map { [("Cookie", $0)] } ?? []))
    }

    /// A form post, from this server's own origin unless `headers` say otherwise.
    func post(_ path: String, _ fields: KeyValuePairs<String, String>, headers: [(String, String)] = [("Origin", "http://localhost")]) throws -> RawClient.Response {
        let body = fields.map { QueryString.encode($0.key) + "=" + QueryString.encode($0.value) }.joined(separator: "&")
        return try RawClient.request(port: live.port, "POST", path, body: body, contentType: "application/x-www-form-urlencoded",
                                     headers: headers + (cookie.map { [("Cookie", $0)] } ?? []))
    }

    /// The CSRF token of the signed-in page at `path`.
    func csrf(from path: String = "/dashboard/inbox") throws -> String {
        let page = try get(path).text
        guard let range = page.range(of: #"name="csrf" value="([0-9a-f]{64})""#, options: .regularExpression) else {
            throw DashboardTestError("no CSRF field on \(path)")
        }
        return String(page[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
    }
}

struct DashboardTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
