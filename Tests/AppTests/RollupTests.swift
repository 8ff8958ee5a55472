import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Every rollup must equal what its rows say, after inserts, triage to and from spam, and erasure.
@Suite struct RollupTests {
    static let checks: [(rollup: String, fromRows: String)] = [
        ("SELECT p.page_key, r.day, r.up, r.down, r.comments, r.down_comments, r.first_at, r.last_at FROM rollup_page_daily r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
         "SELECT page_key, received_at / 86400000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2 ORDER BY 1, 2"),
        ("SELECT page_key, day, source, up, down, comments, down_comments, first_at, last_at FROM rollup_daily ORDER BY 1, 2, 3",
         "SELECT page_key, received_at / 86400000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
        ("SELECT page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_page_total ORDER BY 1, 2",
         "SELECT page_key, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL), sum(rating = 'down' AND comment IS NOT NULL), min(received_at), max(received_at) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2 ORDER BY 1, 2"),
        ("SELECT day, source, reason, up, down, comments FROM rollup_reason_daily ORDER BY 1, 2, 3",
         "SELECT received_at / 86400000, source, coalesce(reason, ''), sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
        ("SELECT key, value, page_key, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_total ORDER BY 1, 2, 3, 4",
         "SELECT l.key, l.value, f.page_key, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at) FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"),
        ("SELECT key, value, page_key, day, source, up, down, comments, down_comments, first_at, last_at FROM rollup_label_daily ORDER BY 1, 2, 3, 4, 5",
         "SELECT l.key, l.value, f.page_key, f.received_at / 86400000, f.source, sum(f.rating = 'up'), sum(f.rating = 'down'), sum(f.comment IS NOT NULL), sum(f.rating = 'down' AND f.comment IS NOT NULL), min(f.received_at), max(f.received_at) FROM feedback f JOIN feedback_labels l ON l.feedback_id = f.id WHERE f.status <> 'spam' GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"),
        // Not a rollup, but folded the same way (migrations/0009): every row under its page, spam too.
        ("SELECT p.page_key, r.feedback_id FROM feedback_page_rows r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
         "SELECT page_key, id FROM feedback ORDER BY 1, 2"),
        ("SELECT p.page_key, r.received_at, r.feedback_id, r.reason, r.source FROM feedback_down_reasons r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2, 3",
         "SELECT page_key, received_at, id, reason, source FROM feedback WHERE rating = 'down' AND reason IS NOT NULL AND status <> 'spam' ORDER BY 1, 2, 3"),
        ("SELECT hour, source, up, down, comments FROM rollup_hourly ORDER BY 1, 2",
         "SELECT received_at / 3600000, source, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2 ORDER BY 1, 2"),
        ("SELECT p.page_key, r.hour, r.up, r.down, r.comments FROM rollup_page_hourly r JOIN pages p ON p.id = r.page_id ORDER BY 1, 2",
         "SELECT page_key, received_at / 3600000, sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam' GROUP BY 1, 2 ORDER BY 1, 2"),
    ]

    func assertConsistent(_ live: LiveApp, _ when: String) throws {
        try live.app.store.readNow { db in
            for check in Self.checks {
                let stored = try db.query(check.rollup) { row in (0..<row.columnCount).map { row.value($0) } }
                let expected = try db.query(check.fromRows) { row in (0..<row.columnCount).map { row.value($0) } }
                #expect(stored == expected, "\(when): \(check.rollup)")
            }
        }
    }

    @Test func rollupsMatchRowsThroughTriageAndErasure() throws {
        let live = try LiveApp()
        let triage = try live.token(.triage), admin = try live.token(.admin)
        let rows = try live.insertMix(count: 80)
        for i in 0..<10 { _ = try live.post(#"{"page":"/live/\#(i % 3)","rating":"\#(i % 2 == 0 ? "up" : "down")","comment":"c\#(i)","labels":{"lang":"l\#(i % 2)","v":"1"}}"#) }
        try assertConsistent(live, "after inserts")
        // Every change must have happened, or the rollups would trivially still match the untouched rows.
        for row in rows.prefix(12) {
            #expect(try live.send("PATCH", "/v1/feedback/\(row.id)", token: triage, body: #"{"status":"spam"}"#).status == 200)
        }
        #expect(try live.count("SELECT count(*) FROM feedback WHERE status = 'spam'") == 12)
        try assertConsistent(live, "after marking spam")
        for row in rows.prefix(4) {
            #expect(try live.send("PATCH", "/v1/feedback/\(row.id)", token: triage, body: #"{"status":"resolved"}"#).status == 200)
        }
        for row in rows.dropFirst(20).prefix(6) { #expect(try live.send("DELETE", "/v1/feedback/\(row.id)", token: admin).status == 204) }
        #expect(try live.send("DELETE", "/v1/feedback/\(rows[8].id)", token: admin).status == 204) // still spam
        #expect(try live.count("SELECT count(*) FROM feedback WHERE status = 'spam'") == 7)
        #expect(try live.count() == 80 + 10 - 7)
        try assertConsistent(live, "after unspam and erasure")
    }

    /// Rows are folded into rollups and search behind the writer (`DerivedData`): spam marking, erasure
    /// and follow-ups must change the rollups exactly once whether their row was folded yet or not.
    @Test func triageAndErasureStayExactOnRowsBeforeAndAfterTheirFold() throws {
        let live = try LiveApp()
        func row(_ n: Int, comment: String?) -> NewFeedback {
            NewFeedback(page: "/fold/\(n % 3)", pageKey: "/fold/\(n % 3)", rating: n % 2 == 0 ? .up : .down, reason: n % 4 == 0 ? "outdated" : nil,
                        comment: comment, source: "docs", labels: [("v", "\(n % 2)")], email: nil, userAgent: nil, origin: nil, referer: nil, clientAddress: nil)
        }
        let details = FeedbackDetails(reason: "inaccurate", comment: "added later", email: nil)
        try live.app.store.writeNow { db in
            // Everything in one turn of the writer's queue, so no timer fold runs in between.
            let ids = try db.transaction { try (0..<24).map { try FeedbackRows.insert(row($0, comment: $0 % 3 == 0 ? "first words \($0)" : nil), receivedAt: 1_700_000_000_000 + Int64($0) * 60_000, clientHash: nil, connection: db) } }
            #expect(try DerivedData.pendingRows(db) == 24)
            // Not folded yet.
            _ = try FeedbackQueries.update(ids[0], { var u = TriageUpdate(); u.status = .spam; return u }(), connection: db)
            _ = try FeedbackQueries.delete(ids[3], connection: db)
            _ = try db.transaction { try Followups.attach(details, to: ids[1], markUsed: true, maxCommentLength: 4000, connection: db) }
            try DerivedData.foldAll(connection: db)
            #expect(try DerivedData.pendingRows(db) == 0)
            // Folded.
            _ = try FeedbackQueries.update(ids[6], { var u = TriageUpdate(); u.status = .spam; return u }(), connection: db)
            _ = try FeedbackQueries.delete(ids[9], connection: db)
            _ = try db.transaction { try Followups.attach(details, to: ids[7], markUsed: true, maxCommentLength: 4000, connection: db) }
            _ = try FeedbackQueries.update(ids[0], { var u = TriageUpdate(); u.status = .new; return u }(), connection: db)
            try db.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')")
        }
        try assertConsistent(live, "after triage, erasure and follow-ups before and after the fold")
        let indexed = try live.app.store.readNow { try $0.query("SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH 'first OR added' ORDER BY rowid") { $0.int64(0) } }
        let commented = try live.app.store.readNow { try $0.query("SELECT id FROM feedback WHERE comment IS NOT NULL ORDER BY id") { $0.int64(0) } }
        #expect(indexed == commented)
    }

    /// A window covering everything answers like the all-time rollups (different tables, same numbers).
    @Test func windowedAndAllTimeAnswersAgree() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        _ = try live.insertMix(count: 100)
        for path in ["/v1/stats/pages?limit=1000", "/v1/stats/summary", "/v1/stats/sources", "/v1/stats/reasons", "/v1/stats/pages?group=section&depth=1",
                     "/v1/stats/pages?label.version=v1&limit=1000", "/v1/stats/summary?label.version=v2&source=docs"] {
            let allTime = try live.get(path, token: token)
            let windowed = try live.get(path + (path.contains("?") ? "&" : "?") + "since=60d", token: token)
            // Both must be real answers (two identical errors would also be equal), with something in them.
            #expect(allTime.status == 200 && windowed.status == 200, "\(path): \(allTime.status) \(windowed.status)")
            #expect(allTime.json?["items"].map { !(($0 as? [Any]) ?? []).isEmpty } ?? ((allTime.json?["votes"] as? Int ?? 0) > 0), "\(path): \(allTime.text)")
            #expect(allTime.text == windowed.text, "\(path)")
        }
    }
}
