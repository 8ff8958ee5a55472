import Testing
import TestSupport
@testable import SQLite

@Suite struct MigratorTests {
    let first = Migration(version: 1, name: "create", sql: "CREATE TABLE a(x INTEGER);")
    let second = Migration(version: 2, name: "add", sql: "ALTER TABLE a ADD COLUMN y TEXT;")

    @Test func appliesInOrderAndRecordsEach() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("m.db"))
        let migrator = try Migrator(migrations: [second, first])
        let applied = try migrator.migrate(db)
        #expect(applied.map(\.version) == [1, 2])
        let rows = try db.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version") { ($0.int(0), $0.string(1), $0.string(2)) }
        #expect(rows.map(\.0) == [1, 2])
        #expect(rows.map(\.1) == ["create", "add"])
        #expect(rows[0].2 == first.checksum)
        #expect(try migrator.migrate(db).isEmpty)
        try db.run("INSERT INTO a(x, y) VALUES (1, 'z')")
    }

    @Test func failedMigrationRollsBackAlone() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("m.db"))
        let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE b(x); SELECT * FROM nowhere;")
        #expect(throws: SQLiteError.self) { try Migrator(migrations: [first, broken]).migrate(db) }
        #expect(try db.query("SELECT version FROM schema_migrations") { $0.int(0) } == [1])
        #expect(try db.query("SELECT name FROM sqlite_master WHERE name = 'b'") { $0.string(0) }.isEmpty)
    }

    @Test func changedMigrationStopsStartup() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("m.db"))
        try Migrator(migrations: [first]).migrate(db)
        let edited = Migration(version: 1, name: "create", sql: "CREATE TABLE a(x INTEGER, z TEXT);")
        #expect(throws: MigrationError.changed(version: 1, name: "create")) { try Migrator(migrations: [edited]).migrate(db) }
    }

    @Test func missingMigrationStopsStartup() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("m.db"))
        try Migrator(migrations: [first, second]).migrate(db)
        #expect(throws: MigrationError.missing(version: 2, name: "add")) { try Migrator(migrations: [first]).migrate(db) }
    }

    @Test func duplicateVersionsAreRejected() {
        #expect(throws: MigrationError.duplicateVersion(1)) {
            try Migrator(migrations: [first, Migration(version: 1, name: "other", sql: "")])
        }
    }

    @Test func statusListsPendingAndApplied() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("m.db"))
        try Migrator(migrations: [first]).migrate(db)
        let status = try Migrator(migrations: [first, second]).status(db)
        #expect(status.map(\.version) == [1, 2])
        #expect(status[0].appliedAt != nil)
        #expect(status[1].appliedAt == nil)
    }

    @Test func parsesFileNames() {
        #expect(Migration.parseFileName("0001_initial.sql")! == (1, "initial"))
        #expect(Migration.parseFileName("0012_add_rollups.sql")! == (12, "add_rollups"))
        #expect(Migration.parseFileName("initial.sql") == nil)
        #expect(Migration.parseFileName("0001_initial.txt") == nil)
        #expect(Migration.parseFileName("0000_zero.sql") == nil)
        #expect(Migration.parseFileName("0001_.sql") == nil)
    }
}
