import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Rebuilding a deleted or re-triaged row's rollups must read only that page's rows: a regression made
/// every delete at 1M rows walk all daily rows of the row's label (19 ms; 9–10 ms since).
@Suite struct RollupRebuildTests {
    @Test func labelTotalsAreRebuiltThroughThePageIndex() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("r.db")))
        defer { store.close() }
        let plan = try store.readNow { try $0.query("EXPLAIN QUERY PLAN " + Rollups.labelTotalFromDaily, ["k", "v", "/p", "docs"]) { $0.string(3) } }
        #expect(plan.contains { $0.contains("USING INDEX rollup_label_daily_page (key=? AND value=? AND page_key=? AND source=?)") }, "\(plan)")
    }

    @Test func aPageDayIsReadThroughTheSmallerIndex() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("r.db")))
        defer { store.close() }
        let day: Int64 = 20_000, hour = day * 24
        try store.writeNow { db in
            // One busy day over many pages, and a page with few votes: its own index is smaller.
            try db.run("INSERT INTO rollup_hourly(hour, source, up, down, comments) VALUES (?, 'docs', 900, 100, 0)", [hour + 3])
            try db.run("INSERT INTO rollup_page_total(page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES ('/quiet', 'docs', 3, 1, 0, 0, 0, 0)")
            try db.run("INSERT INTO rollup_page_total(page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES ('/busy', 'docs', 40000, 9000, 0, 0, 0, 0)")
        }
        let (quiet, busy) = try store.readNow { db in
            (try Rollups.pageDayRows(pageKey: "/quiet", day: day, connection: db), try Rollups.pageDayRows(pageKey: "/busy", day: day, connection: db))
        }
        for (condition, index) in [(quiet, "SEARCH r USING PRIMARY KEY (page_id=?)"), (busy, "feedback_received_at")] {
            let plan = try store.readNow { db in
                try db.query("EXPLAIN QUERY PLAN SELECT count(*) FROM \(condition.from) WHERE \(condition.rows)", ["/x", day * 86_400_000, (day + 1) * 86_400_000]) { $0.string(3) }
            }
            #expect(plan.contains { $0.contains(index) }, "\(condition): \(plan)")
        }
    }
}
