import Dispatch
import Foundation
import Testing
import TestSupport
@testable import App
#if canImport(Glibc)
import Glibc
#endif

/// The README's failure answers, over real sockets: each status with its JSON `code`, and
/// `Retry-After` where the client is told to come back.
@Suite struct FailureAnswerTests {
    private static let vote = #"{"page":"/guide/auth","rating":"up"}"#

    private static func rawPost(_ body: String = vote) -> String {
        "POST /v1/feedback HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Which of `clients` the server answers first (poll over their sockets), or nil after `timeout` seconds.
    private static func firstAnswered(_ clients: [RawClient], timeout: Double) -> Int? {
        var fds = clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&fds, nfds_t(fds.count), Int32(timeout * 1000))
        guard ready > 0 else { return nil }
        return fds.firstIndex { $0.revents & Int16(POLLIN) != 0 }
    }

    @Test func overloadedWriterAnswers503WithRetryAfterAndStoresNothingExtra() throws {
        let live = try LiveApp { $0.storage.maxPendingWrites = 1 }
        // Hold the writer's queue so the first submission stays pending.
        let holding = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), released = DispatchSemaphore(value: 0)
        let store = live.app.store
        DispatchQueue.global().async {
            _ = try? store.writeNow { _ in
                holding.signal()
                release.wait()
            }
            released.signal()
        }
        // Released on every path: a writer left held would hang the app's shutdown.
        var releasedAlready = false
        defer { if !releasedAlready { release.signal() } }
        #expect(holding.wait(timeout: .now() + 30) == .success)
        let first = try RawClient(port: live.port, timeout: 30), second = try RawClient(port: live.port, timeout: 30)
        try first.send(Self.rawPost())
        try second.send(Self.rawPost(#"{"page":"/guide/billing","rating":"down"}"#))
        // One of the two is pending (the queue's one place); the other must be refused at once.
        let refusedIndex = try #require(Self.firstAnswered([first, second], timeout: 15), "neither submission was answered while the writer was held")
        let refused = try [first, second][refusedIndex].readResponse()
        #expect(refused.status == 503)
        #expect(errorField(refused).code == "overloaded")
        #expect(refused.header("Retry-After") == "1")
        release.signal()
        releasedAlready = true
        #expect(released.wait(timeout: .now() + 30) == .success)
        let accepted = try [first, second][1 - refusedIndex].readResponse()
        #expect(accepted.status == 201)
        #expect(try live.count() == 1)
    }

    @Test func unwritableStorageAnswers503StorageUnavailableAndRecovers() throws {
        let live = try LiveApp()
        // The writer's own connection refuses every change, as a database that cannot be written does.
        try live.app.store.writeNow { try $0.execute("PRAGMA query_only = 1") }
        let refused = try live.post(Self.vote)
        #expect(refused.status == 503)
        #expect(errorField(refused).code == "storage_unavailable")
        #expect(refused.header("Retry-After") == "1")
        try live.app.store.writeNow { try $0.execute("PRAGMA query_only = 0") }
        #expect(try live.count() == 0)
        #expect(try live.post(Self.vote).status == 201)
        #expect(try live.count() == 1)
    }

    /// In the binary the server stops before the store closes, so only a request that reaches a
    /// closed store (the last step of shutdown) gets this answer; the in-process app shows it.
    @Test func closedStoreAnswers503ShuttingDown() throws {
        let live = try LiveApp()
        live.app.store.close()
        let refused = try live.post(Self.vote)
        #expect(refused.status == 503)
        #expect(errorField(refused).code == "shutting_down")
        #expect(refused.header("Retry-After") == "1")
    }

    @Test func stalledHeadersAndBodiesAnswer408RequestTimeout() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db"), "--header-timeout", "1", "--body-timeout", "1"])
        let headers = try RawClient(port: server.port, timeout: 30)
        try headers.send("POST /v1/feedback HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n")
        let late = try headers.readResponse()
        #expect(late.status == 408)
        #expect(errorField(late).code == "request_timeout")
        #expect(headers.isClosedByServer())

        let body = try RawClient(port: server.port, timeout: 30)
        try body.send("POST /v1/feedback HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"page\"")
        let stalled = try body.readResponse()
        #expect(stalled.status == 408)
        #expect(errorField(stalled).code == "request_timeout")
        #expect(body.isClosedByServer())
    }

    @Test func unknownExpectationAnswers417ExpectationFailed() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db")])
        let body = Self.vote
        let client = try RawClient(port: server.port, timeout: 30)
        try client.send("POST /v1/feedback HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()
        #expect(response.status == 417)
        #expect(errorField(response).code == "expectation_failed")
        let check = try RawClient.request(port: server.port, "GET", "/healthz")
        #expect(check.status == 200)
        // Nothing was stored: the refused body never reached the writer.
        let stored = try ServerProcess(["export", "--db", directory.file("h.db")], waitForPort: false)
        #expect(stored.waitForExit() == 0)
        #expect(!stored.log.contains("/guide/auth"))
    }

    @Test func shutdownTimeoutRunningOutClosesARequestStillInFlightAndExitsZero() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db"), "--shutdown-timeout", "1"])
        #expect(try RawClient.request(port: server.port, "POST", "/v1/feedback", body: Self.vote).status == 201)
        // A body that never completes (the body timeout is 30 s): the request is in flight.
        let inFlight = try RawClient(port: server.port, timeout: 60)
        try inFlight.send("POST /v1/feedback HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"page\"")
        // The server has read the partial request once a request behind it on another connection is answered.
        #expect(try RawClient.request(port: server.port, "GET", "/healthz").status == 200)
        let signalled = Date()
        server.signal(SIGTERM)
        let status = server.waitForExit(timeout: 60)
        let waited = Date().timeIntervalSince(signalled)
        #expect(status == 0)
        #expect(waited >= 0.9, "the in-flight request got the shutdown timeout (waited \(waited) s)")
        #expect(waited < 20, "the shutdown timeout, not the 30 s body timeout, ended the wait (waited \(waited) s)")
        #expect(inFlight.isClosedByServer())
        #expect(server.log.contains("stopped"))
        let check = try ServerProcess(["check", "--db", directory.file("h.db")], waitForPort: false)
        #expect(check.waitForExit() == 0, "the database is intact: \(check.log)")
    }
}
