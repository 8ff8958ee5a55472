import Postgres

/// The PostgreSQL schema, from `migrations/postgres/*.sql` as embedded at build time.
public enum PostgresSchema {
    public static let migrations: [Migration] = EmbeddedPostgresMigrations.files.compactMap { file in
        Migration.parseFileName(file.name).map { Migration(version: $0.version, name: $0.name, sql: file.text) }
    }
}

/// A PostgreSQL database named by a connection string: a migrated session for tools and tests.
/// The server's storage is `PostgresStore` (docs/postgres.md).
public enum PostgresDatabase {
    /// Whether `--db` names PostgreSQL (`postgres://…`, `postgresql://…`) rather than an SQLite file.
    public static func isConnectionString(_ text: String) -> Bool {
        ConnectionString.isPostgres(text)
    }

    /// Refuses a database whose encoding is not UTF8, before anything is migrated or served: readers
    /// write any Unicode (another encoding cannot store an emoji, and the vote would fail), and the
    /// search function's ASCII test (`migrations/postgres/0006`) holds only where a character of more
    /// than one byte is never ASCII. A database's encoding cannot be changed later, hence the hint.
    static func requireUTF8(_ connection: Postgres.Connection) throws {
        let encoding = try connection.first("SELECT pg_catalog.getdatabaseencoding()") { $0.string(0) } ?? "unknown"
        guard encoding == "UTF8" else {
            throw StoreError.migration("the database's encoding is \(encoding), and Hearken needs UTF8: create it with "
                + "`createdb --encoding=UTF8 --template=template0 NAME` (or CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0)")
        }
    }

    /// Connects (the string goes to libpq unchanged) and applies the pending migrations, under the
    /// migrator's advisory lock so instances starting together take turns.
    public static func open(_ connectionString: String, migrations: [Migration] = PostgresSchema.migrations) throws -> PostgresSession {
        let connection = try Postgres.Connection(connectionString)
        do {
            try requireUTF8(connection)
            try Postgres.Migrator(migrations: migrations).migrate(connection)
        } catch {
            connection.close()
            throw (error as? MigrationError).map { StoreError.migration($0.description) } ?? error
        }
        return PostgresSession(connection)
    }

    /// Every migration this build brings and when it was applied, without applying any (`hearken
    /// check`); throws `StoreError.migration` for an edited or unknown applied migration.
    public static func migrations(_ connectionString: String, migrations: [Migration] = PostgresSchema.migrations) throws -> [SchemaMigration] {
        try withToolConnection(connectionString) { try status($0, migrations) }
    }

    /// A connection for one command's work on a UTF8 database, closed after it. An edited or
    /// unknown applied migration (`MigrationError`) becomes `StoreError.migration`.
    static func withToolConnection<T>(_ connectionString: String, _ body: (Postgres.Connection) throws -> T) throws -> T {
        let connection = try Postgres.Connection(connectionString)
        defer { connection.close() }
        try requireUTF8(connection)
        do {
            return try body(connection)
        } catch let error as MigrationError {
            throw StoreError.migration(error.description)
        }
    }

    static func status(_ connection: Postgres.Connection, _ migrations: [Migration]) throws -> [SchemaMigration] {
        try Postgres.Migrator(migrations: migrations).status(connection)
            .map { SchemaMigration(version: $0.version, name: $0.name, appliedAt: $0.appliedAt) }
    }

    /// The domain's reads on `session`.
    public static func reader(_ session: PostgresSession) -> FeedbackReader {
        FeedbackReader(session: session, drops: DropCounter())
    }
}
