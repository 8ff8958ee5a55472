import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// `GET /v1/insights` over HTTP on a seeded database, evaluated as of past days (`as_of`).
@Suite struct InsightTests {
    static let day: Int64 = 86_400_000
    typealias Row = (page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)

    /// 80 days ending yesterday: /drop loses 30 points 20 days ago; /weekly has a weekend audience of its
    /// own; /reasons keeps its helpfulness but "outdated" takes over its negative votes 15 days ago.
    static func traffic(today: Int64) -> (rows: [Row], dropOnset: Int64, reasonOnset: Int64) {
        let dropOnset = today - 20, reasonOnset = today - 15
        var rows: [Row] = []
        func votes(_ page: String, _ day: Int64, _ count: Int, _ up: Int, reasons: (Int) -> String? = { _ in nil }) {
            for j in 0..<count {
                let at = day * day0 + Int64(j) * (day0 / Int64(count)) + 1000
                let helpful = j < up
                rows.append((page, helpful ? .up : .down, helpful ? nil : reasons(j - up), nil, "docs", j % 2 == 0 ? "v1" : "v2", at))
            }
        }
        let day0 = Self.day
        for d in (today - 80)..<today {
            let weekend = (d + 3) % 7 >= 5
            votes("/drop", d, 30, d >= dropOnset ? 15 : 24 - Int(d % 2))
            votes("/weekly", d, 60, weekend ? 56 : 36 - Int(d % 2))
            let mix = ["inaccurate", "missing-information", "outdated"]
            votes("/reasons", d, 20, 14, reasons: { k in d >= reasonOnset ? (k == 0 ? mix[Int(d % 2)] : "outdated") : mix[(k + Int(d)) % 3] })
        }
        return (rows, dropOnset, reasonOnset)
    }

    @Test func backtestingFindsTheDropWithinThreeDaysAndTheReasonShift() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        let today = AggregateFilter.floorDiv(Timestamp.nowMilliseconds(), Self.day)
        let (rows, dropOnset, reasonOnset) = Self.traffic(today: today)
        _ = try live.insert(rows)
        func date(_ d: Int64) -> String { Timestamp.day(milliseconds: d * Self.day) }
        func findings(_ query: String) throws -> [[String: Any]] {
            let response = try live.get("/v1/insights?\(query)", token: token)
            #expect(response.status == 200, "\(query)")
            return response.items
        }
        // The day before the drop: nothing, weekends included.
        #expect(try findings("as_of=\(date(dropOnset - 1))").isEmpty)
        // Two days after it began: the drop, dated to its first day.
        let early = try findings("as_of=\(date(dropOnset + 2))")
        #expect(early.map { "\($0["kind"] ?? "") \($0["page"] ?? "")" } == ["helpfulness_drop /drop"])
        #expect(early.first?["onset"] as? String == date(dropOnset))
        #expect(early.first?["recent_votes"] as? Int == 90)
        #expect((early.first?["summary"] as? String)?.hasPrefix("helpfulness fell from 78% (") == true)
        #expect((early.first?["summary"] as? String)?.contains("to 50% (90 votes) since \(date(dropOnset)); q = ") == true)
        // A week after the reasons changed: the shift, with the reason that grew.
        let later = try findings("as_of=\(date(reasonOnset + 6))")
        let shift = later.first { $0["kind"] as? String == "reason_shift" }
        #expect(shift?["page"] as? String == "/reasons")
        #expect(shift?["reason"] as? String == "outdated")
        #expect(shift?["onset"] as? String == date(reasonOnset))
        // The weekend audience of /weekly never counts as a change, whatever the day evaluated.
        for d in (dropOnset - 10)...(today - 1) {
            #expect(try findings("as_of=\(date(d))").allSatisfy { $0["page"] as? String != "/weekly" }, "as of \(date(d))")
        }
        // Source and label filters read other relations and find the same drop.
        for filter in ["source=docs", "label.version=v1"] {
            let found = try findings("as_of=\(date(dropOnset + 3))&\(filter)").filter { $0["kind"] as? String == "helpfulness_drop" }
            #expect(found.map { $0["page"] as? String ?? "" } == ["/drop"], "\(filter)")
            #expect(found.first?["onset"] as? String == date(dropOnset), "\(filter)")
        }
    }

    /// Evaluations are kept until the data changes (`InsightCache`): a vote acknowledged before the GET,
    /// and a vote marked spam, change the very next answer, on every reader, for today and for `as_of`.
    @Test func aKeptEvaluationGivesWayToTheNextChange() throws {
        let live = try LiveApp()
        let (token, triage) = (try live.token(.read), try live.token(.triage))
        let today = AggregateFilter.floorDiv(Timestamp.nowMilliseconds(), Self.day)
        _ = try live.insert(Self.traffic(today: today).rows)
        // recent_days=30: the drop (20 days ago) is among the onsets, so its finding counts the votes since.
        // as_of is always given: an answer for "now" would move to another day if the run crossed midnight UTC.
        func dropVotes(asOf day: Int64 = today) throws -> Int? {
            let response = try live.get("/v1/insights?recent_days=30&as_of=\(Timestamp.day(milliseconds: day * Self.day))", token: token)
            #expect(response.status == 200)
            return response.items.first { $0["page"] as? String == "/drop" }?["recent_votes"] as? Int
        }
        let before = try #require(try dropVotes())
        // Asked again, each reader (two by default) answers from what it kept: the same.
        for _ in 0..<4 { #expect(try dropVotes() == before) }
        var ids: [Int] = []
        for _ in 0..<3 {
            let posted = try live.post(#"{"page":"/drop","rating":"down"}"#)
            #expect(posted.status == 201)
            ids.append(try #require(posted.json?["id"] as? Int))
        }
        for _ in 0..<4 { #expect(try dropVotes() == before + 3, "a vote acknowledged before the request counts") }
        #expect(try live.send("PATCH", "/v1/feedback/\(ids[0])", token: triage, body: #"{"status":"spam"}"#).status == 200)
        for _ in 0..<4 { #expect(try dropVotes() == before + 2, "spam is not counted") }
        // as_of is kept per day evaluated: yesterday's evaluation does not see today's votes, today's does.
        for _ in 0..<2 { #expect(try dropVotes(asOf: today - 1) == before) }
        #expect(try dropVotes() == before + 2)
    }

    @Test func reasonsAreReadThroughTheirKey() throws {
        let live = try LiveApp()
        let plan = try live.app.store.readNow { db in
            try db.query("""
                EXPLAIN QUERY PLAN SELECT received_at, reason FROM feedback_down_reasons d
                WHERE page_id = (SELECT id FROM pages WHERE page_key = ?1) AND received_at >= ?2 AND received_at < ?3
                """, ["/a", 0, 1]) { $0.string(3) }
        }
        #expect(plan.contains { $0.contains("SEARCH d USING PRIMARY KEY (page_id=? AND received_at>? AND received_at<?)") }, "\(plan)")
    }
}
