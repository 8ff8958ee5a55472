import App
import Feedback
import Foundation
import SQLite
import Testing
import TestSupport

/// The `hearken` binary with `--db postgres://…`: migrate, token, serve; passwords never shown.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresCommandTests {
    static let password = "Sup3r-Secret-Pw"

    /// The test server trusts local connections, so any password is accepted and none is checked.
    static func urlWithPassword(_ server: PostgresServer, _ database: String) -> String {
        server.url(database: database).replacingOccurrences(of: "postgresql://postgres@", with: "postgresql://postgres:\(password)@")
    }

    @Test func migrateTokenAndServeOnPostgres() throws {
        let server = try PostgresServer.shared()
        let url = Self.urlWithPassword(server, try server.createDatabase())
        let migrate = try ServerProcess(["migrate", "--db", url], waitForPort: false)
        #expect(migrate.waitForExit() == 0)
        #expect(migrate.log.contains("applied 0001"))
        let again = try ServerProcess(["migrate", "--db", url], waitForPort: false)
        #expect(again.waitForExit() == 0)
        #expect(again.log.contains("database is up to date"))

        let create = try ServerProcess(["token", "create", "--name", "pg-read", "--scope", "read", "--db", url], waitForPort: false)
        #expect(create.waitForExit() == 0)
        let secret = create.log.split(separator: "\n").first { $0.hasPrefix("hk_") }.map(String.init) ?? ""
        #expect(secret.count > 40)

        let serve = try ServerProcess(["serve", "--port", "0", "--db", url, "--rate-limit", "0"])
        #expect(try RawClient.request(port: serve.port, "POST", "/v1/feedback", body: #"{"page":"/cli","rating":"up"}"#).status == 201)
        let summary = try RawClient.request(port: serve.port, "GET", "/v1/stats/summary", headers: [("Authorization", "Bearer \(secret)")])
        #expect(summary.status == 200)
        #expect(summary.json?["votes"] as? Int == 1)
        // The start line names the database, its password hidden.
        #expect(serve.log.contains("database postgresql://postgres:***@"))
        #expect(!serve.log.contains(Self.password))
    }

    @Test func seedWritesRowsAndFoldsThem() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let seed = try ServerProcess(["seed", "--rows", "12000", "--pages", "50", "--db", server.url(database: database)], waitForPort: false)
        #expect(seed.waitForExit(timeout: 120) == 0)
        func value(_ sql: String) throws -> String { try server.psql(sql, database: database).trimmingCharacters(in: .whitespacesAndNewlines) }
        #expect(try value("SELECT count(*) FROM feedback") == "12000")
        #expect(try value("SELECT count(*) FROM feedback_unfolded") == "0")
        #expect(try value("SELECT sum(up + down) FROM rollup_page_total") == "12000")
        #expect(try value("SELECT sum(comments) FROM rollup_daily") == value("SELECT count(*) FROM feedback WHERE comment IS NOT NULL"))
        #expect(try value("SELECT count(*) FROM feedback_labels") == "12000")
        // Ids follow the time the rows were received, as live ingestion makes them.
        #expect(try value("""
            SELECT count(*) FROM (SELECT received_at < lag(received_at) OVER (ORDER BY id) AS earlier FROM feedback) t WHERE earlier
            """) == "0")
        // The identity's sequence is past the seeded ids: the next row gets a new one.
        #expect(try value("""
            INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (0, '/after', '/after', 'up', 'docs') RETURNING id
            """) == String(12001))

        // The same rows as the same seed gives SQLite (their times aside: both end now).
        let directory = TemporaryDirectory()
        let sqliteSeed = try ServerProcess(["seed", "--rows", "12000", "--pages", "50", "--db", directory.file("seed.db")], waitForPort: false)
        #expect(sqliteSeed.waitForExit(timeout: 120) == 0)
        let groups = """
            SELECT page_key || ' ' || rating || ' ' || coalesce(reason, '-') || ' ' || coalesce(comment, '-') || ' ' || source
                   || ' ' || coalesce(labels, '-') || ' ' || coalesce(user_agent, '-') || ' ' || pii || ' ' || count(*)
            FROM feedback WHERE page_key <> '/after' GROUP BY page_key, rating, reason, comment, source, labels, user_agent, pii
            """
        let sqlite = try SQLite.Connection(path: directory.file("seed.db"))
        let expected = try sqlite.query(groups) { $0.string(0) }.sorted()
        #expect(expected.count > 100)
        #expect(try server.psql(groups, database: database).split(separator: "\n").map(String.init).sorted() == expected)
    }

    @Test func printConfigHidesThePassword() throws {
        let server = try PostgresServer.shared()
        let url = Self.urlWithPassword(server, "anything")
        let printed = try ServerProcess(["serve", "--print-config", "--db", url], waitForPort: false)
        #expect(printed.waitForExit() == 0)
        #expect(printed.log.contains("postgresql://postgres:***@/anything"))
        #expect(!printed.log.contains(Self.password))
        let fromEnvironment = try ServerProcess(["serve", "--print-config"], environment: ["HEARKEN_DB": url], waitForPort: false)
        #expect(fromEnvironment.waitForExit() == 0)
        #expect(fromEnvironment.log.contains("postgresql://postgres:***@/anything"))
        #expect(!fromEnvironment.log.contains(Self.password))
    }

    @Test func anUnreachableServerFailsWithoutThePassword() throws {
        let url = "postgresql://hearken:\(Self.password)@127.0.0.1:1/none?connect_timeout=5"
        let serve = try ServerProcess(["serve", "--port", "0", "--db", url], waitForPort: false)
        #expect(serve.waitForExit() != 0)
        #expect(serve.log.contains("cannot start"))
        #expect(!serve.log.contains(Self.password))
    }

    /// A database in another encoding is refused with the way out, before anything is migrated.
    @Test func aDatabaseNotInUTF8IsRefusedWithTheCommandThatMakesOne() throws {
        let server = try PostgresServer.shared()
        // SQL_ASCII is what `initdb --locale=C` makes without `--encoding`.
        for encoding in ["LATIN1", "SQL_ASCII"] {
            let name = "t_enc_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(8)
            try server.psql("CREATE DATABASE \(name) ENCODING '\(encoding)' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0")
            let url = server.url(database: name)
            for command in [["migrate"], ["check"], ["serve", "--port", "0"]] {
                let process = try ServerProcess(command + ["--db", url], waitForPort: false)
                #expect(process.waitForExit() != 0, "\(command)")
                #expect(process.log.contains("encoding is \(encoding)") && process.log.contains("createdb --encoding=UTF8"), "\(command): \(process.log)")
            }
            #expect(try server.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", database: name)
                .trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        }
    }
}
