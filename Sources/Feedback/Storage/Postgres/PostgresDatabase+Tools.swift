import Foundation
import Postgres

/// What `hearken check`, `backup` and `export` do with a PostgreSQL database: look without migrating,
/// folding or writing, like `DatabaseFile` does with an SQLite file.
extension PostgresDatabase {
    /// What `hearken check` reports.
    public struct Health: Sendable {
        /// `server_version` as the server reports it, e.g. "15.14 (Debian 15.14-0+deb12u1)".
        public let serverVersion: String
        public let migrations: [SchemaMigration]
        /// Rows acknowledged but not counted in the rollups yet (the fold's queue).
        public let unfolded: Int
        public var pending: [SchemaMigration] { migrations.filter { $0.appliedAt == nil } }
    }

    /// Connects, reads the migration status and the fold's queue; throws `StoreError.migration` for
    /// an edited or unknown applied migration, `PostgresError` when the server cannot be reached.
    public static func health(_ connectionString: String, migrations: [Migration] = PostgresSchema.migrations) throws -> Health {
        try withToolConnection(connectionString) { connection in
            let applied = try status(connection, migrations)
            let version = try connection.first("SHOW server_version") { $0.string(0) } ?? "unknown"
            // The queue exists from migration 0002 on; before that nothing can be waiting in it.
            let queued = applied.contains { $0.version == 2 && $0.appliedAt != nil }
            let unfolded = queued ? try connection.first("SELECT count(*) FROM feedback_unfolded") { $0.int(0) } ?? 0 : 0
            return Health(serverVersion: version, migrations: applied, unfolded: unfolded)
        }
    }

    /// Reads the database in one read-only snapshot (REPEATABLE READ), so an export paging through
    /// it while instances keep writing sees every row committed before it began and none after.
    public static func read<T>(_ connectionString: String, _ work: (FeedbackReader) throws -> T) throws -> T {
        let connection = try Postgres.Connection(connectionString)
        defer { connection.close() }
        return try connection.transaction(.repeatableRead) {
            try connection.run("SET TRANSACTION READ ONLY")
            return try work(FeedbackReader(session: PostgresSession(connection), drops: DropCounter()))
        }
    }

    /// The `pg_dump` command that backs the database up to `file`, the password left out: it belongs
    /// in `PGPASSWORD` or `~/.pgpass`, not on a command line other users can read in `ps`.
    public static func dumpCommand(_ connectionString: String, to file: String) -> String {
        "pg_dump --format=custom --file=\(shellQuoted(file)) \(shellQuoted(printable(connectionString)))"
    }

    /// The matching `pg_restore` command.
    public static func restoreCommand(_ connectionString: String, from file: String) -> String {
        "pg_restore --no-owner --dbname=\(shellQuoted(printable(connectionString))) \(shellQuoted(file))"
    }

    /// The connection string without its password, or (unparseable) the masked form, which then
    /// needs editing before it runs.
    private static func printable(_ connectionString: String) -> String {
        ConnectionString.withoutPassword(connectionString) ?? ConnectionString.redacted(connectionString)
    }

    /// `text` in single quotes for a POSIX shell (a quote inside becomes '\'').
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
