import Dispatch
import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import HTTP

/// Pieces `piece-0\n` … produced on another thread, counting how far the server pulled.
final class NumberedStream: BodyStream {
    let total: Int
    let pieceSize: Int
    let failAt: Int?
    let produced = Atomic<Int>(0)
    let cancelled = Atomic<Bool>(false)

    init(total: Int, pieceSize: Int = 0, failAt: Int? = nil) {
        self.total = total
        self.pieceSize = pieceSize
        self.failAt = failAt
    }

    struct Failure: Error {}

    func next(_ deliver: @escaping @Sendable (Result<[UInt8]?, any Error>) -> Void) {
        DispatchQueue.global().async { [self] in
            let index = produced.add(1, ordering: .relaxed).oldValue
            if index == failAt { return deliver(.failure(Failure())) }
            guard index < total else { return deliver(.success(nil)) }
            var bytes = Array("piece-\(index)\n".utf8)
            if pieceSize > bytes.count { bytes += [UInt8](repeating: 0x2E, count: pieceSize - bytes.count) }
            deliver(.success(bytes))
        }
    }

    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

final class StreamLog: Sendable {
    let streams = Mutex<[NumberedStream]>([])
}

final class StreamServer: Sendable {
    let server: HTTPServer
    let port: Int
    let log = StreamLog()

    /// `writeTimeout` is long unless a test is about it, so only that test's stall can close a connection.
    init(writeTimeout: Double = 60) throws {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.writeTimeout = writeTimeout
        var router = Router()
        let log = self.log
        router.get("/stream/:count") { request, responder in
            let count = Int(request.parameters["count"] ?? "") ?? 0
            let size = Int(request.queryValue("size") ?? "") ?? 0
            let stream = NumberedStream(total: count, pieceSize: size, failAt: request.queryValue("fail").flatMap { Int($0) })
            log.streams.withLock { $0.append(stream) }
            responder.respond(Response(status: .ok, headers: HTTPHeaders([("Content-Type", "text/plain")]), stream: stream))
        }
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        server = try HTTPServer(configuration: configuration, router: router, logger: logger)
        port = try server.start()
    }

    var last: NumberedStream? { log.streams.withLock { $0.last } }

    /// Polls the latest stream until `condition` holds or the time is up; whether it held.
    func waitUntil(seconds: Double = patientSeconds, _ condition: (NumberedStream) -> Bool) -> Bool {
        TestSupport.waitUntil(timeout: seconds) { last.map(condition) ?? false }
    }

    deinit { server.shutdown(timeout: 1) }
}

@Suite struct StreamingTests {
    @Test func streamedBodyIsChunkedAndTheConnectionStaysUsable() throws {
        let live = try StreamServer()
        let client = try RawClient(port: live.port)
        try client.send("GET /stream/50 HTTP/1.1\r\nHost: x\r\n\r\nGET /stream/3 HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = try client.readResponse()
        #expect(first.header("Transfer-Encoding") == "chunked")
        #expect(first.header("Content-Length") == nil)
        #expect(first.chunks == 50)
        #expect(first.text.hasPrefix("piece-0\npiece-1\n") && first.text.hasSuffix("piece-49\n"))
        let second = try client.readResponse()
        #expect(second.text == "piece-0\npiece-1\npiece-2\n", "pipelined request after a stream")
    }

    @Test func emptyStreamEndsAtOnce() throws {
        let live = try StreamServer()
        let response = try RawClient.request(port: live.port, "GET", "/stream/0")
        #expect(response.status == 200 && response.body.isEmpty && response.chunks == 0)
    }

    @Test func http10GetsTheBodyUntilClose() throws {
        let live = try StreamServer()
        let client = try RawClient(port: live.port)
        try client.send("GET /stream/5 HTTP/1.0\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.header("Transfer-Encoding") == nil)
        #expect(response.header("Connection") == "close")
        #expect(response.text == (0..<5).map { "piece-\($0)\n" }.joined())
    }

    @Test func headSendsNoBodyAndStartsNoStream() throws {
        let live = try StreamServer()
        let response = try RawClient.request(port: live.port, "HEAD", "/stream/5")
        #expect(response.status == 200 && response.body.isEmpty)
        #expect(live.last?.produced.load(ordering: .relaxed) == 0)
    }

    @Test func slowReaderHoldsTheProducerBack() throws {
        // 64 KiB pieces, a client that reads nothing: the server must stop asking for pieces once the
        // socket buffers are full, not read the whole (6.4 GB) stream into memory.
        let live = try StreamServer(writeTimeout: 1)
        let client = try RawClient(port: live.port)
        try client.send("GET /stream/100000?size=65536 HTTP/1.1\r\nHost: x\r\n\r\n")
        // It stalls past the write timeout (1 s): the connection closes and the stream is told to stop.
        #expect(live.waitUntil { $0.cancelled.load(ordering: .relaxed) })
        // Counted once it has stopped, so however long the stall took, this is all it ever pulled.
        let produced = live.last?.produced.load(ordering: .relaxed) ?? -1
        #expect(produced > 0 && produced < 200, "\(produced) pieces pulled by a client that reads nothing")
    }

    @Test func clientThatLeavesMidStreamCancelsIt() throws {
        let live = try StreamServer()
        do {
            let client = try RawClient(port: live.port)
            try client.send("GET /stream/100000?size=16384 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(live.waitUntil { $0.produced.load(ordering: .relaxed) > 0 })
            #expect(live.last?.cancelled.load(ordering: .relaxed) == false)
        }
        // The write timeout is 60 s: only the client's leaving can stop the stream this soon.
        #expect(live.waitUntil { $0.cancelled.load(ordering: .relaxed) })
    }

    @Test func producerFailureTruncatesTheBodyAndCloses() throws {
        let live = try StreamServer()
        let client = try RawClient(port: live.port)
        try client.send("GET /stream/10?fail=3 HTTP/1.1\r\nHost: x\r\n\r\n")
        // The server closes inside the chunked body (no last chunk): not a clean end, and not a hang,
        // which would end at the client's receive timeout instead.
        let error = #expect(throws: RawClient.ClientError.self) { try client.readResponse() }
        #expect(error?.description.hasPrefix("connection closed inside a chunk") == true, "\(String(describing: error))")
    }
}
