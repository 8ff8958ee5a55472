import Testing
import TestSupport
@testable import SQLite

@Suite struct ConnectionTests {
    /// The process-wide settings only take before SQLite initializes: the first connection applies them.
    @Test func librarySettingsTookEffect() throws {
        let dir = TemporaryDirectory()
        _ = try Connection(path: dir.file("c.db"))
        #expect(Connection.libraryConfigured)
    }

    @Test func bindsAndReadsEveryType() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(i INTEGER, r REAL, s TEXT, b BLOB, n TEXT)")
        try db.run("INSERT INTO t VALUES (?, ?, ?, ?, ?)", [42, 2.5, "héllo \u{1F600}", SQLValue.blob([0, 1, 255]), String?.none])
        let row = try db.first("SELECT i, r, s, b, n FROM t") { row in
            (row.int(0), row.double(1), row.string(2), row.value(3), row.optionalString(4))
        }
        #expect(row?.0 == 42)
        #expect(row?.1 == 2.5)
        #expect(row?.2 == "héllo \u{1F600}")
        #expect(row?.3 == .blob([0, 1, 255]))
        #expect(row?.4 == nil)
    }

    @Test func errorsCarryCodeMessageAndSQL() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        do {
            try db.run("SELECT * FROM missing")
            Issue.record("expected an error")
        } catch {
            #expect(error.primaryCode == 1) // SQLITE_ERROR
            #expect(error.message.contains("no such table"))
            #expect(error.sql == "SELECT * FROM missing")
        }
    }

    @Test func constraintViolationIsReported() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t(v) VALUES (?)", [String?.none]) }
        let error = #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t(v) VALUES (NULL)") }
        #expect(error?.isConstraint == true)
    }

    @Test func wrongParameterCountIsAnError() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(a, b)")
        #expect(throws: SQLiteError.self) { try db.run("INSERT INTO t VALUES (?, ?)", [1]) }
    }

    @Test func transactionCommitsOrRollsBack() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(v INTEGER)")
        try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(try db.query("SELECT v FROM t") { $0.int(0) } == [1])
        #expect(!db.isInTransaction)
    }

    @Test func cachedStatementsAreReusedAcrossCalls() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(v INTEGER)")
        let first = try db.cached("INSERT INTO t VALUES (?)")
        for i in 0..<100 { try db.run("INSERT INTO t VALUES (?)", [i]) }
        #expect(try db.cached("INSERT INTO t VALUES (?)") === first)
        #expect(try db.first("SELECT count(*), sum(v) FROM t") { ($0.int(0), $0.int(1)) }! == (100, 4950))
    }

    @Test func opensInWALWithForeignKeys() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        #expect(try db.first("PRAGMA journal_mode") { $0.string(0) } == "wal")
        #expect(try db.first("PRAGMA foreign_keys") { $0.int(0) } == 1)
        #expect(try db.first("PRAGMA synchronous") { $0.int(0) } == 2) // FULL
        let normal = try Connection(path: dir.file("n.db"), options: ConnectionOptions(durability: .normal))
        #expect(try normal.first("PRAGMA synchronous") { $0.int(0) } == 1)
    }

    @Test func readOnlyConnectionCannotWrite() throws {
        let dir = TemporaryDirectory()
        let writer = try Connection(path: dir.file("t.db"))
        try writer.execute("CREATE TABLE t(v)")
        let reader = try Connection(path: dir.file("t.db"), options: ConnectionOptions(readOnly: true))
        #expect(throws: SQLiteError.self) { try reader.run("INSERT INTO t VALUES (1)") }
    }

    @Test func openingAMissingDirectoryFailsCleanly() {
        #expect(throws: SQLiteError.self) { try Connection(path: "/nonexistent-dir/x/y.db") }
    }

    @Test func fullDatabaseReportsFull() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(v TEXT)")
        let pages = try db.first("PRAGMA page_count") { $0.int(0) } ?? 0
        try db.execute("PRAGMA max_page_count=\(pages + 2)")
        var sawFull = false
        do {
            try db.transaction {
                for _ in 0..<1000 { try db.run("INSERT INTO t VALUES (?)", [String(repeating: "x", count: 4000)]) }
            }
        } catch let error as SQLiteError {
            sawFull = error.isFull
        }
        #expect(sawFull)
        #expect(!db.isInTransaction)
    }

    @Test func databaseQueueSerializesWork() throws {
        let dir = TemporaryDirectory()
        let queue = try DatabaseQueue(path: dir.file("t.db"), options: ConnectionOptions(), label: "test")
        try queue.sync { try $0.execute("CREATE TABLE t(v INTEGER)") }
        let group = DispatchGroupBox()
        for i in 0..<50 {
            group.enter()
            queue.async { connection in
                try? connection.run("INSERT INTO t VALUES (?)", [i])
                group.leave()
            }
        }
        group.wait()
        #expect(try queue.sync { try $0.first("SELECT count(*) FROM t") { $0.int(0) } } == 50)
        queue.close()
    }
}

import Dispatch
final class DispatchGroupBox: Sendable {
    let group = DispatchGroup()
    func enter() { group.enter() }
    func leave() { group.leave() }
    func wait() { group.wait() }
}
