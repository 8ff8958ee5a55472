import SQLite

/// One migration's state in a database.
public struct SchemaMigration: Sendable, Equatable {
    public let version: Int
    public let name: String
    /// When it was applied; nil while pending.
    public let appliedAt: String?
}

/// Maintenance on a database file without opening a `FeedbackStore` (command-line tools): these
/// must not migrate, fold or write when they only look.
public enum DatabaseFile {
    /// Copies the database to `target` with SQLite's online backup API, while a server may be writing.
    public static func backup(_ path: String, to target: String) throws {
        let source = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        defer { source.close() }
        try source.backup(to: target)
    }

    /// Migrations this build brings.
    public static var migrationCount: Int { Schema.migrations.count }

    /// Integrity problems (empty when none) and the migrations not applied.
    public static func check(_ path: String) throws -> (problems: [String], pending: [SchemaMigration]) {
        let connection = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        defer { connection.close() }
        let problems = try connection.integrityCheck().filter { $0 != "ok" }
        return (problems, try status(connection).filter { $0.appliedAt == nil })
    }

    /// Every migration and when it was applied.
    public static func migrations(_ path: String) throws -> [SchemaMigration] {
        let connection = try Connection(path: path)
        defer { connection.close() }
        return try status(connection)
    }

    /// Applies pending migrations; returns those applied. Throws `StoreError.migration` when one fails.
    public static func migrate(_ path: String) throws -> [SchemaMigration] {
        let connection = try Connection(path: path)
        defer { connection.close() }
        do {
            return try Schema.migrator().migrate(connection).map { SchemaMigration(version: $0.version, name: $0.name, appliedAt: nil) }
        } catch let error as MigrationError {
            throw StoreError.migration(error.description)
        }
    }

    /// Reads an existing database read-only, folding nothing (export from a copy or a live file).
    public static func read<T>(_ path: String, _ work: (FeedbackReader) throws -> T) throws -> T {
        let connection = try Connection(path: path, options: ConnectionOptions(readOnly: true))
        defer { connection.close() }
        return try work(FeedbackReader(session: connection, drops: DropCounter()))
    }

    private static func status(_ connection: Connection) throws -> [SchemaMigration] {
        do {
            return try Schema.migrator().status(connection).map { SchemaMigration(version: $0.version, name: $0.name, appliedAt: $0.appliedAt) }
        } catch let error as MigrationError {
            throw StoreError.migration(error.description)
        }
    }
}

extension FeedbackStore {
    /// Writes `seeder`'s demo rows on the writer (`hearken seed`); returns how many.
    public func seed(_ seeder: Seeder, progress: (Int) -> Void) throws -> Int {
        try writeNow { try seeder.run(connection: $0, progress: progress) }
    }
}

extension StorageOptions {
    var sqliteDurability: ConnectionOptions.Durability {
        switch durability {
        case .full: .full
        case .normal: .normal
        }
    }
}
