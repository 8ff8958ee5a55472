import Foundation
import SQLite
import Testing
import TestSupport

/// `/readyz` is ready only while the database can be written, and `hearken healthcheck` follows it.
@Suite struct ReadinessTests {
    private static func healthcheck(port: Int) throws -> (status: Int32?, output: String) {
        let run = try ServerProcess(["healthcheck", "--port", String(port), "--timeout", "30"], waitForPort: false)
        let status = run.waitForExit(timeout: 60)
        return (status, run.log)
    }

    @Test func readinessFailsWhileTheDatabaseCannotBeWrittenAndHealthcheckExitsNonZero() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        let server = try ServerProcess(["serve", "--port", "0", "--db", path])
        #expect(try RawClient.request(port: server.port, "GET", "/readyz").status == 200)
        let healthy = try Self.healthcheck(port: server.port)
        #expect(healthy.status == 0, "\(healthy.output)")

        // Another process holds the write lock: the server's writer cannot write (it waits its 5 s busy timeout).
        let other = try Connection(path: path, options: ConnectionOptions(busyTimeoutMilliseconds: 30_000))
        try other.execute("BEGIN EXCLUSIVE")
        let client = try RawClient(port: server.port, timeout: 30)
        try client.send(RawClient.requestText("GET", "/readyz", headers: [("Connection", "close")]))
        let notReady = try client.readResponse()
        #expect(notReady.status == 503)
        #expect(notReady.json?["status"] as? String == "unavailable")
        #expect((notReady.json?["reason"] as? String)?.contains("locked") == true, "\(notReady.text)")

        let unhealthy = try Self.healthcheck(port: server.port)
        #expect(unhealthy.status != nil && unhealthy.status != 0)
        #expect(unhealthy.output.contains("unhealthy: /readyz answered 503"), "\(unhealthy.output)")

        // Writable again: ready again.
        try other.execute("ROLLBACK")
        other.close()
        #expect(try RawClient.request(port: server.port, "GET", "/readyz").status == 200)
        #expect(try Self.healthcheck(port: server.port).status == 0)
    }

    @Test func healthcheckExitsNonZeroWhenNothingAnswers() throws {
        // A port that was just free: nobody listens there.
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db")])
        let port = server.port
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let result = try Self.healthcheck(port: port)
        #expect(result.status != nil && result.status != 0)
        #expect(result.output.contains("unhealthy: no answer"), "\(result.output)")
    }
}
