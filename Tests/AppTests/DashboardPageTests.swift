import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import TestSupport
import HTTP
@testable import App
@testable import Feedback

/// The dashboard's pages and forms over real sockets: triage, CSRF and origin checks, scopes,
/// hostile input on every page, the SVG format of the API and the stylesheet.
@Suite struct DashboardPageTests {
    static let pages = ["/dashboard", "/dashboard?period=7", "/dashboard?period=90&bucket=week", "/dashboard?since=2026-01-01&until=2026-02-01",
                        "/dashboard/pages", "/dashboard/pages?sort=votes&prefix=/guides", "/dashboard/inbox", "/dashboard/inbox?status=new&rating=down&q=tokens",
                        "/dashboard/page?page=/guides/auth", "/dashboard/page?page=/never-voted", "/dashboard/tokens"]

    func status(_ live: LiveApp, _ id: Int64) throws -> String {
        try live.app.store.readNow { try $0.first("SELECT status FROM feedback WHERE id = ?", [id]) { $0.string(0) } } ?? ""
    }

    @Test func everyPageRendersWithItsChartsAndStaysSmall() throws {
        let live = try LiveApp()
        _ = try live.insertMix(count: 300)
        let browser = try Browser.signedIn(live, token: try live.token(.admin))
        for path in Self.pages {
            let page = try browser.get(path)
            #expect(page.status == 200, "\(path): \(page.status)")
            #expect(page.body.count < 200_000, "\(path)")
            #expect(page.header("Content-Security-Policy") == DashboardPage.contentSecurityPolicy)
            #expect(!page.text.contains("style=\"") && !page.text.contains("<style") && !page.text.contains("<script"), "\(path)")
        }
        let overview = try browser.get("/dashboard").text
        #expect(overview.contains("<svg") && overview.contains("<title id=\"helpfulness-t\">") && overview.contains("<table>"))
        #expect(overview.contains("Pages failing readers") && overview.contains("class=\"spark\""))
        let empty = try browser.get("/dashboard/page?page=/never-voted").text
        #expect(empty.contains("No votes in this period"))
        #expect(try browser.get("/dashboard?period=12").status == 400)
        #expect(try browser.get("/dashboard?unknown=1").status == 400)
    }

    /// The overview shows what the last scheduled evaluation found (its open episodes), escaped.
    @Test func overviewShowsTheLastEvaluationsFindings() throws {
        // No scheduled evaluation during the test: the episode written below stays open.
        let live = try LiveApp { $0.alerts.firstEvaluationDelay = 3600; $0.alerts.insightInterval = 3600 }
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        #expect(try browser.get("/dashboard").text.contains("No page changed significantly at the last evaluation"))
        let finding = Finding(kind: .helpfulnessDrop, page: "/guides/<b>broken", onset: "2026-11-20",
                              summary: "helpfulness fell from 90% (60 votes) to 20% (40 votes) since 2026-11-20; q = 1e-09", p: 1e-10, q: 1e-9)
        _ = try live.app.store.writeNow { try Episodes.apply([finding], now: Timestamp.nowMilliseconds(), connection: $0) { _ in } }
        let overview = try browser.get("/dashboard").text
        #expect(overview.contains("helpfulness fell from 90% (60 votes) to 20% (40 votes) since 2026-11-20"))
        #expect(overview.contains("/guides/&lt;b&gt;broken") && !overview.contains("<b>broken"))
    }

