import Foundation
// Re-exported: callers of the migrator name Migration and MigrationError as before.
@_exported import SchemaMigrations

/// Applies migrations in order, each in its own transaction, recorded in `schema_migrations`.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) throws(MigrationError) {
        self.migrations = try Migration.ordered(migrations)
    }

    private static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations(
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            checksum TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """

    /// Applies pending migrations and returns the ones applied now.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Migration] {
        try connection.execute(Self.createTable)
        let applied = try verifyApplied(connection)
        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            try connection.transaction(.immediate) {
                try connection.execute(migration.sql)
                try connection.run(
                    "INSERT INTO schema_migrations(version, name, checksum, applied_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
                    [migration.version, migration.name, migration.checksum]
                )
            }
            done.append(migration)
        }
        return done
    }

    /// Every known or applied migration with when it was applied; also validates checksums.
    /// Works on read-only connections: a database without `schema_migrations` has nothing applied.
    public func status(_ connection: Connection) throws -> [MigrationStatus] {
        let exists = try connection.first("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'") { _ in true } ?? false
        guard exists else { return migrations.map { MigrationStatus(version: $0.version, name: $0.name, appliedAt: nil) } }
        _ = try verifyApplied(connection)
        let appliedAt = try Dictionary(uniqueKeysWithValues: connection.query(
            "SELECT version, applied_at FROM schema_migrations") { ($0.int(0), $0.string(1)) })
        return migrations.map { MigrationStatus(version: $0.version, name: $0.name, appliedAt: appliedAt[$0.version]) }
    }

    /// True when every known migration is applied.
    public func isCurrent(_ connection: Connection) throws -> Bool {
        try status(connection).allSatisfy { $0.appliedAt != nil }
    }

    private func verifyApplied(_ connection: Connection) throws -> [Int: String] {
        let rows = try connection.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version") {
            ($0.int(0), $0.string(1), $0.string(2))
        }
        return try Migration.verify(applied: rows, known: migrations)
    }
}
