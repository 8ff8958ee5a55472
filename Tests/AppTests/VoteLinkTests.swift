import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

let browser = ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")

extension LiveApp {
    func get(_ path: String, headers: [(String, String)] = [browser]) throws -> RawClient.Response {
        try RawClient.request(port: port, "GET", path, headers: headers)
    }

    func form(_ path: String, _ body: String, headers: [(String, String)] = [browser, ("Origin", "http://localhost")]) throws -> RawClient.Response {
        try RawClient.request(port: port, "POST", path, body: body, contentType: "application/x-www-form-urlencoded", headers: headers)
    }

    /// The follow-up form's action and token on a thank-you page.
    static func followup(in page: RawClient.Response) -> (action: String, token: String)? {
        let html = page.text
        guard let action = html.firstMatch(of: /action="(\/v1\/feedback\/\d+\/followup)"/)?.1,
              let token = html.firstMatch(of: /name="token" value="([^"]+)"/)?.1 else { return nil }
        return (String(action), String(token))
    }
}

@Suite struct VoteLinkTests {
    let page = "https%3A%2F%2Fdocs.example.com%2Fguide%2Fauth"

    @Test func voteLinkRecordsTheVoteAndAnswersAnAccessibleThankYouPage() throws {
        let live = try LiveApp()
        let response = try live.get("/v1/vote?page=\(page)&rating=down&source=guides&labels%5Bproduct%5D=api")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/html; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-store")
        #expect(response.header("X-Robots-Tag")?.contains("noindex") == true)
        #expect(response.header("Content-Security-Policy")?.contains("default-src 'none'") == true)
        // Regression: with `no-referrer`, browsers post the follow-up form with `Origin: null`, which is refused.
        #expect(response.header("Referrer-Policy") == "same-origin")
        let html = response.text
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains("role=\"status\""))
        #expect(html.contains("<legend>What went wrong? (optional)</legend>"))
        #expect(html.contains("value=\"outdated\""))
        #expect(!html.contains("value=\"good-examples\""), "only reasons that fit a down vote")
        #expect(!html.contains("src=") && !html.contains("<link"), "no external assets")
        let row = try live.app.store.readNow { db in
            try db.first("SELECT page_key, rating, source, labels FROM feedback") { [$0.string(0), $0.string(1), $0.string(2), $0.string(3)] }
        }
        #expect(row == ["https://docs.example.com/guide/auth", "down", "guides", #"{"product":"api"}"#])
    }

    @Test func followUpFormAddsReasonAndCommentToTheSameRecordOnce() throws {
        let live = try LiveApp()
        let thanks = try live.get("/v1/vote?page=\(page)&rating=down")
        let form = try #require(LiveApp.followup(in: thanks))
        let token = form.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let added = try live.form(form.action, "token=\(token)&reason=outdated&comment=The+token+example+is+stale&website=")
        #expect(added.status == 200)
        #expect(added.text.contains("added to your feedback"))
        #expect(try live.count() == 1)
        let row = try live.app.store.readNow { db in
            try db.first("SELECT reason, comment, followed_up_at IS NOT NULL FROM feedback") { ($0.string(0), $0.string(1), $0.int(2)) }
        }
        #expect(row?.0 == "outdated")
        #expect(row?.1 == "The token example is stale")
        #expect(row?.2 == 1)
        // Rollups follow the change: the reason is counted, the comment too.
        #expect(try live.count("SELECT sum(down) FROM rollup_reason_daily WHERE reason = 'outdated'") == 1)
        #expect(try live.count("SELECT count(*) FROM rollup_reason_daily WHERE reason = '' AND (up + down) > 0") == 0)
        #expect(try live.count("SELECT sum(comments) FROM rollup_page_total") == 1)
        // One-time: a second use is refused and changes nothing.
        let again = try live.form(form.action, "token=\(token)&comment=second")
        #expect(again.status == 409)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE comment = 'second'") == 0)
    }

    @Test func followUpTokensAreBoundToTheirRecordAndExpire() throws {
        let live = try LiveApp()
        let first = try #require(LiveApp.followup(in: try live.get("/v1/vote?page=\(page)&rating=down")))
        let second = try #require(LiveApp.followup(in: try live.get("/v1/vote?page=\(page)-2&rating=up")))
        #expect(first.action != second.action)
        // Another record's token does not open this one.
        let crossed = try RawClient.request(port: live.port, "POST", first.action, body: #"{"token":"\#(second.token)","comment":"x"}"#)
        #expect(crossed.status == 403)
        #expect(errorField(crossed).code == "invalid_token")
        let forged = try live.form(first.action, "token=1999999999.AAAA&comment=x")
        #expect(forged.status == 403)
        let missing = try RawClient.request(port: live.port, "POST", "/v1/feedback/999/followup", body: #"{"token":"\#(second.token)","comment":"x"}"#)
        #expect(missing.status == 403, "a token only ever matches its own id")
        // Expiry: a token issued for a vote received long ago is refused with 410.
        let id = try #require(Int64(first.action.split(separator: "/")[2]))
        let old = live.app.store.followups.issue(id: id, receivedAt: Timestamp.nowMilliseconds() - 2 * live.app.store.followups.lifetime)
        let expired = try RawClient.request(port: live.port, "POST", first.action, body: #"{"token":"\#(old)","comment":"late"}"#)
        #expect(expired.status == 410)
        #expect(errorField(expired).code == "followup_expired")
        #expect(try live.count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL") == 0)
    }

    @Test func redirectGoesOnlyToAllowedHostsAndRefusesOthersWithoutRecording() throws {
        let live = try LiveApp {
            $0.allowedOrigins = ["https://docs.example.com"]
            $0.publicSide.redirectHosts = ["developer.example.org"]
        }
        let back = try live.get("/v1/vote?page=\(page)&rating=up&redirect=https%3A%2F%2Fdocs.example.com%2Fguide%2Fauth%23feedback")
        #expect(back.status == 303)
        #expect(back.header("Location") == "https://docs.example.com/guide/auth#feedback")
        #expect(back.header("Cache-Control") == "no-store")
        let listed = try live.get("/v1/vote?page=\(page)&rating=down&redirect=https%3A%2F%2Fdeveloper.example.org%2F")
        #expect(listed.status == 303)
        #expect(try live.count() == 2)
        for target in ["https://evil.example/", "https://docs.example.com@evil.example/", "//evil.example/", "javascript:alert(1)",
                       "https://docs.example.com.evil.example/", "https://evil.example\\@docs.example.com/"] {
            let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let refused = try live.get("/v1/vote?page=\(page)&rating=up&redirect=\(encoded)")
            #expect(refused.status == 400, "\(target)")
            #expect(refused.header("Location") == nil)
        }
        #expect(try live.count() == 2)
    }

    @Test func crawlersAndLinkPreviewsSeeThePageButAreNotCounted() throws {
        let live = try LiveApp()
        for agent in ["Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Mozilla/5.0 (compatible; Googlebot/2.1)",
                      "facebookexternalhit/1.1", "Twitterbot/1.0", "Mozilla/5.0 (compatible; Discordbot/2.0)", ""] {
            let response = try live.get("/v1/vote?page=\(page)&rating=up", headers: agent.isEmpty ? [] : [("User-Agent", agent)])
            #expect(response.status == 200)
            #expect(response.header("X-Robots-Tag")?.contains("noindex") == true)
        }
        #expect(try live.count() == 0)
        live.app.store.maintain()
        let drops = try live.app.store.readNow { try live.app.store.drops.counts(sinceDay: 0, connection: $0) }
        #expect(drops.first { $0.reason == "crawler" }?.count == 6)
    }

    @Test func votePreflightFollowsTheOriginAllowList() throws {
        let live = try LiveApp { $0.allowedOrigins = ["https://docs.example.com"] }
        let allowed = try RawClient.request(port: live.port, "OPTIONS", "/v1/vote", headers: [
            ("Origin", "https://docs.example.com"), ("Access-Control-Request-Method", "POST")])
        #expect(allowed.status == 204)
        #expect(allowed.header("Access-Control-Allow-Origin") == "https://docs.example.com")
        let refused = try RawClient.request(port: live.port, "OPTIONS", "/v1/vote", headers: [
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST")])
        #expect(refused.status == 403)
    }

    @Test func headRequestsFromLinkCheckersDoNotVote() throws {
        let live = try LiveApp()
        let head = try RawClient.request(port: live.port, "HEAD", "/v1/vote?page=\(page)&rating=up", headers: [browser])
        #expect(head.status == 200)
        #expect(try live.count() == 0)
    }

    @Test func crawlerListIsConfigurable() throws {
        let live = try LiveApp { $0.publicSide.crawlerAgents = ["docs-link-checker"] }
        #expect(try live.get("/v1/vote?page=\(page)&rating=up", headers: [("User-Agent", "docs-link-checker/2")]).status == 200)
        #expect(try live.count() == 0)
        #expect(try live.get("/v1/vote?page=\(page)&rating=up", headers: [("User-Agent", "Slackbot 1.0")]).status == 200)
        #expect(try live.count() == 1, "the built-in list was replaced")
    }

    @Test func confirmModeShowsAButtonAndOnlyThePostRecords() throws {
        let live = try LiveApp { $0.publicSide.voteLinks = .confirm }
        let shown = try live.get("/v1/vote?page=\(page)&rating=down&labels%5Bproduct%5D=api")
        #expect(shown.status == 200)
        #expect(shown.text.contains("<form method=\"post\" action=\"/v1/vote\">"))
        #expect(shown.text.contains("name=\"labels[product]\" value=\"api\""))
        #expect(try live.count() == 0)
        let posted = try live.form("/v1/vote", "page=\(page)&rating=down&labels%5Bproduct%5D=api&website=")
        #expect(posted.status == 200)
        #expect(LiveApp.followup(in: posted) != nil)
        #expect(try live.count("SELECT count(*) FROM feedback_labels WHERE key = 'product' AND value = 'api'") == 1)
    }

    @Test func hostileInputIsEscapedInEveryField() throws {
        let live = try LiveApp { $0.publicSide.voteLinks = .confirm }
        let hostile = "\"><script>alert(1)</script><img src=x onerror=alert(2)>'"
        let encoded = hostile.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let confirm = try live.get("/v1/vote?page=https%3A%2F%2Fdocs.example.com%2F\(encoded)&rating=up&source=\(encoded)&labels%5B\(encoded)%5D=\(encoded)&comment=\(encoded)")
        #expect(confirm.status == 200)
        #expect(!confirm.text.contains("<script>"))
        #expect(!confirm.text.contains("<img"))
        #expect(confirm.text.contains("&lt;script&gt;"))
        let recordMode = try LiveApp()
        let thanks = try recordMode.get("/v1/vote?page=https%3A%2F%2Fdocs.example.com%2Fa%3Fq%3D'x'%26y%3D1&rating=down")
        #expect(thanks.status == 200)
        #expect(thanks.text.contains("https://docs.example.com/a?q=&#39;x&#39;&amp;y=1"))
        let invalid = try recordMode.get("/v1/vote?page=\(encoded)&rating=\(encoded)")
        #expect(invalid.status == 400)
        #expect(!invalid.text.contains("<script>") && invalid.header("Content-Type")?.hasPrefix("text/html") == true)
        // /embed writes this server's URL, taken from the Host header, into its page and snippets: a hostile
        // Host comes back escaped. The HTTP parser already refuses <, > and " in Host (400), so this one
        // uses what it lets through: a quote to leave an attribute, and an ampersand.
        // (RawClient.request sends its own Host, so this request is written out.)
        let hostileHost = "evil.example'onmouseover=alert(1)&amp;"
        let client = try RawClient(port: recordMode.port)
        try client.send("GET /embed HTTP/1.1\r\nHost: \(hostileHost)\r\nUser-Agent: \(browser.1)\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n")
        let embed = try client.readResponse()
        #expect(embed.status == 200)
        #expect(!embed.text.contains("'onmouseover") && !embed.text.contains("alert(1)&amp;/"))
        #expect(embed.text.contains("http://evil.example&#39;onmouseover=alert(1)&amp;amp;/widget.js"), "the hostile host is shown, escaped")
    }

    @Test func brokenLinksGetAClearPageAndNothingIsStored() throws {
        let live = try LiveApp()
        let noRating = try live.get("/v1/vote?page=\(page)")
        #expect(noRating.status == 400)
        #expect(noRating.text.contains("rating is required"))
        let badEncoding = try live.get("/v1/vote?page=%ZZ&rating=up")
        #expect(badEncoding.status == 400)
        #expect(try live.count() == 0)
    }
}
