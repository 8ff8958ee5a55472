import App
import ArgumentParser
import Feedback
import Foundation

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write every feedback record to standard output as NDJSON or CSV, oldest first.")

    @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).") var db: String?
    @Option(help: "ndjson (what `hearken import` reads) or csv.") var format: String = "ndjson"
    @Option(help: "Only records received at or after this time (RFC 3339, YYYY-MM-DD, or a duration before now such as 7d).") var since: String?
    @Option(help: "Only records received before this time (same forms).") var until: String?
    @Option(help: "show (default): comments as written; mask: personal data in flagged comments masked.") var pii: String = "show"

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        let postgres = StorageBackends.isPostgres(path)
        guard postgres || FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        guard let format = ExportFormat(rawValue: format.lowercased()) else { throw ValidationError("invalid --format '\(format)': expected ndjson or csv") }
        guard pii == "show" || pii == "mask" else { throw ValidationError("invalid --pii '\(pii)': expected show or mask") }
        let now = Timestamp.nowMilliseconds()
        func time(_ flag: String, _ text: String?) throws -> Int64? {
            guard let text else { return nil }
            guard let value = ExportTime.parse(text, now: now) else {
                throw ValidationError("invalid --\(flag) '\(text)': expected an RFC 3339 time, a date YYYY-MM-DD or a duration such as 7d")
            }
            return value
        }
        let cursor = ExportCursor(format: format, since: try time("since", since), until: try time("until", until), showPersonalData: pii == "show")
        let write = { (reader: FeedbackReader) in
            while let bytes = try cursor.next(reader) {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
        try postgres ? PostgresDatabase.read(path, write) : DatabaseFile.read(path, write)
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read NDJSON records (as exported) into the database; importing the same file again adds nothing.")

    @Argument(help: "The NDJSON file; - reads standard input.") var file: String
    @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).") var db: String?
    @Option(help: "Allowed reasons, comma-separated (env HEARKEN_REASONS); records with other reasons are rejected.") var reasons: String?

    func run() throws {
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        var rules = FeedbackRules()
        rules.reasons = try Settings.list("reasons", "HEARKEN_REASONS").resolve(reasons, default: FeedbackRules.defaultReasons).map { $0.lowercased() }
        let handle: FileHandle
        if file == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else { throw ValidationError("cannot read \(file)") }
            handle = opened
        }
        let store = try StorageBackends.open(options: StorageOptions(path: path))
        defer { store.close() }
        let report = try NDJSONImport(rules: rules).run(handle, store: store)
        for (line, reason) in report.rejected.prefix(1000) {
            FileHandle.standardError.write(Data("line \(line): rejected: \(reason)\n".utf8))
        }
        if report.rejected.count > 1000 {
            FileHandle.standardError.write(Data("… and \(report.rejected.count - 1000) more rejected lines\n".utf8))
        }
        print("imported \(report.imported), already present \(report.alreadyPresent), rejected \(report.rejected.count)")
        if !report.rejected.isEmpty { throw ExitCode(2) }
    }
}
