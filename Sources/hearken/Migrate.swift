import ArgumentParser
import Feedback
import Foundation

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations, or list them with --status.")

    @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).")
    var db: String?

    @Flag(help: "List migrations and when each was applied; change nothing.")
    var status = false

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        let postgres = StorageBackends.isPostgres(path)
        if !postgres {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            if status {
                for entry in try postgres ? PostgresDatabase.migrations(path) : DatabaseFile.migrations(path) {
                    let version = String(format: "%04d", entry.version)
                    print("\(version)  \(entry.name.padding(toLength: 28, withPad: " ", startingAt: 0))  \(entry.appliedAt ?? "pending")")
                }
            } else {
                let applied = try postgres ? PostgresDatabase.migrate(path) : DatabaseFile.migrate(path)
                let count = postgres ? PostgresSchema.migrations.count : DatabaseFile.migrationCount
                if applied.isEmpty { print("database is up to date (\(count) migrations)") }
                for migration in applied { print("applied \(String(format: "%04d", migration.version)) \(migration.name)") }
            }
        } catch StoreError.migration(let reason) {
            throw ValidationError(reason)
        }
    }
}
