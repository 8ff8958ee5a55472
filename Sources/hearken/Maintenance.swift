import ArgumentParser
import Feedback
import Foundation

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the database to a file while the server keeps running (SQLite's online backup API).")

    @Option(help: "SQLite database file (env HEARKEN_DB, default ./data/hearken.db).") var db: String?
    @Option(help: "The backup file to write (replaced if it exists).") var to: String

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let started = Date()
        try DatabaseFile.backup(path, to: to)
        let size = (try? FileManager.default.attributesOfItem(atPath: to)[.size] as? Int) ?? 0
        print("backed up \(path) to \(to) (\(size) bytes, integrity ok) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the database's integrity and migrations; exit 1 on a problem.")

    @Option(help: "SQLite database file (env HEARKEN_DB, default ./data/hearken.db).") var db: String?

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
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
