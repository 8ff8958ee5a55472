import Dispatch
import Foundation
import Synchronization
import SQLite
import Testing
import TestSupport

/// The real binary: signals, restarts, configuration errors and subcommands.
@Suite struct ProcessTests {
    @Test func sigtermUnderConcurrentIngestionLosesNoAcknowledgedWrite() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        let server = try ServerProcess(["serve", "--port", "0", "--db", db, "--rate-limit", "0", "--duplicate-window", "0", "--log-level", "notice"])
        let acknowledged = Mutex<[Int]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        let port = server.port
        for worker in 0..<8 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                guard let client = try? RawClient(port: port) else { failures.withLock { $0.append("connect") }; return }
                for i in 0..<10_000 {
                    let body = #"{"page":"/w\#(worker)/\#(i)","rating":"up"}"#
                    let response: RawClient.Response
                    do {
                        try client.send(RawClient.requestText("POST", "/v1/feedback", body: body))
                        response = try client.readResponse()
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                        return
                    }
                    if response.status == 201, let id = response.json?["id"] as? Int { acknowledged.withLock { $0.append(id) } }
                    if response.header("Connection") == "close" { return }
                }
            }
        }
        // Signal once ingestion is clearly under way (test threads may start late on a busy machine).
        _ = waitUntil { acknowledged.withLock { $0.count } >= 20 }
        server.signal(SIGTERM)
        group.wait()
        #expect(server.waitForExit() == 0)
        let ids = acknowledged.withLock { $0 }
        #expect(ids.count >= 20, "ingestion was under way when SIGTERM came; \(failures.withLock { $0 })")
        let connection = try Connection(path: db)
        let stored = Set(try connection.query("SELECT id FROM feedback") { $0.int(0) })
        #expect(ids.allSatisfy(stored.contains), "\(ids.filter { !stored.contains($0) }.count) acknowledged rows missing")
        // The WAL was checkpointed into the database file on the way out.
        let wal = (try? FileManager.default.attributesOfItem(atPath: db + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
    }

    @Test func sigtermLetsTheInFlightRequestFinishAndExitsZero() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        // Idle connections last 300 s, so only the shutdown can close one within the test's waits.
        let server = try ServerProcess(["serve", "--port", "0", "--db", db, "--log-level", "notice", "--keepalive-timeout", "300"])
        let body = #"{"page":"/in-flight","rating":"down","comment":"sent across a shutdown"}"#
        let idle = try RawClient(port: server.port)
        try idle.send(RawClient.requestText("GET", "/healthz"))
        #expect(try idle.readResponse().status == 200)
        let client = try RawClient(port: server.port)
        // `Expect: 100-continue` makes the server say when it has the head: from then on the request is
        // in flight, whatever the machine's speed.
        let head = "POST /v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
        try client.send(head)
        #expect(try client.readResponse().status == 100)
        try client.send(String(body.prefix(10)))
        server.signal(SIGTERM)
        // Draining has begun once the idle connection is closed; only then does the rest of the body go.
        #expect(idle.isClosedByServer(), "\(server.log)")
        try client.send(String(body.dropFirst(10)))
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.header("Connection") == "close")
        #expect(server.waitForExit() == 0)
        #expect(server.log.contains("shutting down"))
        // New connections are refused once it has stopped, and the acknowledged row is on disk.
        #expect(throws: (any Error).self) { try RawClient(port: server.port) }
        let connection = try Connection(path: db)
        #expect(try connection.first("SELECT count(*) FROM feedback WHERE page_key = '/in-flight'") { $0.int(0) } == 1)
    }

    @Test func feedbackSurvivesARestartOfTheBinary() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("data/h.db")
        let first = try ServerProcess(["serve", "--port", "0", "--db", db])
        let created = try RawClient.request(port: first.port, "POST", "/v1/feedback",
                                            body: #"{"page":"https://docs.example.com/auth#tokens","rating":"down","reason":"outdated","comment":"token example is stale"}"#)
        #expect(created.status == 201)
        first.signal(SIGINT)
        #expect(first.waitForExit() == 0)
        let second = try ServerProcess(["serve", "--port", "0"], environment: ["HEARKEN_DB": db])
        #expect(try RawClient.request(port: second.port, "GET", "/readyz").status == 200)
        second.signal(SIGTERM)
        #expect(second.waitForExit() == 0)
        let connection = try Connection(path: db)
        #expect(try connection.first("SELECT comment FROM feedback WHERE page_key = 'https://docs.example.com/auth'") { $0.string(0) } == "token example is stale")
    }

    @Test func invalidSettingsStopStartupNamingTheSetting() throws {
        let dir = TemporaryDirectory()
        let flag = try ServerProcess(["serve", "--port", "99999", "--db", dir.file("h.db")], waitForPort: false)
        #expect(flag.waitForExit() != 0)
        #expect(flag.log.contains("--port"))
        let env = try ServerProcess(["serve", "--db", dir.file("h.db")], environment: ["HEARKEN_HEADER_TIMEOUT": "soon"], waitForPort: false)
        #expect(env.waitForExit() != 0)
        #expect(env.log.contains("HEARKEN_HEADER_TIMEOUT"))
    }

    @Test func portInUseFailsClearly() throws {
        let dir = TemporaryDirectory()
        let first = try ServerProcess(["serve", "--port", "0", "--db", dir.file("a.db")])
        let second = try ServerProcess(["serve", "--port", String(first.port), "--db", dir.file("b.db")], waitForPort: false)
        #expect(second.waitForExit() != 0)
        #expect(second.log.contains("cannot listen"))
    }

    @Test func migrateAppliesAndReportsStatus() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("m/h.db")
        let apply = try ServerProcess(["migrate", "--db", db], waitForPort: false)
        #expect(apply.waitForExit() == 0)
        #expect(apply.log.contains("applied 0001 feedback"))
        let status = try ServerProcess(["migrate", "--status", "--db", db], waitForPort: false)
        #expect(status.waitForExit() == 0)
        #expect(status.log.contains("0001  feedback"))
        #expect(!status.log.contains("pending"))
    }

    @Test func editedMigrationStopsStartup() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        #expect(try ServerProcess(["migrate", "--db", db], waitForPort: false).waitForExit() == 0)
        let connection = try Connection(path: db)
        try connection.run("UPDATE schema_migrations SET checksum = 'different' WHERE version = 1")
        connection.close()
        let serve = try ServerProcess(["serve", "--port", "0", "--db", db], waitForPort: false)
        #expect(serve.waitForExit() != 0)
        #expect(serve.log.contains("SQL has changed"))
    }
}

