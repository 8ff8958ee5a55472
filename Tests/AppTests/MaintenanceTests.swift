import Foundation
import SQLite
import Testing
import TestSupport

/// backup, check and healthcheck through the real binary.
@Suite struct MaintenanceTests {
    @Test func onlineBackupWhileWritingIsConsistent() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("live.db"), copy = dir.file("backup/copy.db")
        try FileManager.default.createDirectory(atPath: dir.file("backup"), withIntermediateDirectories: true)
        // No rate limit: the writer must keep getting 201s so that some land while a backup runs.
        let server = try ServerProcess(["serve", "--port", "0", "--db", db, "--rate-limit", "0"])
        let port = server.port
        let before = LockedCounter()
        for i in 0..<50 where (try? RawClient.request(port: port, "POST", "/v1/feedback", body: #"{"page":"/b\#(i % 5)","rating":"up"}"#).status) == 201 {
            before.increment()
        }
        // One writer, one request at a time: at any moment at most one write is committed but not yet counted.
        let acknowledged = LockedCounter()
        let stop = LockedFlag()
        let writer = Thread {
            var i = 0
            while !stop.isSet {
                i += 1
                if (try? RawClient.request(port: port, "POST", "/v1/feedback", body: #"{"page":"/during\#(i)","rating":"down","comment":"c"}"#).status) == 201 {
                    acknowledged.increment()
                }
            }
        }
        writer.start()
        defer { stop.set() }
        #expect(waitUntil { acknowledged.value > 0 }, "the writer is under way")
        // A backup counts when a write was acknowledged while it ran (almost always the first one;
        // a very quick backup on a stalled writer gets another try).
        var overlapped = false
        for attempt in 1...10 where !overlapped {
            let atStart = acknowledged.value
            let backup = try ServerProcess(["backup", "--db", db, "--to", copy], waitForPort: false)
            #expect(backup.waitForExit(timeout: 60) == 0, "\(backup.log)")
            let atEnd = acknowledged.value
            overlapped = atEnd > atStart
            #expect(backup.log.contains("integrity ok"))
            let connection = try Connection(path: copy, options: ConnectionOptions(readOnly: true))
            defer { connection.close() }
            let rows = try connection.first("SELECT count(*) FROM feedback") { $0.int(0) } ?? 0
            let rolled = try connection.first("SELECT coalesce(sum(up + down), 0) FROM rollup_page_total") { $0.int(0) } ?? -1
            // Rows are folded into rollups behind a watermark moved in the fold's own transaction: a
            // consistent snapshot has rollups equal to exactly the rows at or below it.
            let folded = try connection.first("SELECT count(*) FROM feedback WHERE id <= (SELECT coalesce(max(value), 0) FROM server_state WHERE name = 'derived_through')") { $0.int(0) } ?? 0
            // Everything acknowledged before the backup began is in the copy, and nothing beyond what was
            // committed by its end (the one write in flight at most).
            #expect(rows >= before.value + atStart && rows <= before.value + atEnd + 1, "attempt \(attempt): \(rows) rows, \(atStart)...\(atEnd) written")
            #expect(rolled == folded, "the copy is one consistent snapshot: rollups equal the rows folded into them")
            #expect(try connection.integrityCheck() == ["ok"])
            #expect(!FileManager.default.fileExists(atPath: copy + ".partial"))
        }
        stop.set()
        #expect(overlapped, "no write was acknowledged while a backup ran")

        let check = try ServerProcess(["check", "--db", copy], waitForPort: false)
        #expect(check.waitForExit() == 0)
        #expect(check.log.contains("ok: integrity check passed"))
    }

    @Test func checkReportsAnUnmigratedDatabase() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("other.db")
        let connection = try Connection(path: db)
        try connection.execute("CREATE TABLE unrelated(x)")
        connection.close()
        let check = try ServerProcess(["check", "--db", db], waitForPort: false)
        #expect(check.waitForExit() != 0)
        #expect(check.log.contains("is not applied"))
        let missing = try ServerProcess(["backup", "--db", dir.file("nope.db"), "--to", dir.file("x.db")], waitForPort: false)
        #expect(missing.waitForExit() != 0)
    }

    @Test func healthcheckFollowsReadiness() throws {
        let dir = TemporaryDirectory()
        let db = dir.file("h.db")
        let server = try ServerProcess(["serve", "--port", "0", "--db", db])
        let healthy = try ServerProcess(["healthcheck", "--port", String(server.port), "--timeout", "30"], waitForPort: false)
        #expect(healthy.waitForExit() == 0)
        #expect(healthy.log.contains("healthy"))
        // Another process holds the write lock: the database cannot be written, so the server is not
        // ready (after its 5 s busy timeout) even though it still answers.
        let blocker = try Connection(path: db)
        try blocker.execute("BEGIN IMMEDIATE")
        let notReady = try RawClient.request(port: server.port, "GET", "/readyz")
        #expect(notReady.status == 503, "\(notReady)")
        let unready = try ServerProcess(["healthcheck", "--port", String(server.port), "--timeout", "30"], waitForPort: false)
        #expect(unready.waitForExit() != 0)
        try blocker.execute("ROLLBACK")
        blocker.close()
        let again = try ServerProcess(["healthcheck", "--port", String(server.port), "--timeout", "30"], waitForPort: false)
        #expect(again.waitForExit() == 0, "ready again once the lock is gone")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let down = try ServerProcess(["healthcheck", "--port", String(server.port), "--timeout", "1"], waitForPort: false)
        #expect(down.waitForExit() != 0)
    }
}

final class LockedFlag: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

@Suite struct ConfigurationOutputTests {
    @Test func printConfigShowsEffectiveValuesFlagOverEnvironment() throws {
        let run = try ServerProcess(["serve", "--print-config", "--port", "9191"],
                                    environment: ["HEARKEN_PORT": "7000", "HEARKEN_MAX_CONNECTIONS": "77", "HEARKEN_LOG_FORMAT": "json"], waitForPort: false)
        #expect(run.waitForExit() == 0)
        let lines = run.log.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        func value(_ flag: String) -> String? { lines.first { $0.first == flag }?.last }
        #expect(value("--port") == "9191")
        #expect(value("--max-connections") == "77")
        #expect(value("--log-format") == "json")
        #expect(value("--db") == "./data/hearken.db")
    }

    @Test func jsonLogsAreOneObjectPerLineWithRequestIDs() throws {
        let dir = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", dir.file("h.db"), "--log-format", "json"])
        _ = try RawClient.request(port: server.port, "GET", "/healthz", headers: [("X-Request-Id", "trace-me")])
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let objects = server.log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == server.log.split(separator: "\n").count)
        #expect(objects.contains { $0["request_id"] as? String == "trace-me" && ($0["message"] as? String)?.contains("GET /healthz 200") == true })
    }
}
