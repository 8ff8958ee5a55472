import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Feedback ids are never given out twice (migrations/0005): a follow-up token names an id, and an
/// erased record's token must never reach a later reader's record.
@Suite struct IdReuseTests {
    @Test func anErasedNewestRecordsFollowupTokenNeverWritesIntoTheNextRecord() throws {
        let live = try LiveApp()
        let admin = try live.token(.admin), read = try live.token(.read)
        _ = try live.post(#"{"page":"/older","rating":"up"}"#)
        let erased = try live.post(#"{"page":"/erased","rating":"down"}"#)
        #expect(erased.status == 201)
        let erasedID = try #require(erased.json?["id"] as? Int)
        let erasedURL = try #require(erased.json?["followup_url"] as? String)
        let erasedToken = try #require(erased.json?["followup_token"] as? String)
        #expect(try live.send("DELETE", "/v1/feedback/\(erasedID)", token: admin).status == 204)

        let next = try live.post(#"{"page":"/next","rating":"up"}"#)
        #expect(next.status == 201)
        let nextID = try #require(next.json?["id"] as? Int)
        #expect(nextID > erasedID, "the erased newest record's id was given out again")

        let late = try RawClient.request(port: live.port, "POST", erasedURL, body: #"{"token":"\#(erasedToken)","comment":"written by the first reader"}"#)
        #expect(late.status == 404)
        let record = try live.get("/v1/feedback/\(nextID)", token: read)
        #expect(record.status == 200)
        #expect(record.json?["comment"] == nil || record.json?["comment"] is NSNull)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL") == 0)
    }

    @Test func idsStayMonotonicAcrossARestart() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("h.db")
        var options = StorageOptions(path: path)
        options.duplicateWindowSeconds = 0
        var erased: Int64 = 0
        do {
            let store = try FeedbackStore(options: options)
            erased = try store.writeNow { db in
                try db.run("INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (1, '/a', '/a', 'up', 'docs')")
                let id = db.lastInsertRowID
                _ = try FeedbackQueries.delete(id, connection: db)
                return id
            }
            store.close()
        }
        let store = try FeedbackStore(options: options)
        defer { store.close() }
        let next = try store.writeNow { db in
            try db.run("INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (2, '/b', '/b', 'up', 'docs')")
            return db.lastInsertRowID
        }
        #expect(next > erased)
    }

    @Test func migratingKeepsEveryIdLabelAndSearchEntry() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("old.db")
        let connection = try Connection(path: path, options: ConnectionOptions())
        defer { connection.close() }
        _ = try Migrator(migrations: Schema.migrations.filter { $0.version <= 4 }).migrate(connection)
        try connection.transaction {
            for id in [3, 7, 9] as [Int64] {
                try connection.run("INSERT INTO feedback(id, received_at, page, page_key, rating, comment, source) VALUES (?, ?, '/a', '/a', 'up', ?, 'docs')",
                                   [id, id, "words \(id)"])
                try connection.run("INSERT INTO feedback_labels(feedback_id, key, value) VALUES (?, 'v', ?)", [id, "\(id)"])
            }
            try connection.run("INSERT INTO feedback_fts(rowid, comment) SELECT id, comment FROM feedback")
            try connection.run("DELETE FROM feedback_fts_pending")
            try connection.run("INSERT INTO idempotency_keys(key_hash, feedback_id, status, created_at) VALUES (x'00', 12, 201, 0)")
        }
        _ = try Schema.migrator().migrate(connection)
        #expect(try connection.query("SELECT id FROM feedback ORDER BY id") { $0.int64(0) } == [3, 7, 9])
        #expect(try connection.query("SELECT feedback_id || value FROM feedback_labels ORDER BY 1") { $0.string(0) } == ["33", "77", "99"])
        #expect(try connection.query("PRAGMA foreign_key_check") { $0.string(0) }.isEmpty)
        // An id an idempotency key still names is not given out again either.
        try connection.run("INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (1, '/b', '/b', 'up', 'docs')")
        #expect(connection.lastInsertRowID == 13)
        try connection.execute("INSERT INTO feedback_fts(feedback_fts) VALUES ('integrity-check')")
    }
}
