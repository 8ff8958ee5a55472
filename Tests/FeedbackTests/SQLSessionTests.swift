import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// The SQLite adapter of the storage interface, through `any SQLSession` as the query code sees it.
@Suite struct SQLSessionTests {
    func open(_ dir: TemporaryDirectory) throws -> any SQLSession {
        let connection = try Connection(path: dir.file("s.db"))
        try connection.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT UNIQUE, b BLOB)")
        return connection
    }

    @Test func valuesRoundTripWhetherTheStatementIsKeptOrNot() throws {
        let dir = TemporaryDirectory()
        let session = try open(dir)
        #expect(session.dialect == .sqlite)
        let absent: String? = nil
        #expect(try session.insertReturningID("INSERT INTO t(i, r, s, b) VALUES (?, ?, ?, ?)", [Int64(1) << 40, 2.5, "ä", DatabaseValue.blob([0, 255, 7])]) == 1)
        #expect(try session.insertReturningID("INSERT INTO t(i, r, s, b) VALUES (?, ?, ?, ?)", [7, 0.0, absent, DatabaseValue.null]) == 2)
        #expect(session.changes == 1)
        for reuse in [true, false] {
            let rows = try session.fetch("SELECT i, r, s, b FROM t ORDER BY id", [], reuse: reuse) { row in
                (row.int64(0), row.double(1), row.optionalString(2), row.blob(3), row.isNull(3))
            }
            #expect(rows.count == 2)
            #expect(rows[0].0 == 1 << 40)
            #expect(rows[0].1 == 2.5)
            #expect(rows[0].2 == "ä")
            #expect(rows[0].3 == [0, 255, 7] && !rows[0].4)
            #expect(rows[1].0 == 7 && rows[1].2 == nil && rows[1].3 == [] && rows[1].4)
            #expect(try session.fetchFirst("SELECT s FROM t WHERE i = ?", [7], reuse: reuse) { $0.optionalString(0) } == .some(nil))
            #expect(try session.fetchFirst("SELECT s FROM t WHERE i = ?", [8], reuse: reuse) { $0.string(0) } == nil)
        }
    }

    /// The application reaches the database only through `Feedback`'s storage interface.
    @Test func onlyFeedbackImportsSQLite() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources")
        var offenders: [String] = []
        for target in ["App", "hearken"] {
            let root = sources.appendingPathComponent(target)
            let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
            #expect(!files.isEmpty)
            for file in files {
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                if text.split(separator: "\n").contains(where: { $0.hasPrefix("import SQLite") || $0.hasPrefix("@testable import SQLite") }) {
                    offenders.append("\(target)/\(file)")
                }
            }
        }
        #expect(offenders == [])
    }

    @Test func aThrowingTransactionLeavesNothingAndConstraintsAreRecognised() throws {
        let dir = TemporaryDirectory()
        let session = try open(dir)
        try session.perform("INSERT INTO t(s) VALUES ('a')")
        var violation: (any Error)?
        do {
            try session.withTransaction {
                try session.perform("INSERT INTO t(s) VALUES ('b')")
                try session.perform("INSERT INTO t(s) VALUES ('a')")
            }
        } catch {
            violation = error
        }
        #expect(violation.map(session.isConstraintViolation) == true)
        #expect(try session.fetch("SELECT s FROM t ORDER BY s") { $0.string(0) } == ["a"])
        #expect(throws: (any Error).self) { try session.execute("NOT SQL") }
        do { try session.execute("NOT SQL") } catch { #expect(!session.isConstraintViolation(error)) }
    }
}
