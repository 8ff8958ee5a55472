import Foundation
import Testing
import TestSupport
@testable import App
import HTTP

@Suite struct WidgetTests {
    @Test func widgetScriptIsSmallCachedAndCarriesTheConfiguredReasons() throws {
        let live = try LiveApp { $0.rules.reasons = ["solved-my-problem", "outdated", "typo"] }
        let script = try live.get("/widget.js")
        #expect(script.status == 200)
        #expect(script.header("Content-Type") == "text/javascript; charset=utf-8")
        #expect(script.body.count < 10 * 1024)
        #expect(script.header("Cache-Control")?.contains("max-age") == true)
        let etag = try #require(script.header("ETag"))
        let js = script.text
        #expect(js.contains(#"["outdated","Outdated"]"#))
        #expect(js.contains(#"["typo","Typo"]"#))
        #expect(!js.contains("__HEARKEN_CONFIG__"))
        // Strict-CSP friendly: no eval, no string timers, no innerHTML, no inline style attributes, no storage.
        for banned in ["eval(", "new Function", "innerHTML", "document.write", "localStorage", "sessionStorage", "document.cookie", ".style."] {
            #expect(!js.contains(banned), "\(banned)")
        }
        let cached = try live.get("/widget.js", headers: [("If-None-Match", etag)])
        #expect(cached.status == 304)
        #expect(cached.body.isEmpty)
        #expect(cached.header("ETag") == etag)
        #expect(try live.get("/widget.js", headers: [("If-None-Match", "\"other\"")]).status == 200)
    }

    @Test func embedPageFillsSnippetsWithThisServersURL() throws {
        let live = try LiveApp()
        let page = try live.get("/embed")
        #expect(page.status == 200)
        #expect(page.text.contains("&lt;script src=&quot;http://localhost/widget.js&quot; async&gt;&lt;/script&gt;"))
        #expect(page.text.contains("http://localhost/v1/vote?page="))
        #expect(page.text.contains("MkDocs") && page.text.contains("Docusaurus"))
        let configured = try LiveApp { $0.publicSide.publicURL = "https://feedback.example.com" }
        #expect(try configured.get("/embed").text.contains("https://feedback.example.com/widget.js"))
    }

    @Test func forwardedProtoCountsOnlyFromTrustedProxies() throws {
        let untrusted = try LiveApp()
        #expect(try untrusted.get("/embed", headers: [("X-Forwarded-Proto", "https")]).text.contains("http://localhost/widget.js"))
        let trusted = try LiveApp { $0.publicSide.trustedProxies = ["127.0.0.0/8"].compactMap { CIDR($0) } }
        #expect(try trusted.get("/embed", headers: [("X-Forwarded-Proto", "https")]).text.contains("https://localhost/widget.js"))
    }

    @Test func followUpAcceptsJSONFromAllowedOriginsWithCORS() throws {
        let live = try LiveApp { $0.allowedOrigins = ["https://docs.example.com"] }
        let origin = ("Origin", "https://docs.example.com")
        let vote = try live.post(#"{"page":"/a","rating":"down"}"#, headers: [origin])
        let url = try #require(vote.json?["followup_url"] as? String), token = try #require(vote.json?["followup_token"] as? String)
        let preflight = try RawClient.request(port: live.port, "OPTIONS", url, headers: [origin, ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "https://docs.example.com")
        let refused = try RawClient.request(port: live.port, "POST", url, body: #"{"token":"\#(token)","comment":"x"}"#, headers: [("Origin", "https://evil.example")])
        #expect(refused.status == 403)
        let added = try RawClient.request(port: live.port, "POST", url, body: #"{"token":"\#(token)","reason":"outdated","comment":"v1 only"}"#, headers: [origin])
        #expect(added.status == 200)
        #expect(added.header("Access-Control-Allow-Origin") == "https://docs.example.com")
        let empty = try RawClient.request(port: live.port, "POST", url, body: #"{"token":"\#(token)"}"#, headers: [origin])
        #expect(empty.status == 400)
        let badReason = try RawClient.request(port: live.port, "POST", url, body: #"{"token":"\#(token)","reason":"nope"}"#, headers: [origin])
        #expect(errorField(badReason).field == "reason")
    }
}
