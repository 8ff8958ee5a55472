import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import HTTP

/// A live server on an ephemeral port with a small test router. Every timeout is long (60 s), so a
/// slow machine never trips one by accident; a test of a timeout shortens that one alone, and can then
/// tell it from the others by when it fires.
final class TestServer: Sendable {
    let server: HTTPServer
    let port: Int
    let gate = Gate()

    static let longTimeout: Double = 60

    /// `/held` answers only when the test lets it: `entered` is signalled when the request reaches its handler.
    final class Gate: Sendable {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
    }

    init(configure: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.headerTimeout = Self.longTimeout
        configuration.bodyTimeout = Self.longTimeout
        configuration.keepAliveTimeout = Self.longTimeout
        configuration.writeTimeout = Self.longTimeout
        configure(&configuration)
        var router = Router()
        router.get("/hello") { _, responder in
            responder.respond(Response(status: .ok, contentType: "text/plain", body: "hello".utf8))
        }
        router.post("/echo", bodyLimit: 1024) { request, responder in
            // Answer from another thread, as database-backed handlers do.
            DispatchQueue.global().async {
                responder.respond(Response(status: .created, contentType: "text/plain", body: request.body))
            }
        }
        router.get("/slow") { _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.4) {
                responder.respond(Response(status: .ok, contentType: "text/plain", body: "slow".utf8))
            }
        }
        router.get("/held") { [gate] _, responder in
            gate.entered.signal()
            DispatchQueue.global().async {
                _ = gate.release.wait(timeout: .now() + TestServer.longTimeout) // never hold a thread forever
                responder.respond(Response(status: .ok, contentType: "text/plain", body: "held".utf8))
            }
        }
        router.get("/big") { _, responder in
            responder.respond(Response(status: .ok, contentType: "application/octet-stream", body: [UInt8](repeating: 0x61, count: 8 << 20)))
        }
        router.get("/items/:id") { request, responder in
            responder.respond(Response(status: .ok, contentType: "text/plain", body: (request.parameters["id"] ?? "").utf8))
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = try HTTPServer(configuration: configuration, router: router, logger: logger)
        port = try server.start()
    }

    deinit { server.shutdown(timeout: 1) }
}

