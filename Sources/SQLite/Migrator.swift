import Foundation

/// One numbered schema change, as found in `migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses a file name such as `0001_initial.sql` into its version and name.
    public static func parseFileName(_ fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let version = Int(digits), version > 0 else { return nil }
        let name = String(stem[stem.index(after: underscore)...])
        guard !name.isEmpty else { return nil }
        return (version, name)
    }

    /// FNV-1a 64 of the SQL text: detects an edited migration; not a security measure.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case duplicateVersion(Int)
    case changed(version: Int, name: String)
    case missing(version: Int, name: String)

    public var description: String {
        switch self {
        case .duplicateVersion(let v):
            return "two migrations share version \(v)"
        case .changed(let v, let name):
            return "migration \(v) (\(name)) was already applied but its SQL has changed since; restore the original file and add a new migration instead"
        case .missing(let v, let name):
            return "the database has migration \(v) (\(name)) applied, but this build does not know it; is the binary older than the database?"
        }
    }
}

/// The state of one migration in a database.
public struct MigrationStatus: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let appliedAt: String?
}

/// Applies migrations in order, each in its own transaction, recorded in `schema_migrations`.
public struct Migrator: Sendable {
    public let migrations: [Migration]

    public init(migrations: [Migration]) throws(MigrationError) {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw .duplicateVersion(a.version)
        }
        self.migrations = sorted
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
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        var applied: [Int: String] = [:]
        for (version, name, checksum) in rows {
            guard let migration = known[version] else { throw MigrationError.missing(version: version, name: name) }
            guard migration.checksum == checksum else { throw MigrationError.changed(version: version, name: name) }
            applied[version] = checksum
        }
        return applied
    }
}
