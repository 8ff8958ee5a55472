import Foundation
import Testing
import TestSupport
import Analytics
@testable import Feedback

@Suite struct StatsTests {
    func double(_ value: Any?) -> Double? { (value as? Double) ?? (value as? Int).map(Double.init) }

    @Test(arguments: Backend.allCases) func summaryMatchesTheRows(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let rows = try live.insertMix(count: 90)
        let response = try live.get("/v1/stats/summary", token: token)
        let json = response.json ?? [:]
        let up = rows.filter { $0.rating == .up }.count
        #expect(json["votes"] as? Int == rows.count)
        #expect(json["up"] as? Int == up)
        #expect(json["down"] as? Int == rows.count - up)
        #expect(json["comments"] as? Int == rows.filter { $0.comment != nil }.count)
        #expect(json["pages"] as? Int == Set(rows.map(\.page)).count)
        #expect(abs((double(json["helpful_ratio"]) ?? -1) - Double(up) / Double(rows.count)) < 1e-6)
        #expect(json["first_feedback_at"] as? String == Timestamp.rfc3339(milliseconds: rows.map(\.at).min() ?? 0))
        let sources = json["sources"] as? [[String: Any]] ?? []
        #expect(sources.map { $0["source"] as? String ?? "" } == ["docs", "guide", "portal"])
        for source in sources {
            let name = source["source"] as? String
            #expect(source["votes"] as? Int == rows.filter { $0.source == name }.count)
            #expect(source["pages"] as? Int == Set(rows.filter { $0.source == name }.map(\.page)).count)
            #expect(source["last_feedback_at"] as? String == Timestamp.rfc3339(milliseconds: rows.filter { $0.source == name }.map(\.at).max() ?? 0))
        }
        // Filters: source and label (the label path reads rows, not rollups) agree with the rows.
        let portal = try live.get("/v1/stats/summary?source=portal&label.version=v1", token: token).json ?? [:]
        #expect(portal["votes"] as? Int == rows.filter { $0.source == "portal" && $0.version == "v1" }.count)
        #expect(portal["pages"] as? Int == Set(rows.filter { $0.source == "portal" && $0.version == "v1" }.map(\.page)).count)
        let labelled = try live.get("/v1/stats/summary?label.version=v2&since=7d", token: token).json ?? [:]
        let week = rows.filter { $0.version == "v2" && $0.at >= (Timestamp.nowMilliseconds() / 86_400_000 - 7) * 86_400_000 }
        #expect(labelled["votes"] as? Int == week.count && labelled["pages"] as? Int == Set(week.map(\.page)).count, "\(labelled)")
    }

