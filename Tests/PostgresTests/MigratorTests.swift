import Foundation
import Synchronization
import Postgres
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct MigratorTests {
    let first = Migration(version: 1, name: "create", sql: "CREATE TABLE a(x BIGINT);")
    let second = Migration(version: 2, name: "add", sql: "ALTER TABLE a ADD COLUMN y TEXT;")

    @Test func appliesInOrderAndRecordsEach() throws {
        let (db, _, _) = try freshDatabase()
        let migrator = try Migrator(migrations: [second, first])
        #expect(try migrator.status(db).allSatisfy { $0.appliedAt == nil })
        #expect(try migrator.migrate(db).map(\.version) == [1, 2])
        let rows = try db.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version") {
            ($0.int(0), $0.string(1), $0.string(2), $0.string(3))
        }
        #expect(rows.map(\.0) == [1, 2])
        #expect(rows.map(\.1) == ["create", "add"])
        #expect(rows[0].2 == first.checksum)
        #expect(rows[0].3.hasSuffix("Z") && rows[0].3.count == 20)
        #expect(try migrator.migrate(db).isEmpty)
        #expect(try migrator.isCurrent(db))
        try db.run("INSERT INTO a(x, y) VALUES (1, 'z')")
    }

    @Test func aFailingMigrationLeavesNothing() throws {
        let (db, _, _) = try freshDatabase()
        let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE b(x BIGINT); INSERT INTO b VALUES (1); SELECT * FROM nowhere;")
        #expect(throws: PostgresError.self) { try Migrator(migrations: [first, broken]).migrate(db) }
        #expect(try db.query("SELECT version FROM schema_migrations") { $0.int(0) } == [1])
        #expect(try db.first("SELECT to_regclass('b') IS NULL") { $0.bool(0) } == true)
        #expect(!db.isInTransaction)
        // SQL that runs but makes its own record fail: the record and the SQL go together.
        let unrecordable = Migration(version: 2, name: "unrecordable",
                                     sql: "CREATE TABLE c(x BIGINT); ALTER TABLE schema_migrations ADD CONSTRAINT only_one CHECK (version < 2);")
        #expect(throws: PostgresError.self) { try Migrator(migrations: [first, unrecordable]).migrate(db) }
        #expect(try db.first("SELECT to_regclass('c') IS NULL") { $0.bool(0) } == true)
        #expect(try db.query("SELECT version FROM schema_migrations") { $0.int(0) } == [1])
    }

    @Test func refusesAChangedOrUnknownMigration() throws {
        let (db, _, _) = try freshDatabase()
        try Migrator(migrations: [first, second]).migrate(db)
        let edited = Migration(version: 1, name: "create", sql: "CREATE TABLE a(x BIGINT, z TEXT);")
        #expect(throws: MigrationError.changed(version: 1, name: "create")) { try Migrator(migrations: [edited, second]).migrate(db) }
        #expect(throws: MigrationError.changed(version: 1, name: "create")) { try Migrator(migrations: [edited, second]).status(db) }
        #expect(throws: MigrationError.missing(version: 2, name: "add")) { try Migrator(migrations: [first]).migrate(db) }
    }

    @Test func instancesStartingTogetherApplyEachMigrationOnce() throws {
        let (_, server, database) = try freshDatabase()
        let slow = Migration(version: 1, name: "slow", sql: "SELECT pg_sleep(0.2); CREATE TABLE once(x BIGINT);")
        let migrator = try Migrator(migrations: [slow])
        let instances = try (0..<3).map { try DatabaseQueue(server.connectionString(database: database), label: "migrate.\($0)") }
        let applied = Mutex<[Int]>([])
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: instances.count) { index in
            do {
                let done = try instances[index].sync { try migrator.migrate($0) }
                applied.withLock { $0.append(done.count) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(applied.withLock { $0 }.sorted() == [0, 0, 1])
    }
}
