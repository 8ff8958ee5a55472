import Feedback
import HTTP

/// The frame every dashboard page shares (navigation, sign-out form, stylesheet) and its headers.
enum DashboardPage {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    enum Section: String, CaseIterable {
        case overview = "/dashboard", pages = "/dashboard/pages", inbox = "/dashboard/inbox", tokens = "/dashboard/tokens"
        var title: String {
            switch self {
            case .overview: "Overview"
            case .pages: "Pages"
            case .inbox: "Inbox"
            case .tokens: "Tokens"
            }
        }
    }

    /// Adds the headers every dashboard answer carries; `private` ones (with data) are never cached.
    static func secure(_ response: inout Response, cacheable: Bool = false) {
        response.headers.add("Content-Security-Policy", contentSecurityPolicy)
        response.headers.add("X-Content-Type-Options", "nosniff")
        response.headers.add("Referrer-Policy", "same-origin")
        response.headers.add("X-Frame-Options", "DENY")
        if !cacheable { response.headers.add("Cache-Control", "no-store") }
    }

    /// A whole page. `body` is HTML already escaped by its builder.
    static func render(_ status: HTTPStatus = .ok, title: String, current: Section?, session: DashboardSession?, body: String,
                       headers: [(String, String)] = []) -> Response {
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <title>\(h(title)) · Hearken</title>
            <link rel="stylesheet" href="\(DashboardAssets.cssPath)">
            <link rel="icon" href="data:,">
            </head>
            <body>
            <header class="top">
            <a class="brand" href="/">Hearken</a>

            """
        if let session {
            html += "<nav aria-label=\"Dashboard\"><ul>"
            for section in Section.allCases where section != .tokens || session.scope >= .admin {
                let marker = section == current ? " aria-current=\"page\"" : ""
                html += "<li><a href=\"\(section.rawValue)\"\(marker)>\(section.title)</a></li>"
            }
            html += "</ul></nav>"
            html += "<form class=\"inline\" method=\"post\" action=\"/logout\">\(csrfField(session))"
            html += "<span class=\"muted\">\(h(session.tokenName)) (\(session.scope.rawValue))</span> <button type=\"submit\" class=\"link\">Sign out</button></form>"
        }
        html += "\n</header>\n<main>\n\(body)\n</main>\n</body>\n</html>\n"
        var response = Response(status: status, contentType: "text/html; charset=utf-8", body: html.utf8)
        for (name, value) in headers { response.headers.add(name, value) }
        secure(&response)
        return response
    }

    /// A page with a heading and a message, for refusals and errors.
    static func message(_ status: HTTPStatus, title: String, text: String, session: DashboardSession?) -> Response {
        render(status, title: title, current: nil, session: session,
               body: "<h1>\(h(title))</h1>\n<p class=\"notice\" role=\"alert\">\(h(text))</p>\n<p><a href=\"/dashboard\">Back to the overview</a></p>")
    }

    static func csrfField(_ session: DashboardSession) -> String {
        "<input type=\"hidden\" name=\"csrf\" value=\"\(h(session.csrf))\">"
    }

    static func see(_ location: String, headers: [(String, String)] = []) -> Response {
        var response = Response(status: .seeOther)
        response.headers.add("Location", location)
        for (name, value) in headers { response.headers.add(name, value) }
        secure(&response)
        return response
    }
}

/// HTML-escapes text for element content and quoted attribute values.
func h(_ text: String) -> String { HTMLPage.escape(text) }

/// A query string from (name, value) pairs, percent-encoded, for links between dashboard pages.
enum QueryString {
    static func make(_ pairs: [(String, String?)]) -> String {
        let present = pairs.compactMap { pair in pair.1.map { (pair.0, $0) } }.filter { !$0.1.isEmpty }
        guard !present.isEmpty else { return "" }
        return "?" + present.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }

    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"), UInt8(ascii: "/"), UInt8(ascii: ":"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}
