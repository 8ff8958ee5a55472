import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct ConnectionTests {
    @Test func connectsWithKeyValuesAndWithURIs() throws {
        let (connection, server, database) = try freshDatabase()
        #expect(connection.isConnected)
        #expect(connection.serverVersion >= 140000)
        let viaURI = try Connection(server.url(database: database))
        #expect(try viaURI.first("SELECT current_database()") { $0.string(0) } == database)
        let viaShortScheme = try Connection(server.url(database: database).replacingOccurrences(of: "postgresql://", with: "postgres://"))
        #expect(try viaShortScheme.first("SELECT 1") { $0.int(0) } == 1)
        #expect(try connection.first("SHOW client_encoding") { $0.string(0) } == "UTF8")
    }

    @Test func bindsAndReadsEveryType() throws {
        let (db, _, _) = try freshDatabase()
        try db.execute("CREATE TABLE v(i BIGINT, d DOUBLE PRECISION, t TEXT, b BYTEA, f BOOLEAN, n INTEGER)")
        let allBytes = (0...255).map(UInt8.init)
        let text = "Grüße, 世界 🌍 'quoted' \"double\" \\ back\ttab\nline"
        let values: [[any PostgresBindable]] = [
            [Int64.max, 1e-5, text, allBytes, true, 7],
            [Int64.min, -Double.infinity, "", [UInt8](), false, Int?.none],
            [0, Double.pi, String?.none, [UInt8]?.none, Bool?.none, -1],
        ]
        for row in values { try db.run("INSERT INTO v VALUES ($1, $2, $3, $4, $5, $6)", row) }
        let rows = try db.query("SELECT i, d, t, b, f, n FROM v ORDER BY f DESC NULLS LAST") { row in
            (row.int64(0), row.double(1), row.optionalString(2), row.isNull(3) ? nil : row.bytes(3), row.value(4), row.optionalInt(5))
        }
        #expect(rows.count == 3)
        #expect(rows[0].0 == Int64.max && rows[0].1 == 1e-5 && rows[0].2 == text && rows[0].3 == allBytes)
        #expect(rows[0].4 == .bool(true) && rows[0].5 == 7)
        #expect(rows[1].0 == Int64.min && rows[1].1 == -Double.infinity && rows[1].2 == "" && rows[1].3 == [])
        #expect(rows[1].4 == .bool(false) && rows[1].5 == nil)
        #expect(rows[2].1 == Double.pi && rows[2].2 == nil && rows[2].3 == nil && rows[2].4 == .null)
        let typed = try db.first("SELECT i, d, t, b, n FROM v WHERE i = $1", [Int64.max]) { row in (0..<5).map(row.value) }
        #expect(typed == [.integer(Int64.max), .real(1e-5), .text(text), .bytes(allBytes), .integer(7)])
        #expect(try db.first("SELECT 'NaN'::float8") { $0.double(0) }?.isNaN == true)
        // An untyped text parameter is inferred from its use, so strings fill dates and JSON too.
        #expect(try db.first("SELECT $1::date + 1", ["2026-11-30"]) { $0.string(0) } == "2026-12-01")
    }

    @Test func textWithNULIsRefusedNotCut() throws {
        let (db, _, _) = try freshDatabase()
        #expect(throws: PostgresError.self) { try db.run("SELECT $1::text", ["a\u{0}b"]) }
        #expect(try db.first("SELECT 1") { $0.int(0) } == 1)
    }

    @Test func preparedStatementsRunRepeatedly() throws {
        let (db, _, _) = try freshDatabase()
        try db.execute("CREATE TABLE p(id BIGINT PRIMARY KEY, name TEXT)")
        let insert = try db.cached("INSERT INTO p(id, name) VALUES ($1, $2)")
        for id in 1...50 { try insert.run([id, "n\(id)"]) }
        #expect(try db.cached("INSERT INTO p(id, name) VALUES ($1, $2)").name == insert.name)
        #expect(try db.cached("SELECT count(*) FROM p WHERE id > $1").first([10]) { $0.int(0) } == 40)
        #expect(try db.first("SELECT count(*) FROM pg_prepared_statements") { $0.int(0) } == 2)
        #expect(try db.cached("UPDATE p SET name = $1 WHERE id <= $2").run(["x", 5]) == 5)
    }

    /// A server that forgot the session's statements (a pooler, a DEALLOCATE) costs one failed
    /// statement at most: outside a transaction it is prepared again at once, inside one by the next use.
    @Test func aStatementTheServerForgotIsPreparedAgain() throws {
        let (db, _, _) = try freshDatabase()
        let count = "SELECT count(*) FROM pg_class WHERE relname = $1"
        #expect(try db.cached(count).first(["pg_class"]) { $0.int(0) } == 1)
        try db.execute("DEALLOCATE ALL")
        #expect(try db.cached(count).first(["pg_class"]) { $0.int(0) } == 1)

        try db.execute("DEALLOCATE ALL")
        #expect(throws: PostgresError.self) { try db.transaction { try db.cached(count).first(["pg_class"]) { $0.int(0) } } }
        #expect(try db.transaction { try db.cached(count).first(["pg_class"]) { $0.int(0) } } == 1)
    }

    @Test func noticesGoToTheHandlerOrNowhere() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let seen = Mutex<[String]>([])
        let db = try Connection(server.connectionString(database: database)) { message in seen.withLock { $0.append(message) } }
        try db.execute("DO $$ BEGIN RAISE NOTICE 'hello from the server'; END $$")
        #expect(seen.withLock { $0 }.contains { $0.contains("hello from the server") })
        let quiet = try Connection(server.connectionString(database: database))
        try quiet.execute("DO $$ BEGIN RAISE NOTICE 'nobody listens'; END $$")
    }

    @Test func errorsCarryTheirSQLState() throws {
        let (db, _, _) = try freshDatabase()
        try db.execute("CREATE TABLE u(k TEXT CONSTRAINT u_key UNIQUE)")
        try db.run("INSERT INTO u VALUES ($1)", ["secret-value"])
        do {
            try db.run("INSERT INTO u VALUES ($1)", ["secret-value"])
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.sqlState == "23505")
            #expect(error.isUniqueViolation && !error.isConnectionFailure && !error.isSerializationFailure)
            #expect(error.constraint == "u_key")
            #expect(error.detail?.contains("secret-value") == true)
            // The detail quotes the row; the description, which reaches logs, does not.
            #expect(!error.description.contains("secret-value"))
            #expect(error.description.contains("23505"))
        }
        do {
            try db.execute("SELEC 1")
            Issue.record("a syntax error passed")
        } catch {
            #expect(error.sqlState == "42601")
        }
    }

    @Test func queueConfinesTheConnection() throws {
        let server = try PostgresServer.shared()
        let queue = try DatabaseQueue(server.connectionString(database: server.createDatabase()), label: "test.pg")
        try queue.sync { try $0.execute("CREATE TABLE q(n BIGINT)") }
        DispatchQueue.concurrentPerform(iterations: 20) { n in
            _ = try? queue.sync { try $0.run("INSERT INTO q VALUES ($1)", [n]) }
        }
        #expect(try queue.sync { try $0.first("SELECT count(*), sum(n) FROM q") { [$0.int(0), $0.int(1)] } } == [20, 190])
        queue.close()
    }

    @Test func runsAsThePostgresUserWhenRoot() throws {
        let server = try PostgresServer.shared()
        let user = try server.serverUser()
        if geteuid() == 0 { #expect(user == "postgres") } else { #expect(user != "root") }
    }
}
