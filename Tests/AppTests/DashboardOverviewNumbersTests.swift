import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// The overview's sparklines and chart are read in one pass each (all pages' slices in one query, the
/// chart regrouped from the daily series): their numbers must equal the API's timeseries, which the
/// server computes from the feedback rows of one page, or from the hourly rollup.
@Suite struct DashboardOverviewNumbersTests {
    static let day: Int64 = 86_400_000

    /// A window of whole UTC days ending tomorrow, and as many days before it, with votes whose share varies from slice to slice;
    /// `/quiet` gets votes only in the first weeks, so its later slices are empty.
    func seeded(days: Int64) throws -> (live: LiveApp, since: String, until: String) {
        let live = try LiveApp()
        let now = Timestamp.nowMilliseconds()
        let pages = ["/guides/a", "/guides/b", "/api/c", "/api/d", "/quiet"]
        var rows: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)] = []
        for i in 0..<900 {
            let at = now - (2 * days - 1) * Self.day + Int64(i) * ((2 * days - 1) * Self.day / 900)
            let page = pages[i % pages.count]
            if page == "/quiet" && at > now - (days / 2) * Self.day { continue }
            rows.append((page, (i / 5 + i / 37 + i % 4) % 3 == 0 ? .down : .up, nil, i % 6 == 0 ? "comment \(i)" : nil, "docs", "v1", at))
        }
        _ = try live.insert(rows)
        return (live, Timestamp.day(milliseconds: now - (days - 1) * Self.day), Timestamp.day(milliseconds: now + Self.day))
    }

    /// `(up, votes, comments)` per bucket of the API's timeseries.
    func apiSeries(_ live: LiveApp, _ token: String, _ query: String) throws -> [(up: Int, votes: Int, comments: Int)] {
        let answer = try live.get("/v1/stats/timeseries?\(query)", token: token)
        #expect(answer.status == 200, "\(query): \(answer.text)")
        return answer.items.map { (($0["up"] as? Int) ?? -1, ($0["votes"] as? Int) ?? -1, ($0["comments"] as? Int) ?? -1) }
    }

    func between(_ text: String, _ start: String, _ end: String) -> String {
        guard let from = text.range(of: start), let to = text.range(of: end, range: from.upperBound..<text.endIndex) else { return "" }
        return String(text[from.upperBound..<to.lowerBound])
    }

    @Test(arguments: [(Int64(60), "week"), (Int64(7), "day"), (Int64(30), "day")])
    func sparklinesAndChartEqualTheAPIsTimeseries(days: Int64, bucket: String) throws {
        let (live, since, until) = try seeded(days: days)
        let token = try live.token(.read)
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        let overview = try browser.get("/dashboard?since=\(since)&until=\(until)&bucket=\(bucket)").text

        // The sparkline of each listed page: its daily votes summed in slices of whole days, as the page slices them.
        let perSlice = Int((days + 11) / 12)
        let worst = between(overview, "<h2>Pages failing readers", "<h2>Insights").components(separatedBy: "<td class=\"url\">").dropFirst()
        #expect(worst.count == 5)
        for row in worst {
            let page = between(row, "\">", "</a>")
            let daily = try apiSeries(live, token, "page=\(page)&bucket=day&since=\(since)&until=\(until)")
            #expect(daily.count == Int(days), "\(page)")
            let expected = stride(from: 0, to: Int(days), by: perSlice).compactMap { first -> String? in
                let slice = daily[first..<min(daily.count, first + perSlice)]
                let votes = slice.reduce(0) { $0 + $1.votes }
                return votes > 0 ? SVGChart.percent(Double(slice.reduce(0) { $0 + $1.up }) / Double(votes)) : nil
            }.joined(separator: ", ")
            #expect(between(row, "Helpfulness over the period: ", "</title>") == expected, "\(page)")
        }

        // The chart's table: votes and comments per bucket, as the API's series over the whole site.
        let chart = between(overview, "<h2>Helpfulness by", "<h2>Pages failing readers").components(separatedBy: "<th scope=\"row\">").dropFirst()
        let shown = chart.map { row in
            let cells = row.components(separatedBy: "<td class=\"num\">").dropFirst().map { $0.components(separatedBy: "<").first ?? "" }
            return (votes: Int(cells.first ?? "") ?? -1, comments: Int(cells.last ?? "") ?? -1)
        }
        let api = try apiSeries(live, token, "bucket=\(bucket)&since=\(since)&until=\(until)")
        #expect(!api.isEmpty && shown.map(\.votes) == api.map(\.votes) && shown.map(\.comments) == api.map(\.comments), "\(shown) vs \(api)")
    }
}
