import Foundation
import Testing
@testable import Feedback

/// `AggregateQueries.pageVotes` answers a window covering most of the data from the all-time totals
/// less the days outside it; both reads must equal what the rows say, spam and erasure included.
@Suite struct PageVotesTests {
    static let day: Int64 = 86_400_000

    @Test func everyWindowEqualsTheRows() throws {
        let live = try LiveApp()
        let now = Timestamp.nowMilliseconds()
        let seeded = try live.insertMix(count: 600, days: 20, now: now)
        let today = AggregateFilter.floorDiv(now, Self.day)
        func check(_ label: String) throws {
            // Windows of whole days: most of the data (totals less the outside), a little of it (the
            // window itself), open-ended either side, and nothing at all.
            for (since, until) in [(today - 19, today + 1), (today - 25, nil), (today - 18, today - 1), (today - 3, today + 1),
                                   (nil, today - 2), (today - 10, today - 9), (today + 5, nil)] as [(Int64?, Int64?)] {
                var filter = AggregateFilter()
                filter.since = since.map { $0 * Self.day }
                filter.until = until.map { $0 * Self.day - 1 }
                let (answer, rows) = try live.app.store.readNow { db in
                    let answer = try AggregateQueries.pageVotes(filter, connection: db).map { "\($0.0) \($0.1.up) \($0.1.down) \($0.1.comments)" }
                    let rows = try db.query("""
                        SELECT page_key, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback
                        WHERE status <> 'spam' AND received_at >= ? AND received_at < ? GROUP BY page_key
                        """, [(since ?? -1_000_000) * Self.day, (until ?? 1_000_000) * Self.day]) { "\($0.string(0)) \($0.int(1)) \($0.int(2)) \($0.int(3))" }
                    return (answer, rows)
                }
                #expect(answer.sorted() == rows.sorted(), "\(label): days \(String(describing: since))..<\(String(describing: until))")
            }
        }
        try check("inserted")
        // Spam leaves the rollups, every vote of one page included (its days' rows go), and comes back.
        let triage = try live.token(.triage)
        let page = seeded[0].page
        for row in seeded where row.page == page || row.id % 7 == 0 {
            #expect(try live.send("PATCH", "/v1/feedback/\(row.id)", token: triage, body: #"{"status":"spam"}"#).status == 200)
        }
        try check("spam")
        #expect(try live.send("PATCH", "/v1/feedback/\(seeded[0].id)", token: triage, body: #"{"status":"new"}"#).status == 200)
        try check("back from spam")
    }
}
