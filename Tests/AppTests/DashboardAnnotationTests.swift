import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback
import HTTP

/// Annotations show on a page's charts as marks and under them as a list, escaped, with only http(s) links.
@Suite struct DashboardAnnotationTests {
    @Test func aPagesChartsMarkItsAnnotationsAndListThem() throws {
        let live = try LiveApp()
        let now = Timestamp.nowMilliseconds()
        _ = try live.insert((0..<20).map { i in
            ("/guides/auth", i % 3 == 0 ? Rating.down : .up, nil, nil, "docs", "v1", now - Int64(i) * 3_600_000 * 20)
        })
        let triage = try live.token(.triage)
        let hostile = "Rewrote <script>alert(1)</script> & fixed the \"token\" example"
        let yesterday = Timestamp.rfc3339(milliseconds: now - 86_400_000)
        let created = try live.send("POST", "/v1/annotations", token: triage,
                                       body: #"{"page":"/guides/auth","note":\#(JSONText.quoted(hostile)),"url":"https://example.com/pr/1","at":"\#(yesterday)"}"#)
        #expect(created.status == 201)
        #expect(try live.send("POST", "/v1/annotations", token: triage, body: #"{"page_prefix":"/guides/","note":"new theme"}"#).status == 201)
        #expect(try live.send("POST", "/v1/annotations", token: triage, body: #"{"page":"/other","note":"elsewhere"}"#).status == 201)
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        let page = try browser.get("/dashboard/page?page=/guides/auth").text
        // Two marks on each of the two line charts: this page's annotation and the prefix's, not /other's.
        #expect(page.components(separatedBy: "class=\"marker\"").count - 1 == 4)
        #expect(page.contains("<title>\(Timestamp.day(milliseconds: now - 86_400_000)): Rewrote &lt;script&gt;alert(1)&lt;/script&gt; &amp; fixed the &quot;token&quot; example</title>"))
        #expect(!page.contains("<script>alert(1)"))
        #expect(page.contains("Changes on this page") && page.contains("href=\"https://example.com/pr/1\""))
        #expect(page.contains("on every page under /guides/") && !page.contains("elsewhere"))
        // The overview marks every page's annotations on its chart and lists them, with the page linked.
        let overview = try browser.get("/dashboard").text
        #expect(overview.components(separatedBy: "class=\"marker\"").count - 1 == 3)
        #expect(overview.contains("Changes in this period") && overview.contains("elsewhere") && overview.contains("href=\"/dashboard/page?page=/other\""))
        #expect(!overview.contains("<script>alert(1)"))
        let weekly = try browser.get("/dashboard?period=90&bucket=week").text
        #expect(weekly.components(separatedBy: "class=\"marker\"").count - 1 == 3)
        // The API's SVG time series of the page marks them too.
        let svg = try live.get("/v1/stats/timeseries?page=/guides/auth&format=svg", token: try live.token(.read))
        #expect(svg.status == 200 && svg.text.components(separatedBy: "class=\"marker\"").count - 1 == 2)
        #expect(!svg.text.contains("<script>alert(1)"))
        // A period without annotations draws no mark and no list.
        let old = try browser.get("/dashboard/page?page=/guides/auth&since=2025-01-01&until=2025-02-01").text
        #expect(!old.contains("class=\"marker\"") && !old.contains("Changes on this page"))
    }

    /// The period's last millisecond is in it (its end is left out, as everywhere), and past 50 the page says so.
    @Test func thePeriodsLastMillisecondCountsAndMoreThanFiftyAreSaid() throws {
        let live = try LiveApp()
        // A vote that day, so the charts are drawn (an empty period shows a message instead).
        _ = try live.insert([("/p", .up, nil, nil, "docs", "v1", 1_767_268_800_000)]) // 2026-01-01T12:00:00Z
        let triage = try live.token(.triage)
        #expect(try live.send("POST", "/v1/annotations", token: triage,
                              body: #"{"page":"/p","note":"last moment","at":"2026-01-01T23:59:59.999Z"}"#).status == 201)
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        let day = try browser.get("/dashboard/page?page=/p&since=2026-01-01&until=2026-01-02").text
        #expect(day.contains("last moment") && day.components(separatedBy: "class=\"marker\"").count - 1 == 2)
        for i in 0..<51 {
            #expect(try live.send("POST", "/v1/annotations", token: triage, body: #"{"page":"/p","note":"change \#(i)","at":"2026-01-01T12:00:00Z"}"#).status == 201)
        }
        let busy = try browser.get("/dashboard/page?page=/p&since=2026-01-01&until=2026-01-02").text
        #expect(busy.contains("The latest 50 of more"))
        #expect(busy.components(separatedBy: "class=\"marker\"").count - 1 == 100)
    }
}
