import SQLite

/// The schema, from `migrations/*.sql` as embedded at build time.
public enum Schema {
    /// Embedded files whose names parse as `NNNN_name.sql`.
    public static let migrations: [Migration] = EmbeddedMigrations.files.compactMap { file in
        Migration.parseFileName(file.name).map { Migration(version: $0.version, name: $0.name, sql: file.text) }
    }

    /// Every embedded file name with its SQL, for checking against the folder.
    public static var embeddedFiles: [(name: String, text: String)] { EmbeddedMigrations.files }

    public static func migrator() throws -> Migrator { try Migrator(migrations: migrations) }
}
