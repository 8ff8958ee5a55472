import Foundation
import Testing
import TestSupport
@testable import Feedback

/// `hearken check`, `backup` and `export` with `--db postgres://…`, and the migration path from
/// SQLite, `hearken export --db old.db | hearken import - --db postgres://…`, run as an operator
/// runs them: the real binary, a real shell pipe, a real PostgreSQL.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresToolsTests {
    static let password = "Pg-Tools-Secret"

    /// The test server trusts local connections, so the password is sent but not checked.
    static func url(_ server: PostgresServer, _ database: String) -> String {
        server.url(database: database).replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://postgres:\(password)@")
    }

    /// Runs `command` with /bin/sh; its exit status, standard output and standard error.
    static func shell(_ command: String, environment: [String: String] = [:]) throws -> (status: Int32, output: String, errors: String) {
        let directory = TemporaryDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command + " >\(directory.file("out")) 2>\(directory.file("err"))"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        try process.run()
        process.waitUntilExit()
        let read = { (name: String) in (try? String(contentsOfFile: directory.file(name), encoding: .utf8)) ?? "" }
        return (process.terminationStatus, read("out"), read("err"))
    }

    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    static var hearken: String { quoted(ServerProcess.binary.path) }

    @Test func checkReportsMigrationsAndBackupPrintsAWorkingPgDumpCommand() throws {
        let server = try PostgresServer.shared()
        let url = Self.url(server, try server.createDatabase())
        let before = try ServerProcess(["check", "--db", url], waitForPort: false)
        #expect(before.waitForExit() == 1)
        #expect(before.log.contains("migration 1 (schema) is not applied"))
        #expect(try ServerProcess(["migrate", "--db", url], waitForPort: false).waitForExit() == 0)
        let after = try ServerProcess(["check", "--db", url], waitForPort: false)
        #expect(after.waitForExit() == 0)
        #expect(after.log.contains("ok: PostgreSQL 15"))
        #expect(after.log.contains("all \(PostgresSchema.migrations.count) migrations applied"))
        let unreachable = try ServerProcess(["check", "--db", "postgresql://u:\(Self.password)@127.0.0.1:1/x?connect_timeout=5"], waitForPort: false)
        #expect(unreachable.waitForExit() == 1)
        #expect(unreachable.log.contains("cannot reach postgresql://u:***@127.0.0.1:1/x"))
        #expect(!before.log.contains(Self.password) && !after.log.contains(Self.password) && !unreachable.log.contains(Self.password))

        let directory = TemporaryDirectory()
        let dump = directory.file("hearken.dump")
        let backup = try Self.shell("\(Self.hearken) backup --db \(Self.quoted(url)) --to \(Self.quoted(dump))")
        #expect(backup.status == 2)
        #expect(!backup.errors.contains(Self.password) && backup.output.isEmpty)
        #expect(backup.errors.contains("PGPASSWORD") && backup.errors.contains("~/.pgpass"))
        // The printed command runs as printed, the password coming from PGPASSWORD.
        let command = try #require(backup.errors.split(separator: "\n").first { $0.contains("pg_dump ") }).trimmingCharacters(in: .whitespaces)
        #expect(command.hasPrefix("pg_dump --format=custom --file="))
        #expect(!command.contains("***"))
        let folder = try #require(PostgresServer.binaryFolder)
        let ran = try Self.shell(folder + "/" + command, environment: ["PGPASSWORD": Self.password])
        #expect(ran.status == 0, "\(ran.errors)")
        let size = (try FileManager.default.attributesOfItem(atPath: dump)[.size] as? Int) ?? 0
        #expect(size > 1000)
    }

    /// Seeds SQLite, pipes its export into an import on PostgreSQL, then expects every record and
    /// every aggregate to be the same on both; importing again adds nothing.
    @Test func exportFromSQLitePipedIntoImportOnPostgresKeepsEveryRecordAndAggregate() throws {
        let directory = TemporaryDirectory()
        let old = directory.file("old.db")
        let seed = try ServerProcess(["seed", "--db", old, "--rows", "3000", "--days", "40"], waitForPort: false)
        #expect(seed.waitForExit(timeout: 120) == 0)
        // Triage on some rows, so status, note and tags travel too (resolved rows stay counted).
        let triage = try Self.shell("sqlite3 \(Self.quoted(old)) \"UPDATE feedback SET status = 'resolved', note = 'n', tags = '[\\\"t\\\"]' WHERE id % 7 = 0\"")
        #expect(triage.status == 0, "\(triage.errors)")
        let sqliteStore = try StorageBackends.open(options: StorageOptions(path: old))
        defer { sqliteStore.close() }

        let server = try PostgresServer.shared()
        let url = Self.url(server, try server.createDatabase())
        let pipe = "\(Self.hearken) export --db \(Self.quoted(old)) | \(Self.hearken) import - --db \(Self.quoted(url))"
        let first = try Self.shell(pipe)
        #expect(first.status == 0, "\(first.errors)")
        #expect(first.output.contains("imported 3000, already present 0, rejected 0"), "\(first.output) \(first.errors)")
        let again = try Self.shell(pipe)
        #expect(again.output.contains("imported 0, already present 3000, rejected 0"), "\(again.output) \(again.errors)")
        #expect(!(first.output + first.errors + again.errors).contains(Self.password))

        // Every record: exported from each side, the same fields (ids are the target's own).
        let fromSQLite = try Self.shell("\(Self.hearken) export --db \(Self.quoted(old))")
        let fromPostgres = try Self.shell("\(Self.hearken) export --db \(Self.quoted(url))")
        #expect(fromPostgres.status == 0, "\(fromPostgres.errors)")
        func records(_ ndjson: String) -> [String] {
            ndjson.split(separator: "\n").map { line in
                var object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
                object["id"] = nil
                let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
        }
        let expected = records(fromSQLite.output), actual = records(fromPostgres.output)
        #expect(expected.count == 3000 && actual.count == 3000)
        #expect(expected == actual, "first difference: \(zip(expected, actual).first { $0 != $1 }.map { "\($0)\n\($1)" } ?? "none")")

        // Every aggregate, read through each backend's store.
        let postgresStore = try StorageBackends.open(options: StorageOptions(path: url))
        defer { postgresStore.close() }
        let now = Timestamp.nowMilliseconds(), day: Int64 = 86_400_000
        var recent = AggregateFilter()
        recent.since = now - 14 * day
        recent.until = now
        var prefix = AggregateFilter()
        prefix.pagePrefix = "https://docs.example.com/api/"
        let reads: [(String, (FeedbackReader) throws -> String)] = [AggregateFilter(), recent, prefix].enumerated().flatMap { n, filter in [
            ("summary \(n)", { "\(try $0.summary(filter))" }),
            ("pages \(n)", { "\(try $0.pages(filter, sectionDepth: nil).sorted { $0.0 < $1.0 })" }), // ranked by the caller
            ("sections \(n)", { "\(try $0.pages(filter, sectionDepth: 1))" }),
            ("sources \(n)", { "\(try $0.grouped(.source, filter))" }),
            ("reasons \(n)", { "\(try $0.grouped(.reason, filter))" }),
            ("page votes \(n)", { "\(try $0.pageVotes(filter).sorted { $0.0 < $1.0 })" }),
            ("daily \(n)", { "\(try $0.series(filter, since: now - 40 * day, until: now, bucket: .day, timeZone: .gmt))" }),
        ] }
        for (name, read) in reads {
            let sqlite = try sqliteStore.read(read), postgres = try postgresStore.read(read)
            let same = sqlite == postgres
            #expect(same, "\(name):\nSQLite:     \(sqlite.prefix(400))\nPostgreSQL: \(postgres.prefix(400))")
        }
        #expect(try sqliteStore.read { "\(try $0.summary(AggregateFilter()).total)" }.contains("up: "))
    }
}
