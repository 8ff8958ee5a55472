import Foundation
import Postgres
import Testing
import TestSupport
@testable import Feedback

/// The PostgreSQL adapter of the storage interface, through `any SQLSession` as the query code sees it,
/// on a real server (TestSupport's PostgresServer).
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresSessionTests {
    func open(migrations: [Migration] = []) throws -> PostgresSession {
        let server = try PostgresServer.shared()
        let session = try PostgresDatabase.open(server.url(database: try server.createDatabase()), migrations: migrations)
        try session.execute("CREATE TABLE t(id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, i BIGINT, r DOUBLE PRECISION, s TEXT UNIQUE, b BYTEA)")
        return session
    }

    @Test func valuesRoundTripWhetherTheStatementIsKeptOrNot() throws {
        let session: any SQLSession = try open()
        #expect(session.dialect == .postgres)
        let absent: String? = nil
        #expect(try session.insertReturningID("INSERT INTO t(i, r, s, b) VALUES (?, ?, ?, ?)", [Int64(1) << 40, 2.5, "ä ?", DatabaseValue.blob([0, 255, 7])]) == 1)
        #expect(try session.insertReturningID("INSERT INTO t(i, r, s, b) VALUES (?, ?, ?, ?)", [7, 0.0, absent, DatabaseValue.null]) == 2)
        #expect(session.changes == 1)
        for reuse in [true, false] {
            let rows = try session.fetch("SELECT i, r, s, b, s IS NULL FROM t ORDER BY id", [], reuse: reuse) { row in
                (row.int64(0), row.double(1), row.optionalString(2), row.blob(3), row.isNull(3), row.int(4))
            }
            #expect(rows.count == 2)
            #expect(rows[0].0 == 1 << 40)
            #expect(rows[0].1 == 2.5)
            #expect(rows[0].2 == "ä ?")
            #expect(rows[0].3 == [0, 255, 7] && !rows[0].4)
            #expect(rows[1].0 == 7 && rows[1].2 == nil && rows[1].3 == [] && rows[1].4)
            // Booleans read as SQLite's 1 and 0.
            #expect(rows[0].5 == 0 && rows[1].5 == 1)
            #expect(try session.fetchFirst("SELECT s FROM t WHERE i = ?", [7], reuse: reuse) { $0.optionalString(0) } == .some(nil))
            #expect(try session.fetchFirst("SELECT s FROM t WHERE i = ? AND s <> '?'", [8], reuse: reuse) { $0.string(0) } == nil)
        }
        try session.perform("UPDATE t SET r = r + ?", [1.0], reuse: false)
        #expect(session.changes == 2)
    }

    @Test func aParameterInASelectListStoresAsANumberWhenKept() throws {
        let session = try open()
        // INSERT … SELECT ?: untyped, the server would read the parameter as text.
        try session.perform("INSERT INTO t(i, s) SELECT ?, ? WHERE ? > 0", [Int64(42), "x", 1])
        #expect(try session.fetchFirst("SELECT i FROM t WHERE s = 'x'") { $0.int64(0) } == 42)
    }

    @Test func keptStatementsAreBoundedLeastRecentlyUsedFirst() throws {
        let server = try PostgresServer.shared()
        let connection = try Postgres.Connection(server.url(database: try server.createDatabase()))
        let session = PostgresSession(connection, statementCapacity: 3)
        func prepared() throws -> [String] {
            try connection.query("SELECT statement FROM pg_prepared_statements ORDER BY statement") { $0.string(0) }
        }
        for n in 1...3 { _ = try session.fetchFirst("SELECT \(n) + ?", [1]) { $0.int(0) } }
        _ = try session.fetchFirst("SELECT 1 + ?", [1]) { $0.int(0) }
        _ = try session.fetchFirst("SELECT 4 + ?", [1]) { $0.int(0) }
        // "SELECT 2" was the least recently used of three.
        #expect(try prepared() == ["SELECT 1 + $1", "SELECT 3 + $1", "SELECT 4 + $1"])
        // Built per call: never kept.
        _ = try session.fetchFirst("SELECT 5 + ?", [1], reuse: false) { $0.int(0) }
        #expect(try prepared().count == 3)
        #expect(try session.fetchFirst("SELECT 2 + ?", [1]) { $0.int(0) } == 3)
    }

    @Test func aStatementPreparedBeforeAResetIsPreparedAgain() throws {
        let session = try open()
        #expect(try session.fetchFirst("SELECT count(*) + ? FROM t", [1]) { $0.int(0) } == 1)
        try session.connection.reset()
        #expect(try session.fetchFirst("SELECT count(*) + ? FROM t", [2]) { $0.int(0) } == 2)
    }

    @Test func constraintViolationsAreClass23AndTransactionsRollBack() throws {
        let session = try open()
        try session.perform("INSERT INTO t(s) VALUES (?)", ["a"])
        do {
            try session.perform("INSERT INTO t(s) VALUES (?)", ["a"])
            Issue.record("a duplicate unique value was stored")
        } catch {
            #expect(session.isConstraintViolation(error))
        }
        do {
            try session.perform("SELECT 1/0", [])
        } catch {
            #expect(!session.isConstraintViolation(error))
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            try session.withTransaction {
                try session.perform("INSERT INTO t(s) VALUES (?)", ["b"])
                throw Stop()
            }
        }
        let kept: Int = try session.withTransaction {
            try session.perform("INSERT INTO t(s) VALUES (?)", ["c"])
            return session.changes
        }
        #expect(kept == 1)
        #expect(try session.fetch("SELECT s FROM t ORDER BY s") { $0.string(0) } == ["a", "c"])
    }

    @Test func openingAnUnreachableDatabaseFailsWithoutThePassword() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-server-\(UUID().uuidString)").path
        do {
            _ = try PostgresDatabase.open("postgresql://hearken:s3cret-pw@/hearken?host=\(missing)&connect_timeout=5")
            Issue.record("opened a database on a server that does not exist")
        } catch {
            let text = "\(error)"
            #expect(!text.contains("s3cret-pw") && text.contains("***"), "\(text)")
            #expect((error as? PostgresError)?.isConnectionFailure == true)
        }
    }

    @Test func openingAppliesTheEmbeddedSchemaOnceAndAnnotationsGetTheirIDs() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        #expect(!PostgresSchema.migrations.isEmpty)
        #expect(PostgresDatabase.isConnectionString(url) && PostgresDatabase.isConnectionString("postgres://h/db"))
        #expect(!PostgresDatabase.isConnectionString("/var/lib/hearken/h.db"))
        #expect(try PostgresDatabase.migrations(url).allSatisfy { $0.appliedAt == nil })
        let first = try PostgresDatabase.open(url)
        let status = try PostgresDatabase.migrations(url)
        #expect(status.map(\.version) == PostgresSchema.migrations.map(\.version) && status.allSatisfy { $0.appliedAt != nil })
        let again = try PostgresDatabase.open(url)
        let applied = try again.fetch("SELECT version FROM schema_migrations ORDER BY version") { $0.int(0) }
        #expect(applied == PostgresSchema.migrations.map(\.version))
        // Writes outside ingestion that return ids work through the editor.
        let editor = FeedbackEditor(session: first, drops: DropCounter())
        let a = try editor.createAnnotation(NewAnnotation(at: 1000, page: "/a", pagePrefix: nil, note: "n", url: nil, createdBy: "cli"))
        let b = try editor.createAnnotation(NewAnnotation(at: 2000, page: nil, pagePrefix: "/", note: "m", url: nil, createdBy: nil))
        #expect(a.id == 1 && b.id == 2)
        let listed = try PostgresDatabase.reader(again).annotations(AnnotationFilter(), limit: 10)
        #expect(listed.map(\.id) == [2, 1])
        // INSERT OR IGNORE is ON CONFLICT DO NOTHING here.
        #expect(try editor.markDigestSent(scheduledAt: 5, now: 6))
        #expect(try !editor.markDigestSent(scheduledAt: 5, now: 7))
        #expect(try PostgresDatabase.reader(again).digestWasSent(scheduledAt: 5))
    }
}

