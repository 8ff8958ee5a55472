import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// Time-series buckets follow the calendar of `tz` (weeks from Monday, across DST changes), the
/// default windows are the documented spans, and aggregates count whole UTC days.
/// Expected bucket starts are written out by hand, not computed with the code's calendar.
@Suite struct TimeseriesCalendarTests {
    private static func at(_ text: String) throws -> Int64 {
        let date = try #require(ISO8601DateFormatter().date(from: text), "bad fixture time \(text)")
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    private static func row(_ time: Int64, _ rating: Rating = .up, source: String = "docs", version: String = "v1")
        -> (page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64) {
        ("/guide/tz", rating, nil, nil, source, version, time)
    }

    /// `bucket_start -> votes` of a series.
    private static func votes(_ items: [[String: Any]]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: items.map { ($0["bucket_start"] as? String ?? "?", $0["votes"] as? Int ?? -1) })
    }

    private static func starts(_ items: [[String: Any]]) -> [String] { items.map { $0["bucket_start"] as? String ?? "?" } }

    @Test func weeksStartOnMondayInTheZoneAcrossTheAutumnChange() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        // Berlin leaves summer time on Sunday 2026-10-25 (UTC+2 -> UTC+1).
        _ = try live.insert([
            Self.row(try Self.at("2026-10-18T21:30:00Z")),        // Sun 18 Oct 23:30 CEST: week of Mon 12 Oct
            Self.row(try Self.at("2026-10-18T22:30:00Z"), .down), // Mon 19 Oct 00:30 CEST: week of Mon 19 Oct
            Self.row(try Self.at("2026-10-25T22:30:00Z")),        // Sun 25 Oct 23:30 CET: still week of 19 Oct
            Self.row(try Self.at("2026-10-25T23:30:00Z")),        // Mon 26 Oct 00:30 CET: week of 26 Oct
        ])
        let response = try live.get("/v1/stats/timeseries?bucket=week&tz=Europe/Berlin&since=2026-10-05&until=2026-11-09", token: token)
        #expect(response.status == 200)
        #expect(response.json?["tz"] as? String == "Europe/Berlin")
        let items = response.items
        #expect(Self.starts(items) == ["2026-10-04T22:00:00.000Z", "2026-10-11T22:00:00.000Z", "2026-10-18T22:00:00.000Z",
                                       "2026-10-25T23:00:00.000Z", "2026-11-01T23:00:00.000Z", "2026-11-08T23:00:00.000Z"])
        #expect(Self.votes(items) == ["2026-10-04T22:00:00.000Z": 0, "2026-10-11T22:00:00.000Z": 1, "2026-10-18T22:00:00.000Z": 2,
                                      "2026-10-25T23:00:00.000Z": 1, "2026-11-01T23:00:00.000Z": 0, "2026-11-08T23:00:00.000Z": 0])
        let week19 = items.first { $0["bucket_start"] as? String == "2026-10-18T22:00:00.000Z" }
        #expect(week19?["up"] as? Int == 1 && week19?["down"] as? Int == 1)

        // The same rows in UTC weeks group differently: the zone is what moved them.
        let utc = try live.get("/v1/stats/timeseries?bucket=week&since=2026-10-05&until=2026-11-02", token: token).items
        #expect(Self.votes(utc) == ["2026-10-05T00:00:00.000Z": 0, "2026-10-12T00:00:00.000Z": 2, "2026-10-19T00:00:00.000Z": 2,
                                    "2026-10-26T00:00:00.000Z": 0])
    }

    @Test func monthsAndDaysFollowTheZoneAcrossDaylightSavingChanges() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        _ = try live.insert([
            Self.row(try Self.at("2026-09-30T21:30:00Z")), // Berlin 30 Sep 23:30 CEST: September
            Self.row(try Self.at("2026-09-30T22:30:00Z")), // Berlin 1 Oct 00:30 CEST: October
            Self.row(try Self.at("2026-10-31T22:30:00Z")), // Berlin 31 Oct 23:30 CET: October
            Self.row(try Self.at("2026-10-31T23:30:00Z")), // Berlin 1 Nov 00:30 CET: November
            // New York leaves summer time on Sunday 2026-11-01 (UTC-4 -> UTC-5); that day has 25 hours.
            Self.row(try Self.at("2026-11-02T04:30:00Z")), // New York 1 Nov 23:30 EST
            Self.row(try Self.at("2026-11-02T05:30:00Z")), // New York 2 Nov 00:30 EST
        ])
        let months = try live.get("/v1/stats/timeseries?bucket=month&tz=Europe/Berlin&since=2026-09-01&until=2026-12-01", token: token).items
        #expect(Self.starts(months) == ["2026-08-31T22:00:00.000Z", "2026-09-30T22:00:00.000Z", "2026-10-31T23:00:00.000Z", "2026-11-30T23:00:00.000Z"])
        #expect(Self.votes(months) == ["2026-08-31T22:00:00.000Z": 1, "2026-09-30T22:00:00.000Z": 2, "2026-10-31T23:00:00.000Z": 3,
                                       "2026-11-30T23:00:00.000Z": 0])

        let days = try live.get("/v1/stats/timeseries?bucket=day&tz=America/New_York&since=2026-11-01T04:00:00Z&until=2026-11-03T05:00:00Z",
                                token: token).items
        #expect(Self.starts(days) == ["2026-11-01T04:00:00.000Z", "2026-11-02T05:00:00.000Z"])
        // 04:30Z on 2 Nov is the 25th hour of 1 Nov: a 24-hour day would put it into 2 Nov.
        #expect(Self.votes(days) == ["2026-11-01T04:00:00.000Z": 1, "2026-11-02T05:00:00.000Z": 1])
    }

    @Test func defaultWindowsAre48Hours30Days26WeeksAnd365Days() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        let now = Timestamp.nowMilliseconds()
        let hour: Int64 = 3_600_000, day: Int64 = 86_400_000
        _ = try live.insert([now - 47 * hour, now - 50 * hour, now - 29 * day, now - 31 * day,
                             now - 180 * day, now - 185 * day, now - 360 * day, now - 370 * day].map { Self.row($0) })
        for (bucket, expectedVotes, bucketCounts) in [("hour", 1, 48...49), ("day", 3, 30...31), ("week", 5, 26...27), ("month", 7, 12...13)] {
            let response = try live.get("/v1/stats/timeseries?bucket=\(bucket)", token: token)
            #expect(response.status == 200)
            let total = response.items.reduce(0) { $0 + ($1["votes"] as? Int ?? 0) }
            #expect(total == expectedVotes, "\(bucket): \(total) votes in the default window")
            #expect(bucketCounts.contains(response.items.count), "\(bucket): \(response.items.count) buckets")
        }
        // No bucket given means days.
        #expect(try live.get("/v1/stats/timeseries", token: token).json?["bucket"] as? String == "day")
    }

    @Test func aggregatesRoundSinceAndUntilToWholeUTCDaysWhileListingsDoNot() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        _ = try live.insert([
            Self.row(try Self.at("2026-11-09T23:30:00Z")),                   // the day before: out
            Self.row(try Self.at("2026-11-10T01:00:00Z"), source: "portal"), // before `since`, same day: in
            Self.row(try Self.at("2026-11-11T20:00:00Z"), version: "v2"),    // after `until`, same day: in
            Self.row(try Self.at("2026-11-12T00:30:00Z")),                   // the day after: out
        ])
        let window = "since=2026-11-10T12:00:00Z&until=2026-11-11T06:00:00Z"
        #expect(try live.get("/v1/stats/summary?\(window)", token: token).json?["votes"] as? Int == 2)
        #expect(try live.get("/v1/stats/summary?\(window)&source=portal", token: token).json?["votes"] as? Int == 1)
        #expect(try live.get("/v1/stats/summary?\(window)&label.version=v2", token: token).json?["votes"] as? Int == 1)
        #expect(try live.get("/v1/stats/pages?\(window)", token: token).items.first?["votes"] as? Int == 2)
        #expect(try live.get("/v1/stats/reasons?\(window)", token: token).items.reduce(0) { $0 + ($1["votes"] as? Int ?? 0) } == 2)
        #expect(try live.get("/v1/stats/sources?\(window)", token: token).items.reduce(0) { $0 + ($1["votes"] as? Int ?? 0) } == 2)
        // An `until` at midnight is already a whole day: the next day is not added.
        #expect(try live.get("/v1/stats/summary?since=2026-11-10&until=2026-11-11T00:00:00Z", token: token).json?["votes"] as? Int == 1)
        // Listings use the exact instants.
        let listed = try live.get("/v1/feedback?\(window)", token: token)
        #expect(listed.status == 200)
        #expect(listed.items.isEmpty)
        #expect(try live.get("/v1/feedback?since=2026-11-10T00:30:00Z&until=2026-11-11T21:00:00Z", token: token).items.count == 2)
    }
}
