import ArgumentParser
import Feedback
import Foundation

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a file while the server keeps running (SQLite's online backup API).")

    @Option(help: "SQLite database file (env HEARKEN_DB, default ./data/hearken.db); for a postgres:// string it prints the pg_dump command.") var db: String?
    @Option(help: "The backup file to write (replaced if it exists).") var to: String

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        if StorageBackends.isPostgres(path) {
            FileHandle.standardError.write(Data(Self.useDump(path, to: to).utf8))
            throw ExitCode(2)
        }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let started = Date()
        try DatabaseFile.backup(path, to: to)
        let size = (try? FileManager.default.attributesOfItem(atPath: to)[.size] as? Int) ?? 0
        print("backed up \(path) to \(to) (\(size) bytes, integrity ok) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }

    /// PostgreSQL has its own consistent online backup; Hearken does not copy it.
    static func useDump(_ connectionString: String, to file: String) -> String {
        """
        hearken backup copies SQLite files only. Back up PostgreSQL with pg_dump, which reads one consistent \
        snapshot while the instances keep writing:

          \(PostgresDatabase.dumpCommand(connectionString, to: file))

        The password is left out of the connection string: set PGPASSWORD or put it in ~/.pgpass. \
        Restore into an empty database with:

          \(PostgresDatabase.restoreCommand(connectionString, from: file))

        """
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the database's integrity and migrations; exit 1 on a problem.")

    @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).") var db: String?

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        if StorageBackends.isPostgres(path) { return try checkPostgres(path) }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let (problems, pending) = try DatabaseFile.check(path)
        if problems.isEmpty && pending.isEmpty {
            print("ok: integrity check passed, all \(DatabaseFile.migrationCount) migrations applied")
            return
        }
        for problem in problems { print("integrity: \(problem)") }
        for migration in pending { print("migration \(migration.version) (\(migration.name)) is not applied") }
        throw ExitCode.failure
    }

    /// PostgreSQL checks its own pages; here: reachable, every migration applied and none edited.
    private func checkPostgres(_ connectionString: String) throws {
        let health: PostgresDatabase.Health
        do {
            health = try PostgresDatabase.health(connectionString)
        } catch StoreError.migration(let reason) {
            print("migrations: \(reason)")
            throw ExitCode.failure
        } catch {
            print("cannot reach \(StorageBackends.displayName(connectionString)): \(error)")
            throw ExitCode.failure
        }
        if health.pending.isEmpty {
            print("ok: PostgreSQL \(health.serverVersion), all \(health.migrations.count) migrations applied, \(health.unfolded) rows waiting for the fold")
            return
        }
        for migration in health.pending { print("migration \(migration.version) (\(migration.name)) is not applied") }
        throw ExitCode.failure
    }
}

/// For container health checks: exit 0 when `GET /readyz` answers 200 (the slim image has no curl).
struct Healthcheck: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Exit 0 when the local server's /readyz answers 200.")

    @Option(help: "Address of the server (default 127.0.0.1).") var host: String = "127.0.0.1"
    @Option(help: "Port of the server (env HEARKEN_PORT, default 8080).") var port: String?
    @Option(help: "Seconds to wait for the answer.") var timeout: Double = 3

    func run() throws {
        let port = try Settings.integer("port", "HEARKEN_PORT", 1...65535).resolve(self.port, default: 8080)
        guard let status = ReadinessProbe.status(host: host, port: port, timeout: timeout) else {
            print("unhealthy: no answer from \(host):\(port)")
            throw ExitCode.failure
        }
        guard status == 200 else {
            print("unhealthy: /readyz answered \(status)")
            throw ExitCode.failure
        }
        print("healthy")
    }
}