@Suite struct CommandTests {
    @Test func tokenCreateListRevoke() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        let create = try ServerProcess(["token", "create", "--name", "team-read", "--scope", "read", "--db", db], waitForPort: false)
        #expect(create.waitForExit() == 0)
        let secret = create.log.split(separator: "\n").first { $0.hasPrefix("hk_") }.map(String.init) ?? ""
        #expect(secret.count > 40)
        let list = try ServerProcess(["token", "list", "--db", db], waitForPort: false)
        #expect(list.waitForExit() == 0)
        #expect(list.log.contains("team-read"))
        #expect(!list.log.contains(secret))
        let raw = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(raw.range(of: Data(secret.utf8)) == nil)

        let server = try ServerProcess(["serve", "--port", "0", "--db", db])
        #expect(try RawClient.request(port: server.port, "GET", "/v1/stats/summary", headers: [("Authorization", "Bearer \(secret)")]).status == 200)
        let revoke = try ServerProcess(["token", "revoke", "team-read", "--db", db], waitForPort: false)
        #expect(revoke.waitForExit() == 0)
        #expect(try RawClient.request(port: server.port, "GET", "/v1/stats/summary", headers: [("Authorization", "Bearer \(secret)")]).status == 401)
        let missing = try ServerProcess(["token", "revoke", "team-read", "--db", db], waitForPort: false)
        #expect(missing.waitForExit() != 0)
        let badScope = try ServerProcess(["token", "create", "--name", "x", "--scope", "root", "--db", db], waitForPort: false)
        #expect(badScope.waitForExit() != 0)
    }

    @Test func seedFillsRollupsConsistentWithRows() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        let seed = try ServerProcess(["seed", "--rows", "3000", "--pages", "50", "--db", db], waitForPort: false)
        #expect(seed.waitForExit(timeout: 60) == 0)
        let connection = try Connection(path: db)
        #expect(try connection.first("SELECT count(*) FROM feedback") { $0.int(0) } == 3000)
        let fromRows = try connection.first("SELECT sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback") { [$0.int(0), $0.int(1), $0.int(2)] }
        let fromDaily = try connection.first("SELECT sum(up), sum(down), sum(comments) FROM rollup_daily") { [$0.int(0), $0.int(1), $0.int(2)] }
        let fromHourly = try connection.first("SELECT sum(up), sum(down), sum(comments) FROM rollup_hourly") { [$0.int(0), $0.int(1), $0.int(2)] }
        #expect(fromRows == fromDaily)
        #expect(fromRows == fromHourly)
    }
}

@Suite struct LimitFlagTests {
    @Test func parserAndBodyLimitsFollowTheirFlags() throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", dir.file("h.db"), "--max-body-bytes", "2048",
                                        "--max-header-count", "10", "--max-request-line", "512"],
                                       environment: ["HEARKEN_MAX_HEADER_BYTES": "4096"])
        let comment = String(repeating: "x", count: 2100)
        #expect(try RawClient.request(port: server.port, "POST", "/v1/feedback", body: #"{"page":"/a","rating":"up","comment":"\#(comment)"}"#).status == 413)
        #expect(try RawClient.request(port: server.port, "POST", "/v1/feedback", body: #"{"page":"/a","rating":"up"}"#).status == 201)
        let headers = (0..<12).map { ("X-H\($0)", "v") }
        #expect(try RawClient.request(port: server.port, "GET", "/healthz", headers: headers).status == 431)
        #expect(try RawClient.request(port: server.port, "GET", "/healthz?" + String(repeating: "q", count: 600)).status == 414)
        #expect(try RawClient.request(port: server.port, "GET", "/healthz", headers: [("X-Big", String(repeating: "b", count: 5000))]).status == 431)
    }
}

@Suite struct EarlySignalTests {
    /// SIGTERM as soon as "listening" is logged must stop the server gracefully (signal handlers are
    /// installed before the server starts).
    @Test func sigtermRightAfterStartupExitsZero() throws {
        let dir = TemporaryDirectory()
        for round in 0..<8 {
            let server = try ServerProcess(["serve", "--port", "0", "--db", dir.file("h\(round).db")])
            server.signal(SIGTERM)
            #expect(server.waitForExit() == 0, "round \(round): \(server.log)")
        }
    }
}