/// Writes outside ingestion, through `FeedbackEditor`, on PostgreSQL: they take the same SQL as on
/// SQLite, and what they wrote reads back through `FeedbackReader`.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresEditorTests {
    @Test func tokensSessionsAndWebhooksAreWrittenAndReadBack() throws {
        let server = try PostgresServer.shared()
        let session = try PostgresDatabase.open(server.url(database: try server.createDatabase()))
        let editor = FeedbackEditor(session: session, drops: DropCounter())
        let reader = PostgresDatabase.reader(session)
        let secret = try editor.createToken(name: "ci", scope: .triage)
        // A taken name is a constraint violation (SQLSTATE 23505) turned into the domain's error.
        #expect(throws: TokenError.nameTaken("ci")) { try editor.createToken(name: "ci", scope: .read) }
        #expect(try reader.authenticate(token: secret)?.name == "ci")
        // INSERT … SELECT ?, id, ?, ?: the bound numbers land in BIGINT columns.
        let now: Int64 = 1_795_435_200_000
        let cookie = try editor.createDashboardSession(tokenName: "ci", now: now)
        #expect(try reader.dashboardSession(cookie, now: now + 60_000, lifetime: SessionLifetime())?.token.name == "ci")
        let hook = try editor.createWebhook(url: "https://hooks.example.com/a", format: .slack, events: [.fix], secret: nil)
        let second = try editor.createWebhook(url: "https://hooks.example.com/b", format: .json, events: [.finding], secret: nil)
        #expect(hook.id == 1 && second.id == 2)
        let delivery = try editor.enqueue(event: "test", to: second, body: "{}", now: now)
        #expect(try reader.deliveries(webhookID: second.id, limit: 5, before: nil).map(\.id) == [delivery])
        #expect(try editor.revokeToken(name: "ci"))
        #expect(try reader.authenticate(token: secret) == nil)
    }
}
