import Foundation
import Postgres
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct BulkWriteTests {
    static let awkward = ["plain", "tab\there", "new\nline", "back\\slash", "\\N", "carriage\rreturn", "Grüße 世界 🌍", ""]

    private func rows(_ count: Int) -> [[any PostgresBindable]] {
        (0..<count).map { n in
            [n, Self.awkward[n % Self.awkward.count], n % 3 == 0 ? String?.none : "c\(n)", [UInt8(n & 0xFF), 0, 92, 9], Double(n) / 4]
        }
    }

    private func table(_ db: Connection) throws {
        try db.execute("CREATE TABLE bulk(id BIGINT PRIMARY KEY, t TEXT NOT NULL, c TEXT, b BYTEA, d DOUBLE PRECISION)")
    }

    private func stored(_ db: Connection) throws -> [[PostgresValue]] {
        try db.query("SELECT id, t, c, b, d FROM bulk ORDER BY id") { row in (0..<5).map(row.value) }
    }

    private func expected(_ count: Int) -> [[PostgresValue]] {
        rows(count).map { $0.map(\.postgresValue) }
    }

    @Test func pipelineStoresEveryRow() throws {
        let (db, _, _) = try freshDatabase()
        try table(db)
        #expect(try db.pipeline("INSERT INTO bulk(id, t, c, b, d) VALUES ($1, $2, $3, $4, $5)", rows(2500), chunk: 1000) == 2500)
        #expect(try stored(db) == expected(2500))
        #expect(!db.isInTransaction)
    }

    @Test func aFailingPipelineStoresNothing() throws {
        let (db, _, _) = try freshDatabase()
        try table(db)
        var batch = rows(1500)
        batch[1200] = batch[3]  // a duplicate id in the second chunk
        do {
            try db.pipeline("INSERT INTO bulk(id, t, c, b, d) VALUES ($1, $2, $3, $4, $5)", batch, chunk: 1000)
            Issue.record("a duplicate key passed")
        } catch let error as PostgresError {
            #expect(error.isUniqueViolation)
        }
        #expect(try stored(db).isEmpty)
        #expect(try db.first("SELECT 1") { $0.int(0) } == 1)
        #expect(throws: PostgresError.self) { try db.pipeline("INSERT INTO nowhere VALUES ($1)", [[1], [2]]) }
        #expect(!db.isInTransaction)
        #expect(try db.pipeline("INSERT INTO bulk(id, t) VALUES ($1, $2)", [[1, "a"], [2, "b"]], chunk: 1) == 2)
    }

    @Test func copyStoresAwkwardValuesExactly() throws {
        let (db, _, _) = try freshDatabase()
        try table(db)
        #expect(try db.copy(into: "bulk", columns: ["id", "t", "c", "b", "d"], rows: rows(3000)) == 3000)
        #expect(try stored(db) == expected(3000))
    }

    @Test func aBadCopyStoresNothing() throws {
        let (db, _, _) = try freshDatabase()
        try table(db)
        var batch = rows(100)
        batch[50] = [1]
        #expect(throws: PostgresError.self) { try db.copy(into: "bulk", columns: ["id", "t", "c", "b", "d"], rows: batch) }
        var duplicate = rows(100)
        duplicate[99] = duplicate[0]
        #expect(throws: PostgresError.self) { try db.copy(into: "bulk", columns: ["id", "t", "c", "b", "d"], rows: duplicate) }
        #expect(try stored(db).isEmpty)
        #expect(try db.copy(into: "bulk", columns: ["id", "t", "c", "b", "d"], rows: rows(10)) == 10)
    }

    /// Not a check but a measurement for docs/postgres.md: 1,000 inserts one by one (each its own
    /// transaction, as an autocommit client does), in one transaction, pipelined, and by COPY.
    @Test func measuresBatchesOfAThousand() throws {
        let (db, _, _) = try freshDatabase()
        try table(db)
        let batch = rows(1000)
        let insert = "INSERT INTO bulk(id, t, c, b, d) VALUES ($1, $2, $3, $4, $5)"
        func timed(_ label: String, _ work: () throws -> Void) throws -> String {
            try db.execute("TRUNCATE bulk")
            let start = Date()
            try work()
            let ms = Date().timeIntervalSince(start) * 1000
            #expect(try db.first("SELECT count(*) FROM bulk") { $0.int(0) } == 1000)
            return "\(label): \(String(format: "%.1f", ms)) ms"
        }
        let lines = try [
            timed("one by one, autocommit") { for row in batch { try db.cached(insert).run(row) } },
            timed("one by one, one transaction") { try db.transaction { for row in batch { try db.cached(insert).run(row) } } },
            timed("pipeline") { try db.pipeline(insert, batch) },
            timed("COPY") { try db.copy(into: "bulk", columns: ["id", "t", "c", "b", "d"], rows: batch) },
        ]
        print("PostgreSQL, 1,000 inserts: " + lines.joined(separator: "; "))
    }
}
