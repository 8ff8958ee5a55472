import ArgumentParser
import Feedback
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Manage API tokens for the team endpoints.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct DatabaseOption: ParsableArguments {
        @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).")
        var db: String?

        func open() throws -> any FeedbackStorage {
            let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
            var options = StorageOptions(path: path)
            options.readers = 1
            return try StorageBackends.open(options: options)
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it once; only its hash is stored.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "A unique name (a-z, A-Z, 0-9, '-', '_', '.').") var name: String
        @Option(help: "read, triage or admin.") var scope: String

        func run() throws {
            guard let scope = Scope(rawValue: scope.lowercased()) else { throw ValidationError("--scope must be read, triage or admin") }
            let store = try database.open()
            defer { store.close() }
            do {
                let token = try store.write { try $0.createToken(name: name, scope: scope) }
                print(token)
                FileHandle.standardError.write(Data("created token \(name) with scope \(scope.rawValue); it is shown only this once\n".utf8))
            } catch let error as TokenError {
                throw ValidationError(error.description)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (names, scopes, creation and last use; never secrets).")
        @OptionGroup var database: DatabaseOption

        func run() throws {
            let store = try database.open()
            defer { store.close() }
            let tokens = try store.read { try $0.tokens() }
            print("NAME".padding(toLength: 24, withPad: " ", startingAt: 0) + "SCOPE   CREATED                   LAST USED")
            for token in tokens {
                print(token.name.padding(toLength: 24, withPad: " ", startingAt: 0) + token.scope.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)
                      + Timestamp.rfc3339(milliseconds: token.createdAt) + "  " + (token.lastUsedAt.map { Timestamp.rfc3339(milliseconds: $0) } ?? "never"))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token by name; it stops working at once.")
        @OptionGroup var database: DatabaseOption
        @Argument(help: "The token's name.") var name: String

        func run() throws {
            let store = try database.open()
            defer { store.close() }
            guard try store.write({ try $0.revokeToken(name: name) }) else { throw ValidationError("no token named \(name)") }
            print("revoked \(name)")
        }
    }
}

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fill a database with realistic synthetic feedback (benchmarks, demos).")
    @Option(help: "SQLite database file, or a postgres:// connection string (env HEARKEN_DB, default ./data/hearken.db).") var db: String?
    @Option(help: "Rows to add.") var rows: Int = 100_000
    @Option(help: "Days the rows span, ending now.") var days: Int = 90
    @Option(help: "Distinct pages (a long tail).") var pages: Int = 2000
    @Option(help: "Random seed; the same seed gives the same data.") var seed: UInt64 = 42

    func run() throws {
        guard rows > 0, days > 0, pages > 0 else { throw ValidationError("--rows, --days and --pages must be positive") }
        let path = try Settings.database.resolve(db, default: Settings.defaultDatabase)
        var options = StorageOptions(path: path)
        options.durability = .normal
        options.readers = 1
        let store = try StorageBackends.open(options: options)
        defer { store.close() }
        var seeder = Seeder(rows: rows)
        seeder.days = days
        seeder.pages = pages
        seeder.seed = seed
        let started = Date()
        _ = try store.seed(seeder) { done in
            if done % 100_000 == 0 { FileHandle.standardError.write(Data("\(done) rows\n".utf8)) }
        }
        print("seeded \(rows) rows over \(days) days and \(pages) pages in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; regressed pages: \(seeder.regressedPages().joined(separator: " "))")
    }
}
