import Postgres

extension PostgresDatabase {
    /// Applies the pending migrations (`hearken migrate`) and returns the ones applied now.
    public static func migrate(_ connectionString: String, migrations: [Migration] = PostgresSchema.migrations) throws -> [SchemaMigration] {
        try withToolConnection(connectionString) { connection in
            try Postgres.Migrator(migrations: migrations).migrate(connection)
                .map { SchemaMigration(version: $0.version, name: $0.name, appliedAt: nil) }
        }
    }
}
