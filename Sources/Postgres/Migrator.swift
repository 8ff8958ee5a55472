// Re-exported: callers of the migrator name Migration and MigrationError without another import.
@_exported import SchemaMigrations

/// Applies migrations in order, each in its own transaction, recorded in `schema_migrations`:
/// the same rules as the SQLite migrator (checksums, one transaction each, a changed or unknown
/// applied migration stops everything). Instances starting together take turns on an advisory lock.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    /// The advisory lock migrations run under ("hearken migrate" in ASCII), so that only one
    /// instance of several starting at once applies them and the others find them done.
    public static let lockKey: Int64 = 0x6865_6172_6B6D_6967

    public init(migrations: [Migration]) throws(MigrationError) {
        self.migrations = try Migration.ordered(migrations)
    }

    private static let createTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations(
            version    BIGINT PRIMARY KEY,
            name       TEXT NOT NULL,
            checksum   TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """

    /// Applies pending migrations and returns the ones applied now.
    @discardableResult
    public func migrate(_ connection: Connection) throws -> [Migration] {
        try connection.advisoryLock(Self.lockKey)
        defer { _ = try? connection.advisoryUnlock(Self.lockKey) }
        try connection.execute(Self.createTable)
        let applied = try verifyApplied(connection)
        var done: [Migration] = []
        for migration in migrations where applied[migration.version] == nil {
            try connection.transaction {
                try connection.execute(migration.sql)
                try connection.run(
                    """
                    INSERT INTO schema_migrations(version, name, checksum, applied_at)
                    VALUES ($1, $2, $3, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
                    """,
                    [migration.version, migration.name, migration.checksum]
                )
            }
            done.append(migration)
        }
        return done
    }

    /// Every known or applied migration with when it was applied; also validates checksums.
    /// A database without `schema_migrations` has nothing applied.
    public func status(_ connection: Connection) throws -> [MigrationStatus] {
        let exists = try connection.first("SELECT to_regclass('schema_migrations') IS NOT NULL") { $0.bool(0) } ?? false
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