    @Test func triageFromTheInboxNeedsCSRFSameOriginAndScope() throws {
        let live = try LiveApp()
        let rows = try live.insertMix(count: 40)
        let commented = rows.filter { $0.comment != nil }.map(\.id)
        let first = try #require(commented.first)
        let triager = try Browser.signedIn(live, token: try live.token(.triage))
        let csrf = try triager.csrf()
        let inbox = try triager.get("/dashboard/inbox").text
        #expect(inbox.contains("id=\"bulk\"") && inbox.contains("class=\"edit\""))

        #expect(try triager.post("/dashboard/inbox/triage", ["id": String(first), "status": "resolved"]).status == 403)
        #expect(try triager.post("/dashboard/inbox/triage", ["csrf": String(csrf.reversed()), "id": String(first), "status": "resolved"]).status == 403)
        #expect(try triager.post("/dashboard/inbox/triage", ["csrf": csrf, "id": String(first), "status": "resolved"],
                                 headers: [("Origin", "https://evil.example")]).status == 403)
        #expect(try triager.post("/dashboard/inbox/triage", ["csrf": csrf, "id": String(first), "status": "resolved"],
                                 headers: [("Sec-Fetch-Site", "cross-site")]).status == 403)
        #expect(try status(live, first) == "new")

        let saved = try triager.post("/dashboard/inbox/triage", ["csrf": csrf, "id": String(first), "edit": "1", "status": "triaged",
                                                                  "note": "version switcher", "tags": "versions, docs", "issue_url": "https://github.com/acme/docs/issues/42",
                                                                  "back": "/dashboard/inbox?status=new"])
        #expect(saved.status == 303)
        #expect(saved.header("Location") == "/dashboard/inbox?status=new&done=1")
        let record = try #require(try live.app.store.readNow { try FeedbackQueries.get(first, connection: $0) })
        #expect(record.status == "triaged" && record.note == "version switcher" && record.tags == ["docs", "versions"])
        #expect(record.issueURL == "https://github.com/acme/docs/issues/42")
        #expect(try triager.post("/dashboard/inbox/triage", ["csrf": csrf, "id": String(first), "edit": "1", "issue_url": "javascript:alert(1)"]).status == 400)

        // Bulk: several at once, status only.
        let bulk = Array(commented.dropFirst().prefix(3))
        var body = "csrf=\(csrf)&status=spam"
        for id in bulk { body += "&id=\(id)" }
        let answer = try RawClient.request(port: live.port, "POST", "/dashboard/inbox/triage", body: body, contentType: "application/x-www-form-urlencoded",
                                           headers: [("Cookie", triager.cookie ?? ""), ("Sec-Fetch-Site", "same-origin")])
        #expect(answer.status == 303)
        for id in bulk { #expect(try status(live, id) == "spam") }

        // A read token sees no edit controls, and the server refuses its edits.
        let reader = try Browser.signedIn(live, token: try live.token(.read))
        let readInbox = try reader.get("/dashboard/inbox").text
        #expect(!readInbox.contains("id=\"bulk\"") && !readInbox.contains("class=\"edit\""))
        let refused = try reader.post("/dashboard/inbox/triage", ["csrf": try reader.csrf(from: "/dashboard"), "id": String(first), "status": "new"])
        #expect(refused.status == 403)
        #expect(try status(live, first) == "triaged")
    }

    @Test func tokensAreCreatedOnceAndOnlyByAdmins() throws {
        let live = try LiveApp()
        let admin = try Browser.signedIn(live, token: try live.token(.admin))
        let csrf = try admin.csrf(from: "/dashboard/tokens")
        let created = try admin.post("/dashboard/tokens", ["csrf": csrf, "name": "ci", "scope": "read"])
        #expect(created.status == 200)
        #expect(created.header("Cache-Control") == "no-store")
        let secret = try #require(created.text.range(of: #"hk_[A-Za-z0-9_-]{43}"#, options: .regularExpression).map { String(created.text[$0]) })
        #expect(try live.get("/v1/stats/summary", token: secret).status == 200)
        #expect(!(try admin.get("/dashboard/tokens").text.contains(secret)))
        #expect(try admin.post("/dashboard/tokens", ["csrf": csrf, "name": "ci", "scope": "read"]).status == 409)
        let triager = try Browser.signedIn(live, token: try live.token(.triage))
        #expect(try triager.post("/dashboard/tokens", ["csrf": try triager.csrf(from: "/dashboard"), "name": "x", "scope": "admin"]).status == 403)
        #expect(!(try live.app.store.readNow { try Tokens.list(connection: $0) }.contains { $0.name == "x" }))
    }

    @Test func hostileInputNeverExecutes() throws {
        let live = try LiveApp()
        let payloads = ["<script>alert(1)</script>", "\"><svg onload=alert(1)>", "</title><script>alert(2)</script>", "javascript:alert(3)",
                        "'><img src=x onerror=alert(4)>", String(repeating: "W", count: 5000)]
        let now = Timestamp.nowMilliseconds()
        var rows: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)] = []
        for (index, payload) in payloads.enumerated() {
            rows.append(("/p/" + payload, .down, payload, payload + " mail me at a@b.co", payload, payload, now - Int64(index) * 3_600_000))
            rows.append(("javascript:alert(\(index))//" + payload, .up, payload, payload, "docs", payload, now - Int64(index) * 3_600_000))
        }
        let seeded = try live.insert(rows)
        try live.app.store.writeNow { db in
            for (row, payload) in zip(seeded, payloads + payloads) {
                try db.run("UPDATE feedback SET note = ?, tags = ?, issue_url = ?, user_agent = ? WHERE id = ?",
                           [payload, "[\(JSONText.quoted(payload))]", "javascript:alert('\(payload)')", payload, row.id])
            }
        }
        let admin = try live.token(.admin)
        let browser = try Browser.signedIn(live, token: admin)
        var paths = Self.pages + ["/dashboard/inbox?q=" + QueryString.encode(payloads[0]), "/dashboard/pages?prefix=" + QueryString.encode("/p/" + payloads[1])]
        for row in seeded { paths.append("/dashboard/page" + QueryString.make([("page", row.page)])) }
        paths.append("/dashboard/page" + QueryString.make([("page", seeded[0].page), ("pii", "show")]))
        for path in paths {
            let page = try browser.get(path)
            #expect(page.status == 200 || page.status == 400, "\(path)")
            Self.expectInert(page.text, path)
            #expect(page.body.count < 200_000, "\(path): \(page.body.count) bytes")
        }
        for path in ["/v1/stats/pages?format=svg", "/v1/stats/reasons?format=svg", "/v1/stats/timeseries?format=svg&page=" + QueryString.encode(seeded[0].page)] {
            let svg = try live.get(path, token: admin)
            #expect(svg.status == 200)
            #expect(XMLParser(data: Data(svg.body)).parse(), "\(path)")
            Self.expectInert(svg.text, path)
        }
    }

    /// No element the payloads could have made: every real tag (text has no raw `<`) is checked for
    /// scripts, images, event handlers and `javascript:` links.
    static func expectInert(_ text: String, _ path: String) {
        var rest = Substring(text.lowercased())
        while let open = rest.firstIndex(of: "<") {
            let tail = rest[open...]
            let close = tail.firstIndex(of: ">") ?? tail.endIndex
            let tag = String(tail[..<close])
            // Quoted attribute values are text (escaped), so handlers are looked for outside them.
            let bare = tag.replacingOccurrences(of: #""[^"]*""#, with: "\"\"", options: .regularExpression)
            let bad = tag.hasPrefix("<script") || tag.hasPrefix("<img") || tag.hasPrefix("<iframe")
                || bare.range(of: #"\son[a-z]+\s*="#, options: .regularExpression) != nil
                || tag.contains("href=\"javascript:") || tag.contains("src=\"javascript:")
            if bad { Issue.record("\(path): \(tag.prefix(120))") }
            rest = close < tail.endIndex ? tail[tail.index(after: close)...] : ""
        }
    }

    @Test func chartsAreAnAPIFormat() throws {
        let live = try LiveApp()
        _ = try live.insertMix(count: 120)
        let token = try live.token(.read)
        for path in ["/v1/stats/timeseries?format=svg&width=400&height=200", "/v1/stats/pages?format=svg&width=400&height=200&sort=votes",
                     "/v1/stats/reasons?format=svg&width=400&height=200", "/v1/stats/timeseries?format=svg&since=2020-01-01&until=2020-02-01"] {
            let svg = try live.get(path, token: token)
            #expect(svg.status == 200, "\(path)")
            #expect(svg.header("Content-Type") == "image/svg+xml; charset=utf-8")
            #expect(svg.text.hasPrefix("<?xml") && svg.text.contains("<title"), "\(path)")
            #expect(XMLParser(data: Data(svg.body)).parse())
            if path.contains("width=400") { #expect(svg.text.contains("width=\"400\" height=\"200\"")) }
        }
        #expect(try live.get("/v1/stats/pages?width=400", token: token).status == 400)
        #expect(try live.get("/v1/stats/reasons?format=svg&width=10", token: token).status == 400)
        #expect(try live.get("/v1/stats/sources?format=svg", token: token).status == 400)
        #expect(try live.get("/v1/stats/timeseries?format=svg", token: nil).status == 401)
    }

    @Test func stylesheetIsEmbeddedSmallAndCachedLong() throws {
        let live = try LiveApp()
        let css = try RawClient.request(port: live.port, "GET", DashboardAssets.cssPath)
        #expect(css.status == 200)
        #expect(css.header("Content-Type") == "text/css; charset=utf-8")
        #expect(css.body.count > 1000 && css.body.count < 30 * 1024)
        #expect(css.header("Cache-Control")?.contains("max-age=31536000") == true)
        #expect(css.text.contains("prefers-color-scheme: dark"))
        let etag = try #require(css.header("ETag"))
        #expect(try RawClient.request(port: live.port, "GET", "/dashboard.css", headers: [("If-None-Match", etag)]).status == 304)
        #expect(!css.text.contains("http://") && !css.text.contains("https://") && !css.text.contains("@import"))
    }
}
