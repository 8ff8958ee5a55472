import Foundation
@testable import Feedback
import Postgres
import SQLite
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct SchemaTests {
    static let migrations = EmbeddedPostgresMigrations.files.compactMap { file in
        Migration.parseFileName(file.name).map { Migration(version: $0.version, name: $0.name, sql: file.text) }
    }

    private func migrated() throws -> Postgres.Connection {
        let (db, _, _) = try freshDatabase()
        try Postgres.Migrator(migrations: Self.migrations).migrate(db)
        return db
    }

    @Test func everyFileInTheFolderIsEmbedded() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../migrations/postgres")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!names.isEmpty)
        #expect(EmbeddedPostgresMigrations.files.map(\.name) == names)
        #expect(Self.migrations.count == names.count)
        // The SQLite schema is embedded apart, unchanged.
        #expect(!Schema.embeddedFiles.contains { $0.name.contains("schema") && $0.text.contains("tsvector") })
    }

    /// Every table and column of the SQLite schema exists in PostgreSQL under the same name, except
    /// what docs/postgres.md lists: FTS5's tables, the follow-up secret's move to server_secrets, and
    /// the tables SQLite's fold keeps in place of indexes by page (migrations/0009).
    @Test func hasTheTablesAndColumnsOfTheSQLiteSchema() throws {
        let db = try migrated()
        let directory = TemporaryDirectory()
        let sqlite = try SQLite.Connection(path: directory.file("schema.db"))
        try Schema.migrator().migrate(sqlite)
        let sqliteTables = try sqlite.query("""
            SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE 'feedback_fts%'
              AND m.name NOT IN ('feedback_page_rows', 'feedback_down_reasons')
            """) { "\($0.string(0)).\($0.string(1))" }
        let postgresTables = try db.query("""
            SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'
            """) { $0.string(0) }
        #expect(Set(sqliteTables).subtracting(postgresTables) == [])
        // PostgreSQL only: its search column, the shared follow-up secret, the fold queue, and the
        // lease by which one of several instances claims a webhook delivery.
        #expect(Set(postgresTables).subtracting(sqliteTables)
            == ["feedback.comment_search", "server_secrets.name", "server_secrets.secret", "feedback_unfolded.feedback_id",
                "webhook_deliveries.claimed_until"])
        #expect(try db.first("SELECT value FROM server_state WHERE name = 'derived_through'") { $0.int(0) } == 0)
    }

    private func insertFeedback(_ db: Postgres.Connection, comment: String?, page: String = "/a") throws -> Int64 {
        try db.first("""
            INSERT INTO feedback(received_at, page, page_key, rating, comment, source)
            VALUES ($1, $2, $2, 'down', $3, 'docs') RETURNING id
            """, [Int64(1_764_500_000_000), page, comment]) { $0.int64(0) } ?? 0
    }

    @Test func idsAreNeverGivenTwiceAndSearchFindsComments() throws {
        let db = try migrated()
        let first = try insertFeedback(db, comment: "The Example is BROKEN")
        let second = try insertFeedback(db, comment: nil)
        try db.run("DELETE FROM feedback WHERE id = $1", [second])
        let third = try insertFeedback(db, comment: "works fine")
        #expect(first < second && second < third)
        #expect(throws: PostgresError.self) {
            try db.run("INSERT INTO feedback(id, received_at, page, page_key, rating, source) VALUES (99, 0, '/', '/', 'up', 'x')")
        }
        let found = try db.query("SELECT id FROM feedback WHERE comment_search @@ plainto_tsquery('simple', $1)", ["broken example"]) { $0.int64(0) }
        #expect(found == [first])
        try db.run("UPDATE feedback SET comment = 'now it is broken too' WHERE id = $1", [third])
        #expect(try db.query("SELECT id FROM feedback WHERE comment_search @@ plainto_tsquery('simple', 'broken') ORDER BY id") { $0.int64(0) } == [first, third])
        let plan = try db.query("EXPLAIN SELECT id FROM feedback WHERE comment_search @@ plainto_tsquery('simple', 'broken')") { $0.string(0) }
        #expect(!plan.isEmpty)
    }

    @Test func resolutionsFollowTheStatus() throws {
        let db = try migrated()
        let id = try insertFeedback(db, comment: nil, page: "/r")
        func resolutions() throws -> [String] { try db.query("SELECT page_key FROM feedback_resolutions") { $0.string(0) } }
        try db.run("UPDATE feedback SET status = 'resolved', updated_at = 5 WHERE id = $1", [id])
        #expect(try resolutions() == ["/r"])
        #expect(try db.first("SELECT resolved_at FROM feedback_resolutions") { $0.int(0) } == 5)
        try db.run("UPDATE feedback SET status = 'triaged' WHERE id = $1", [id])
        #expect(try resolutions() == [])
        try db.run("UPDATE feedback SET status = 'resolved' WHERE id = $1", [id])
        #expect(try resolutions() == ["/r"])
        try db.run("DELETE FROM feedback WHERE id = $1", [id])
        #expect(try resolutions() == [])
    }

    @Test func sessionsGoWithTheirToken() throws {
        let db = try migrated()
        let token = try db.first("INSERT INTO api_tokens(name, scope, token_hash, created_at) VALUES ('t', 'admin', 'h', 1) RETURNING id") { $0.int64(0) }
        try db.run("INSERT INTO sessions(id_hash, token_id, created_at, last_seen_at) VALUES ('s', $1, 1, 1)", [token])
        try db.run("DELETE FROM api_tokens WHERE id = $1", [token])
        #expect(try db.first("SELECT count(*) FROM sessions") { $0.int(0) } == 0)
    }
}