@Suite struct ServerTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        for _ in 0..<3 {
            try client.send(RawClient.requestText("GET", "/hello"))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello")
            #expect(response.header("Date") != nil)
            #expect(response.header("Content-Length") == "5")
            #expect(response.header("X-Request-Id") != nil)
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send(
            RawClient.requestText("POST", "/echo", body: "first", contentType: "text/plain")
                + RawClient.requestText("GET", "/items/2")
                + RawClient.requestText("POST", "/echo", body: "third", contentType: "text/plain")
        )
        #expect(try client.readResponse().text == "first")
        #expect(try client.readResponse().text == "2")
        #expect(try client.readResponse().text == "third")
    }

    /// Regression: a client that half-closes after its request (`printf … | nc`) must still get the answer.
    @Test(arguments: ["/hello", "/slow"])
    func halfClosedClientStillGetsItsResponse(path: String) throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send(RawClient.requestText("GET", path))
        client.shutdownWrite()
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(client.isClosedByServer())
    }

    /// Regression: thousands of pipelined requests answered synchronously once recursed per request
    /// and overflowed the loop thread's stack, killing the server.
    @Test func thousandsOfPipelinedRequestsInOneWrite() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        let count = 5000
        try client.send(String(repeating: RawClient.requestText("GET", "/hello"), count: count))
        for _ in 0..<count { #expect(try client.readResponse().text == "hello") }
        #expect(try RawClient.request(port: server.port, "GET", "/hello").status == 200)
    }

    @Test func chunkedBodyIsDecoded() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n")
        try client.send("5\r\npedia\r\n0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 201)
        #expect(response.text == "Wikipedia")
    }

    @Test func expectContinueGetsInterimResponseThenFinal() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let interim = try client.readResponse()
        #expect(interim.status == 100)
        try client.send("body")
        let final = try client.readResponse()
        #expect(final.status == 201)
        #expect(final.text == "body")
    }

    @Test func expectContinueOnOversizedBodyIsRefusedBeforeTheBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 413)
        #expect(client.isClosedByServer())
    }

    @Test func expectContinueOnUnknownRouteIsRefusedAndClosed() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send("POST /nowhere HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 404)
        #expect(response.json?["error"] != nil)
        #expect(client.isClosedByServer())
    }

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 40000) + "\r\n\r\n", 431),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n", 413),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n", 501),
    ])
    func invalidRequestsGetTheirStatusAndTheConnectionCloses(raw: String, status: Int) throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send(raw)
        let response = try client.readResponse()
        #expect(response.status == status)
        #expect(response.header("Connection") == "close")
        #expect(response.json?["error"] != nil)
        #expect(client.isClosedByServer())
    }

    @Test func notFoundAndMethodNotAllowedAreJSON() throws {
        let server = try TestServer()
        let notFound = try RawClient.request(port: server.port, "GET", "/missing")
        #expect(notFound.status == 404)
        #expect((notFound.json?["error"] as? [String: Any])?["code"] as? String == "not_found")
        let notAllowed = try RawClient.request(port: server.port, "DELETE", "/hello")
        #expect(notAllowed.status == 405)
        #expect(notAllowed.header("Allow") == "GET, HEAD, OPTIONS")
        let unknown = try RawClient.request(port: server.port, "QUERY", "/hello")
        #expect(unknown.status == 405)
        #expect(unknown.header("Allow") == "GET, HEAD, OPTIONS")
        let asterisk = try RawClient.request(port: server.port, "OPTIONS", "*")
        #expect(asterisk.status == 204)
        #expect(asterisk.header("Allow")?.contains("GET") == true)
        let options = try RawClient.request(port: server.port, "OPTIONS", "/hello")
        #expect(options.status == 204)
        #expect(options.header("Allow")?.contains("GET") == true)
    }

    @Test func headAnswersWithoutBody() throws {
        let server = try TestServer()
        let client = try RawClient(port: server.port)
        try client.send(RawClient.requestText("HEAD", "/hello") + RawClient.requestText("GET", "/hello"))
        let head = try client.readResponse(head: true)
        #expect(head.status == 200)
        #expect(head.header("Content-Length") == "5")
        #expect(head.body.isEmpty)
        // The next response starts right after the head: no body bytes were sent for HEAD.
        #expect(try client.readResponse().text == "hello")
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() throws {
        let server = try TestServer()
        let closing = try RawClient(port: server.port)
        try closing.send("GET /hello HTTP/1.0\r\n\r\n")
        #expect(try closing.readResponse().status == 200)
        #expect(closing.isClosedByServer())

        let keeping = try RawClient(port: server.port)
        try keeping.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let first = try keeping.readResponse()
        #expect(first.header("Connection") == "keep-alive")
        try keeping.send("GET /hello HTTP/1.0\r\n\r\n")
        #expect(try keeping.readResponse().status == 200)
    }

    @Test func requestIdIsTakenFromTheClientWhenWellFormed() throws {
        let server = try TestServer()
        let given = try RawClient.request(port: server.port, "GET", "/hello", headers: [("X-Request-Id", "abc-123")])
        #expect(given.header("X-Request-Id") == "abc-123")
        let bad = try RawClient.request(port: server.port, "GET", "/hello", headers: [("X-Request-Id", "has space")])
        // Replaced by one of the server's own: present, and not the client's malformed value.
        let replaced = try #require(bad.header("X-Request-Id"))
        #expect(replaced != "has space" && !replaced.isEmpty && !replaced.contains(" "))
    }

    // Each timeout test shortens only the timeout under test (1 s; the others stay at 60 s) and checks
    // it fired after at least that long but well before any other could have: a lower bound holds
    // however slow the machine (the clock starts before the bytes that start the server's), and the
    // upper one (30 s) leaves it 29 s of slack.

    @Test func stalledHeadersTimeOutWith408() throws {
        let server = try TestServer { $0.headerTimeout = 1 }
        let client = try RawClient(port: server.port)
        let started = Date()
        try client.send("GET /hello HTTP/1.1\r\nHost: a\r\n")
        let response = try client.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        #expect(response.status == 408)
        #expect(elapsed >= 0.9 && elapsed < 30, "answered after \(elapsed) s")
        #expect(client.isClosedByServer())
    }

    @Test func trickledHeadersCannotExtendTheHeaderDeadline() throws {
        let server = try TestServer { $0.headerTimeout = 1 }
        let client = try RawClient(port: server.port)
        let started = Date()
        // One byte every 50 ms for as long as it takes (the header value never ends), until the server
        // answers. A server that restarted the deadline at each byte would let this run for the whole 30 s.
        let head = Array("GET /hello HTTP/1.1\r\nX-Slow: ".utf8)
        var sent = 0
        var answeredWhileTrickling = false
        while Date().timeIntervalSince(started) < 30 {
            guard (try? client.send([sent < head.count ? head[sent] : UInt8(ascii: "a")])) != nil else { break }
            sent += 1
            if client.hasInput(within: 0.05) {
                answeredWhileTrickling = true
                break
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(answeredWhileTrickling, "no answer while the client kept sending a byte every 50 ms for \(elapsed) s")
        #expect((try? client.readResponse().status) == 408)
        #expect(elapsed >= 0.9)
    }

    @Test func stalledBodyTimesOut() throws {
        let server = try TestServer { $0.bodyTimeout = 1 }
        let client = try RawClient(port: server.port)
        let started = Date()
        try client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        let response = try client.readResponse()
        let elapsed = Date().timeIntervalSince(started)
        #expect(response.status == 408)
        #expect(elapsed >= 0.9 && elapsed < 30, "answered after \(elapsed) s")
    }

    @Test func idleKeepAliveConnectionIsClosed() throws {
        let server = try TestServer { $0.keepAliveTimeout = 1 }
        let client = try RawClient(port: server.port)
        let started = Date()
        try client.send(RawClient.requestText("GET", "/hello"))
        #expect(try client.readResponse().status == 200)
        #expect(client.isClosedByServer())
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed >= 0.9 && elapsed < 30, "closed after \(elapsed) s")
    }

    @Test func clientThatNeverReadsIsDroppedAtTheWriteTimeout() throws {
        let server = try TestServer { $0.writeTimeout = 1 }
        let client = try RawClient(port: server.port)
        try client.send(RawClient.requestText("GET", "/big"))
        // The answer has started: the connection is open and being written to.
        #expect(client.hasInput(within: patientSeconds))
        let dropped = waitUntil { server.server.openConnections == 0 }
        #expect(dropped, "the stalled connection is still open")
        // Others were served meanwhile.
        #expect(try RawClient.request(port: server.port, "GET", "/hello").status == 200)
        // The client that never read finds the stream cut short of the 8 MiB body.
        let rest = client.readUntilClosed()
        #expect(rest.closed && rest.bytes < 8 << 20, "\(rest)")
    }

    @Test func slowClientDoesNotDelayOthers() throws {
        // The slow client's headers could keep it waiting 60 s; the others must not wait with it.
        let server = try TestServer()
        let slow = try RawClient(port: server.port)
        try slow.send("GET /hello HTTP/1.1\r\nHost: a\r\n") // never finished
        let started = Date()
        for _ in 0..<20 { #expect(try RawClient.request(port: server.port, "GET", "/hello").status == 200) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < TestServer.longTimeout / 2, "20 requests took \(elapsed) s beside a stalled client")
    }

    @Test func concurrentClientsAllGetAnswers() throws {
        let server = try TestServer()
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 16) { worker in
            do {
                let client = try RawClient(port: server.port)
                for index in 0..<25 {
                    let body = "w\(worker)-\(index)"
                    try client.send(RawClient.requestText("POST", "/echo", body: body, contentType: "text/plain"))
                    if try client.readResponse().text != body { failures.withLock { $0 += 1 } }
                }
            } catch {
                failures.withLock { $0 += 1 }
            }
        }
        #expect(failures.withLock { $0 } == 0)
    }

    @Test func connectionsBeyondTheLimitGet503() throws {
        let server = try TestServer { $0.maxConnections = 2 }
        let first = try RawClient(port: server.port)
        let second = try RawClient(port: server.port)
        try first.send(RawClient.requestText("GET", "/hello"))
        try second.send(RawClient.requestText("GET", "/hello"))
        _ = try first.readResponse()
        _ = try second.readResponse()
        let third = try RawClient(port: server.port)
        let refused = try third.readResponse()
        #expect(refused.status == 503)
        #expect(refused.header("Retry-After") != nil)
        // The open connections still work.
        try first.send(RawClient.requestText("GET", "/hello"))
        #expect(try first.readResponse().status == 200)
    }

    @Test func listensOnIPv6() throws {
        let server = try TestServer { $0.host = "::1" }
        let client = try RawClient(port: server.port, ipv6: true)
        try client.send(RawClient.requestText("GET", "/hello"))
        #expect(try client.readResponse().status == 200)
    }

    @Test func shutdownLetsInFlightRequestsFinishAndRefusesNewOnes() throws {
        let server = try TestServer()
        let idle = try RawClient(port: server.port)
        try idle.send(RawClient.requestText("GET", "/hello"))
        #expect(try idle.readResponse().status == 200)
        let client = try RawClient(port: server.port)
        try client.send(RawClient.requestText("GET", "/held"))
        // In flight: the request has reached its handler, which answers only when released.
        #expect(server.gate.entered.wait(timeout: .now() + patientSeconds) == .success)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            server.server.shutdown(timeout: patientSeconds)
            done.signal()
        }
        // Draining has begun once the idle keep-alive connection is closed (its own timeout is 60 s).
        #expect(idle.isClosedByServer())
        server.gate.release.signal()
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.text == "held")
        #expect(response.header("Connection") == "close")
        #expect(done.wait(timeout: .now() + patientSeconds) == .success)
        #expect(throws: (any Error).self) { try RawClient(port: server.port) }
    }
}