    @Test(arguments: Backend.allCases) func pagesRankWorstFirstByWilsonUpperBound(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let now = Timestamp.nowMilliseconds()
        var spec: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)] = []
        for (page, up, down) in [("/bad", 2, 18), ("/good", 40, 2), ("/small", 0, 2), ("/meh", 10, 10)] {
            for i in 0..<(up + down) { spec.append((page, i < up ? .up : .down, nil, nil, "docs", "v1", now - Int64(i) * 1000)) }
        }
        _ = try live.insert(spec)
        let response = try live.get("/v1/stats/pages", token: token)
        let pages = response.items.map { $0["page"] as? String ?? "" }
        #expect(pages == ["/bad", "/small", "/meh", "/good"])
        let bad = response.items[0]
        // Wilson upper bound for 2 up of 20, by hand (z = 1.959964, z² = 3.841459, p̂ = 0.1, n = 20):
        //   centre = (p̂ + z²/2n) / (1 + z²/n) = (0.1 + 0.0960365) / 1.1920729 = 0.1644501
        //   margin = z / (1 + z²/n) · √(p̂(1-p̂)/n + z²/4n²) = 1.6441645 · √(0.0045 + 0.0024009) = 0.1365836
        //   upper  = 0.1644501 + 0.1365836 = 0.3010336
        // (python3 -c "import math; z=1.959963984540054; n=20; p=.1; c=(p+z*z/2/n)/(1+z*z/n); print(c+z/(1+z*z/n)*math.sqrt(p*(1-p)/n+z*z/4/n/n))")
        #expect(abs((double(bad["wilson_upper"]) ?? 0) - 0.3010336452284873) < 1e-6)
        #expect(bad["votes"] as? Int == 20)
        #expect(try live.get("/v1/stats/pages?sort=best", token: token).items.first?["page"] as? String == "/good")
        #expect(try live.get("/v1/stats/pages?sort=votes", token: token).items.first?["page"] as? String == "/good")
        #expect(try live.get("/v1/stats/pages?min_votes=5", token: token).items.count == 3)

        // Pagination through the ranking.
        let first = try live.get("/v1/stats/pages?limit=3", token: token)
        let cursor = first.json?["next_cursor"] as? String ?? ""
        let second = try live.get("/v1/stats/pages?limit=3&cursor=\(cursor)", token: token)
        #expect(second.items.map { $0["page"] as? String ?? "" } == ["/good"])
        #expect(second.json?["next_cursor"] is NSNull)
    }

    @Test(arguments: Backend.allCases) func sectionsRollUpPages(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let rows = try live.insertMix(count: 60)
        let response = try live.get("/v1/stats/pages?group=section&depth=1&sort=votes", token: token)
        var expected: [String: Int] = [:]
        for row in rows { expected[AggregateQueries.section(of: row.page, depth: 1), default: 0] += 1 }
        var got: [String: Int] = [:]
        for item in response.items { got[item["section"] as? String ?? ""] = item["votes"] as? Int }
        #expect(got == expected)
    }

    @Test(arguments: Backend.allCases) func reasonsAndSourcesCount(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let rows = try live.insertMix(count: 75)
        // Whole answers compared with counts from the rows, so an empty or partial answer fails too.
        let reasons = try live.get("/v1/stats/reasons", token: token).items
        var expectedReasons: [String: Int] = [:]
        for row in rows { expectedReasons[row.reason ?? "none", default: 0] += 1 }
        var gotReasons: [String: Int] = [:]
        for item in reasons { gotReasons[item["reason"] as? String ?? "none"] = item["votes"] as? Int ?? -1 }
        #expect(gotReasons == expectedReasons)
        #expect(reasons.reduce(0) { $0 + ($1["votes"] as? Int ?? 0) } == rows.count)
        let sources = try live.get("/v1/stats/sources?page_prefix=/api", token: token).items
        var expectedSources: [String: Int] = [:]
        for row in rows where row.page.hasPrefix("/api") { expectedSources[row.source, default: 0] += 1 }
        var gotSources: [String: Int] = [:]
        for item in sources { gotSources[item["source"] as? String ?? ""] = item["votes"] as? Int ?? -1 }
        #expect(expectedSources.keys.sorted() == ["docs", "portal"], "the mix's /api pages come from two sources")
        #expect(gotSources == expectedSources)
    }

    @Test(arguments: Backend.allCases) func spamIsLeftOutOfEveryAggregateAndComesBack(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let triage = try live.token(.triage)
        let id = try live.post(#"{"page":"/spammy","rating":"down","comment":"buy now"}"#).json?["id"] as? Int ?? -1
        _ = try live.post(#"{"page":"/spammy","rating":"up"}"#)
        #expect(try live.get("/v1/stats/summary", token: triage).json?["votes"] as? Int == 2)
        #expect(try live.send("PATCH", "/v1/feedback/\(id)", token: triage, body: #"{"status":"spam"}"#).status == 200)
        let summary = try live.get("/v1/stats/summary", token: triage).json ?? [:]
        #expect(summary["votes"] as? Int == 1)
        #expect(summary["comments"] as? Int == 0)
        #expect(try live.get("/v1/stats/timeseries?bucket=hour", token: triage).items.reduce(0) { $0 + ($1["votes"] as? Int ?? 0) } == 1)
        _ = try live.send("PATCH", "/v1/feedback/\(id)", token: triage, body: #"{"status":"new"}"#)
        #expect(try live.get("/v1/stats/summary", token: triage).json?["votes"] as? Int == 2)
    }

    @Test(arguments: Backend.allCases) func timeseriesFillsEmptyBucketsAndSumsRows(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let day: Int64 = 86_400_000
        let start = (Timestamp.nowMilliseconds() / day - 10) * day // ten days ago, midnight UTC
        _ = try live.insert([
            ("/a", .up, nil, "x", "docs", "v1", start + 3_600_000),
            ("/a", .down, nil, nil, "docs", "v1", start + 5 * 3_600_000),
            ("/b", .down, nil, nil, "portal", "v1", start + 3 * day + 60_000),
        ])
        let since = Timestamp.rfc3339(milliseconds: start), until = Timestamp.rfc3339(milliseconds: start + 5 * day)
        let series = try live.get("/v1/stats/timeseries?bucket=day&since=\(since)&until=\(until)", token: token).items
        #expect(series.count == 5)
        #expect(series.map { $0["up"] as? Int ?? -1 } == [1, 0, 0, 0, 0])
        #expect(series.map { $0["down"] as? Int ?? -1 } == [1, 0, 0, 1, 0])
        #expect(series.map { $0["comments"] as? Int ?? -1 } == [1, 0, 0, 0, 0])
        #expect(series.first?["bucket_start"] as? String == since)
        // One page reads its rows; the hourly rollup is not used.
        let pageSeries = try live.get("/v1/stats/timeseries?bucket=hour&page=/a&since=\(since)&until=\(Timestamp.rfc3339(milliseconds: start + 6 * 3_600_000))", token: token).items
        #expect(pageSeries.map { $0["votes"] as? Int ?? -1 } == [0, 1, 0, 0, 0, 1])
        // A zone shifts day boundaries: at UTC-5, 01:00Z is the evening before and 05:00Z is local midnight.
        let shifted = try live.get("/v1/stats/timeseries?bucket=day&tz=America/Bogota&since=\(since)&until=\(until)", token: token).items
        #expect(shifted.prefix(2).map { $0["votes"] as? Int ?? -1 } == [1, 1])
        #expect(shifted.count == 6)
        #expect(try live.get("/v1/stats/timeseries?tz=Mars/Olympus", token: token).status == 400)
        #expect(try live.get("/v1/stats/timeseries?bucket=hour&since=2000-01-01", token: token).status == 400)
    }

    @Test(arguments: Backend.allCases) func insightsFindTheRegressionAndNotTheStablePage(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let now = Timestamp.nowMilliseconds()
        let day: Int64 = 86_400_000
        var spec: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)] = []
        // Baseline (10-25 days ago): both pages 90% helpful. Recent week: /regressed falls to 30%.
        // The baseline ends at noon UTC, not at `now - 10 days`: from a fixed time of day, at most three of its
        // votes share a day with a possible onset, whatever the hour the test runs (it failed after 18:00 UTC).
        let baselineEnd = (now / day) * day - 10 * day + 12 * 3_600_000
        for i in 0..<60 {
            let at = baselineEnd - Int64(i) * 3_600_000 * 6
            spec.append(("/regressed", i % 10 == 0 ? .down : .up, nil, nil, "docs", "v1", at))
            spec.append(("/stable", i % 10 == 0 ? .down : .up, nil, nil, "docs", "v1", at))
        }
        for i in 0..<30 {
            let at = now - Int64(i) * 3_600_000 * 4
            spec.append(("/regressed", i % 10 < 3 ? .up : .down, nil, i < 8 ? "broken now" : nil, "docs", "v1", at))
            spec.append(("/stable", i % 10 == 0 ? .down : .up, nil, nil, "docs", "v1", at))
        }
        _ = try live.insert(spec)
        let response = try live.get("/v1/insights", token: token)
        #expect(response.status == 200)
        #expect(response.json?["pages_tested"] as? Int == 2)
        let drops = response.items.filter { $0["kind"] as? String == "helpfulness_drop" }
        #expect(drops.map { $0["page"] as? String ?? "" } == ["/regressed"])
        // The drop began in the gap between the baseline (10+ days ago) and the recent votes (last 5 days):
        // "recent" now counts the votes since that onset, "baseline" those before it in the window.
        let onsets = (5...10).map { Timestamp.day(milliseconds: now - Int64($0) * day) }
        #expect(onsets.contains(drops.first?["onset"] as? String ?? ""))
        #expect((30...33).contains(drops.first?["recent_votes"] as? Int ?? 0))
        #expect((drops.first?["summary"] as? String)?.hasPrefix("helpfulness fell from 9") == true)
        #expect((double(drops.first?["q"]) ?? 1) < 1e-6)
        let bursts = response.items.filter { $0["kind"] as? String == "comment_burst" }
        #expect(bursts.map { $0["page"] as? String ?? "" } == ["/regressed"])
        // Negative comments on i in 3..<8 (4 h apart); the burst counts those from its onset day on. Just
        // after midnight UTC they span three days, and the best onset may leave the earliest out (CI
        // ran at 00:00 and counted 4): the count follows the onset the answer gives.
        let burstOnset = try #require(bursts.first?["onset"] as? String)
        let afterOnset = (3..<8).filter { Timestamp.day(milliseconds: now - Int64($0) * 3_600_000 * 4) >= burstOnset }.count
        #expect(afterOnset >= 4)
        #expect(bursts.first?["recent_negative_comments"] as? Int == afterOnset)
        // As of a week ago nothing had changed yet.
        let before = try live.get("/v1/insights?as_of=\(Timestamp.day(milliseconds: now - 7 * day))", token: token)
        #expect(before.status == 200)
        #expect(before.items.isEmpty)
        #expect(before.json?["as_of"] as? String == Timestamp.day(milliseconds: now - 7 * day))
        #expect(try live.get("/v1/insights?as_of=yesterday", token: token).status == 400)
        #expect(try live.get("/v1/insights?as_of=\(Timestamp.day(milliseconds: now + 2 * day))", token: token).status == 400)
        // The per-page daily rollup (summed in Swift) and the filtered relation (summed in SQL) agree.
        func summary(_ query: String) throws -> [String] {
            try live.get("/v1/insights\(query)", token: token).items.map {
                "\($0["kind"] ?? "") \($0["page"] ?? "") \($0["recent_votes"] ?? "") \($0["baseline_votes"] ?? "") \($0["recent_negative_comments"] ?? "")"
            }
        }
        let unfiltered = try summary("")
        #expect(unfiltered.count == 2)
        #expect(try summary("?source=docs") == unfiltered)
        #expect(try summary("?page_prefix=/reg") == unfiltered)
        // With a stricter vote minimum nothing qualifies.
        #expect(try live.get("/v1/insights?min_votes=100", token: token).json?["pages_tested"] as? Int == 0)
        #expect(try live.get("/v1/insights?alpha=2", token: token).status == 400)
    }
}
