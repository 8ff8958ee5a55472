import Synchronization
import Testing
@testable import HTTP

/// Plays the driver's part for a `ConnectionState` with no socket: feeds it bytes and time, performs
/// its actions in memory and keeps what would have gone on the wire.
struct Wire {
    static let date = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"

    var state: ConnectionState
    var now: UInt64 = 1_000_000
    var written: [UInt8] = []
    var dispatched: [Request] = []
    var answered: [AnsweredExchange] = []
    var reading = true
    var lingering = false
    var closed = false
    var cancelledStream = false
    var yields = 0
    var pieceRequests = 0
    /// Whether written bytes leave at once (a fast reader) or stay queued until `drain`.
    var drainsAtOnce = true
    var undrained = false
    /// Answers handlers give synchronously; nil leaves the request waiting for `answer`.
    var autoAnswer: ((Request) -> Response?)?

    init(configure: (inout ServerConfiguration) -> Void = { _ in }, renderError: ErrorRenderer? = nil) {
        var configuration = ServerConfiguration()
        configuration.headerTimeout = 10
        configuration.bodyTimeout = 30
        configuration.keepAliveTimeout = 15
        configuration.writeTimeout = 20
        configure(&configuration)
        var router = Router()
        router.get("/hello") { _, _ in }
        router.get("/items/:id") { _, _ in }
        router.post("/echo", bodyLimit: 1024) { _, _ in }
        router.add("DELETE", "/items/:id") { _, _ in }
        let rules = ConnectionRules(configuration: configuration, router: router, renderError: renderError, requestIDPrefix: "t")
        state = ConnectionState(rules: rules, connectionID: 7, remoteAddress: "192.0.2.1", now: now)
    }

    var text: String { String(decoding: written, as: UTF8.self) }
    var phase: ConnectionState.Phase { state.phase }

    /// Performs actions until the state machine waits, as `HTTPConnection.run` does.
    mutating func run() {
        while true {
            switch state.nextAction(Moment(now: now, dateLine: Array(Self.date.utf8))) {
            case .wait: return
            case .write(let bytes): put(bytes)
            case .respond(let bytes, let exchange):
                answered.append(exchange)
                put(bytes)
            case .pauseReading: reading = false
            case .resumeReading: reading = true
            case .dispatch(let request, _):
                dispatched.append(request)
                if let response = autoAnswer?(request) { state.answerReady(response, generation: state.generation) }
            case .requestPiece: pieceRequests += 1
            case .yield:
                yields += 1
                return
            case .linger: lingering = true
            case .close(let stream):
                if let stream {
                    stream.cancel()
                    cancelledStream = true
                }
                closed = true
                return
            }
        }
    }

    private mutating func put(_ bytes: [UInt8]) {
        written += bytes
        if drainsAtOnce { state.outputDrained(now: now) } else { undrained = true }
    }

    mutating func feed(_ text: String) { feed(Array(text.utf8)) }

    mutating func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { state.bytesRead($0) }
        run()
    }

    mutating func answer(_ response: Response = Response(status: .ok, contentType: "text/plain", body: "hi".utf8)) {
        let accepted = state.answerReady(response, generation: state.generation)
        #expect(accepted)
        run()
    }

    mutating func drain() {
        undrained = false
        state.outputDrained(now: now)
        run()
    }

    /// Lets `milliseconds` pass, then checks the deadline as the loop's sweep does.
    mutating func advance(_ milliseconds: UInt64) {
        now += milliseconds
        state.deadlinePassed(now: now)
        run()
    }

    mutating func peerClosed() {
        state.peerClosed()
        run()
    }

    /// The responses written so far, split by their framing (no HEAD responses here).
    var responses: [WrittenResponse] { WrittenResponse.split(written) }
}

struct WrittenResponse {
    let status: Int
    let headers: [(String, String)]
    let body: String

    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    static func split(_ bytes: [UInt8]) -> [WrittenResponse] {
        var result: [WrittenResponse] = []
        var rest = bytes[...]
        while let end = rest.firstRange(of: Array("\r\n\r\n".utf8)) {
            let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
            rest = rest[end.upperBound...]
            var lines = head.components(separatedBy: "\r\n")
            let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
            let headers = lines.map { line -> (String, String) in
                let parts = line.split(separator: ":", maxSplits: 1)
                return (String(parts[0]), String(parts[1].drop { $0 == " " }))
            }
            var response = WrittenResponse(status: status, headers: headers, body: "")
            if let length = response.header("Content-Length").flatMap(Int.init) {
                response = WrittenResponse(status: status, headers: headers, body: String(decoding: rest.prefix(length), as: UTF8.self))
                rest = rest.dropFirst(length)
            }
            result.append(response)
        }
        return result
    }
}

/// A streamed body whose pieces the test hands over by hand.
final class ManualStream: BodyStream {
    let cancelled = Atomic<Bool>(false)
    func next(_ deliver: @escaping @Sendable (Result<[UInt8]?, any Error>) -> Void) {}
    func cancel() { cancelled.store(true, ordering: .relaxed) }
}

struct StreamFailed: Error {}

let get = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n"

@Suite struct ConnectionStateTests {
    // MARK: Keep-alive and Connection: close

    @Test func keepAliveAnswersSeveralRequestsAndArmsTheIdleDeadline() {
        var wire = Wire()
        for round in 1...3 {
            wire.feed(get)
            #expect(wire.dispatched.count == round)
            #expect(wire.phase == .waiting)
            wire.answer()
            #expect(wire.phase == .idle)
            #expect(wire.state.deadline == wire.now + 15_000)
        }
        let responses = wire.responses
        #expect(responses.map(\.status) == [200, 200, 200])
        #expect(responses.allSatisfy { $0.header("Connection") == nil && $0.body == "hi" })
        #expect(responses.map { $0.header("X-Request-Id") } == ["t-7-1", "t-7-2", "t-7-3"])
        #expect(!wire.closed && !wire.lingering)
    }

    @Test func connectionCloseIsAnsweredThenLingersUntilThePeerCloses() {
        var wire = Wire()
        wire.feed("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        wire.answer()
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering)
        #expect(wire.phase == .lingering)
        #expect(!wire.closed)
        wire.feed(get) // discarded while lingering
        #expect(wire.dispatched.count == 1)
        wire.peerClosed()
        #expect(wire.closed)
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() {
        var closing = Wire()
        closing.feed("GET /hello HTTP/1.0\r\n\r\n")
        closing.answer()
        #expect(closing.responses.first?.header("Connection") == "close")
        #expect(closing.lingering)

        var keeping = Wire()
        keeping.feed("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        keeping.answer()
        #expect(keeping.responses.first?.header("Connection") == "keep-alive")
        #expect(keeping.phase == .idle)
    }

    @Test func responseAskingToCloseClosesAKeepAliveConnection() {
        var wire = Wire()
        wire.feed(get + get)
        wire.answer(Response(status: .ok, body: [], closeConnection: true))
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering)
        #expect(wire.dispatched.count == 1, "the pipelined request after a closing answer is never run")
    }

    @Test func halfClosedClientStillGetsItsAnswerThenTheConnectionCloses() {
        var wire = Wire()
        wire.feed(get)
        wire.peerClosed()
        #expect(!wire.closed)
        #expect(!wire.reading)
        wire.answer()
        #expect(wire.responses.first?.status == 200)
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering && wire.reading, "lingering reads again to drain what the socket holds")
        wire.peerClosed() // the read returns 0 again
        #expect(wire.closed)
    }

    @Test func peerClosingBetweenRequestsOrMidRequestCloses() {
        var idle = Wire()
        idle.peerClosed()
        #expect(idle.closed)
        #expect(idle.written.isEmpty)

        var partial = Wire()
        partial.feed("GET /hello HTTP/1.1\r\nHost: a\r\nHo")
        partial.peerClosed()
        #expect(partial.closed)
        #expect(partial.written.isEmpty)
    }

    // MARK: Pipelining

    @Test func pipelinedRequestsAreDispatchedOneAtATimeAndAnsweredInOrder() {
        var wire = Wire()
        wire.feed(
            "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
                + "GET /items/2?x=1 HTTP/1.1\r\nHost: a\r\n\r\n"
                + "DELETE /items/3 HTTP/1.1\r\nHost: a\r\n\r\n"
        )
        #expect(wire.dispatched.count == 1, "the second request waits until the first is answered")
        let stale = wire.state.generation
        wire.answer(Response(status: .created, body: Array("one".utf8)))
        #expect(wire.dispatched.count == 2)
        #expect(wire.dispatched[1].path == "/items/2")
        #expect(wire.dispatched[1].query == "x=1")
        #expect(wire.dispatched[1].parameters["id"] == "2")
        let late = wire.state.answerReady(Response(status: .ok), generation: stale)
        #expect(!late, "a late answer for an old exchange is ignored")
        wire.answer(Response(status: .ok, body: Array("two".utf8)))
        wire.answer(Response(status: .noContent))
        #expect(wire.responses.map(\.status) == [201, 200, 204])
        #expect(wire.responses.map(\.body) == ["one", "two", ""])
        #expect(String(decoding: wire.dispatched[0].body, as: UTF8.self) == "first")
        #expect(wire.phase == .idle)
    }

    @Test func readingPausesWhilePipelinedBytesPileUpAndResumesWhenIdle() {
        var wire = Wire { $0.defaultBodyLimit = 1024; $0.limits.maxHeaderBytes = 1024 }
        wire.feed(get)
        #expect(wire.reading)
        wire.feed(String(repeating: get, count: 100)) // 3 kB > 2 kB bound
        #expect(!wire.reading)
        wire.autoAnswer = { _ in Response(status: .ok) }
        wire.answer()
        let dispatched = wire.dispatched.count
        #expect(dispatched == 1 + 16, "a turn of pipelined requests, then a yield")
        while wire.dispatched.count < 101 && wire.yields < 10 { wire.run() }
        let reading = wire.reading
        #expect(reading, "reading resumes once the buffered requests are answered")
        #expect(wire.phase == .idle)
    }

    @Test func manyPipelinedRequestsYieldToOtherConnectionsEverySixteen() {
        var wire = Wire()
        wire.autoAnswer = { _ in Response(status: .ok) }
        wire.feed(String(repeating: get, count: 40))
        #expect(wire.dispatched.count == 16)
        #expect(wire.yields == 1)
        wire.run() // the loop's next turn
        #expect(wire.dispatched.count == 32)
        wire.run()
        #expect(wire.dispatched.count == 40)
        #expect(wire.responses.count == 40)
        #expect(wire.phase == .idle)
    }

    @Test func emptyLinesBeforeARequestAreIgnored() {
        var wire = Wire()
        wire.feed("\r\n\r\n\n" + get)
        #expect(wire.dispatched.count == 1)
    }

    // MARK: Timeouts

    @Test func deadlineTableCoversEveryPhase() {
        let wire = Wire()
        let rules = wire.state.rules
        let expected: [(ConnectionState.Phase, UInt64?)] = [
            (.idle, 15_000), (.head, 10_000), (.body, 30_000), (.waiting, nil), (.writing, 20_000),
            (.streamWriting, 20_000), (.pieceWanted, 20_000), (.pieceAwaited, 20_000), (.lingering, 2000), (.closed, nil),
        ]
        for (phase, timeout) in expected { #expect(ConnectionState.timeout(of: phase, rules) == timeout, "\(phase)") }
    }

    @Test func stalledHeadersGet408AndTricklingDoesNotExtendTheDeadline() {
        var wire = Wire()
        wire.feed("G")
        #expect(wire.phase == .head)
        let deadline = wire.state.deadline
        #expect(deadline == wire.now + 10_000)
        for byte in "ET /hello HTTP/1.1\r\nHost: a\r\nX-Slow: aaaa".utf8 {
            wire.now += 100
            wire.feed([byte])
        }
        #expect(wire.state.deadline == deadline)
        wire.advance(deadline - wire.now - 1)
        #expect(wire.written.isEmpty)
        wire.advance(1)
        #expect(wire.responses.first?.status == 408)
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering)
        #expect(wire.answered.first?.route == "invalid")
    }

    @Test func bodyDeadlineBoundsAPauseAndIsRearmedByProgress() {
        var wire = Wire()
        wire.feed("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc")
        #expect(wire.phase == .body)
        wire.advance(29_000)
        wire.feed("de") // progress re-arms
        #expect(wire.state.deadline == wire.now + 30_000)
        wire.advance(29_999)
        #expect(wire.written.isEmpty)
        wire.advance(1)
        #expect(wire.responses.first?.status == 408)
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.dispatched.isEmpty)
    }

    @Test func idleKeepAliveConnectionClosesSilently() {
        var wire = Wire()
        wire.feed(get)
        wire.answer()
        let sent = wire.written.count
        wire.advance(14_999)
        #expect(!wire.closed)
        wire.advance(1)
        #expect(wire.closed)
        #expect(wire.written.count == sent)
    }

    @Test func freshConnectionThatSendsNothingClosesAtTheIdleDeadline() {
        var wire = Wire()
        wire.advance(15_000)
        #expect(wire.closed)
    }

    @Test func stalledWriteClosesAtTheWriteDeadline() {
        var wire = Wire()
        wire.drainsAtOnce = false
        wire.feed(get)
        wire.answer()
        #expect(wire.phase == .writing)
        wire.advance(19_999)
        #expect(!wire.closed)
        wire.advance(1)
        #expect(wire.closed)
    }

    @Test func lingeringEndsAtItsDeadline() {
        var wire = Wire()
        wire.feed("GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        wire.answer()
        #expect(wire.lingering)
        wire.advance(1999)
        #expect(!wire.closed)
        wire.advance(1)
        #expect(wire.closed)
    }

    @Test func aSlowHandlerIsNotTimedOut() {
        var wire = Wire()
        wire.feed(get)
        wire.advance(3_600_000)
        #expect(!wire.closed)
        wire.answer()
        #expect(wire.responses.first?.status == 200)
    }

    // MARK: Expect: 100-continue

    @Test func expectContinueGetsAnInterimAnswerThenTheFinalOne() {
        var wire = Wire()
        wire.feed("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        #expect(wire.text == "HTTP/1.1 100 Continue\r\n\r\n")
        #expect(wire.phase == .body)
        wire.feed("body")
        #expect(String(decoding: wire.dispatched.first?.body ?? [], as: UTF8.self) == "body")
        wire.answer(Response(status: .created))
        #expect(wire.responses.map(\.status) == [100, 201])
        #expect(wire.phase == .idle)
    }

    @Test func expectContinueWithTheBodyAlreadySentGetsNoInterimAnswer() {
        var wire = Wire()
        wire.feed("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\nbody")
        wire.answer()
        #expect(wire.responses.map(\.status) == [200])
    }

    @Test(arguments: [
        ("POST /nowhere HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 404),
        ("PATCH /hello HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", 405),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n", 413),
    ])
    func expectContinueThatWillBeRefusedIsAnsweredAtOnceAndClosed(raw: String, status: Int) {
        var wire = Wire()
        wire.feed(raw)
        #expect(!wire.text.contains("100 Continue"))
        #expect(wire.responses.map(\.status) == [status])
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering)
        #expect(wire.dispatched.isEmpty)
    }

    // MARK: Errors and closing

    @Test(arguments: [
        ("GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 40000) + "\r\n\r\n", 431),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2048\r\n\r\n", 413),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("GET / HTTP/3.0\r\nHost: a\r\n\r\n", 505),
        ("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n", 501),
    ])
    func unreadableRequestsGetTheirErrorAndCloseEvenWithMoreRequestsBuffered(raw: String, status: Int) {
        var wire = Wire()
        wire.feed(raw + get)
        #expect(wire.responses.map(\.status) == [status])
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.responses.first?.header("Content-Type") == "application/json")
        #expect(wire.lingering)
        #expect(wire.dispatched.isEmpty)
        #expect(wire.answered.first?.route == "invalid")
    }

    @Test func routingMissesKeepTheConnectionOpen() throws {
        var wire = Wire()
        wire.feed("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n" + "PUT /hello HTTP/1.1\r\nHost: a\r\n\r\n" + "OPTIONS /hello HTTP/1.1\r\nHost: a\r\n\r\n" + "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n")
        let responses = wire.responses
        try #require(responses.map(\.status) == [404, 405, 204, 204])
        #expect(responses[1].header("Allow") == "GET, HEAD, OPTIONS")
        #expect(responses[2].header("Allow") == "GET, HEAD, OPTIONS")
        #expect(responses[3].header("Allow") == "GET, HEAD, POST, DELETE, OPTIONS", "derived from the routes")
        #expect(responses.allSatisfy { $0.header("Connection") == nil })
        #expect(wire.answered.map(\.route) == ["unmatched", "unmatched", "unmatched", "unmatched"])
        #expect(wire.phase == .idle)
    }

    @Test func serverErrorsUseTheInstalledRenderer() {
        var wire = Wire(renderError: { status, code, message in
            Response(status: status, contentType: "text/plain", body: "\(code): \(message)".utf8)
        })
        wire.feed("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(wire.responses.first?.body == "not_found: no route for /missing")
        wire.feed("GET / HTTP/3.0\r\n\r\n")
        #expect(wire.responses.last?.body == "http_version_not_supported: only HTTP/1.0 and HTTP/1.1 are supported")
    }

    @Test func overTheConnectionLimitIsAnswered503AndClosed() {
        var wire = Wire()
        wire.state.rejectOverLimit()
        wire.run()
        #expect(wire.responses.first?.status == 503)
        #expect(wire.responses.first?.header("Retry-After") == "1")
        #expect(wire.responses.first?.header("Connection") == "close")
        #expect(wire.lingering)
    }

    @Test func drainingClosesIdleConnectionsAndAnswersInFlightOnesWithClose() {
        var idle = Wire()
        idle.state.beginDraining()
        idle.run()
        #expect(idle.closed)

        var busy = Wire()
        busy.feed(get + get)
        busy.state.beginDraining()
        busy.run()
        #expect(!busy.closed)
        busy.answer()
        #expect(busy.responses.first?.header("Connection") == "close")
        #expect(busy.dispatched.count == 1)
        #expect(busy.lingering)
    }

    @Test func lostConnectionClosesInAnyPhase() {
        var wire = Wire()
        wire.feed(get)
        wire.state.connectionLost()
        wire.run()
        #expect(wire.closed)
        let accepted = wire.state.answerReady(Response(), generation: wire.state.generation)
        #expect(!accepted)
    }

    // MARK: Streamed responses

    @Test func streamedBodyIsPulledPieceByPieceAndChunked() {
        var wire = Wire()
        let stream = ManualStream()
        wire.feed(get)
        wire.answer(Response(stream: stream))
        #expect(wire.text.contains("Transfer-Encoding: chunked"))
        #expect(wire.pieceRequests == 1)
        #expect(wire.phase == .pieceAwaited)
        wire.state.pieceReady(.success(Array("abc".utf8)), generation: wire.state.generation, now: wire.now)
        wire.run()
        #expect(wire.text.hasSuffix("3\r\nabc\r\n"))
        #expect(wire.pieceRequests == 2)
        wire.state.pieceReady(.success(nil), generation: wire.state.generation, now: wire.now)
        wire.run()
        #expect(wire.text.hasSuffix("0\r\n\r\n"))
        #expect(wire.phase == .idle)
        wire.advance(15_000)
        #expect(wire.closed)
        let cancelled = stream.cancelled.load(ordering: .relaxed)
        #expect(!cancelled, "a finished stream is not cancelled")
    }

    @Test func failedOrStalledStreamClosesAndCancels() {
        var failed = Wire()
        failed.feed(get)
        failed.answer(Response(stream: ManualStream()))
        failed.state.pieceReady(.failure(StreamFailed()), generation: failed.state.generation, now: failed.now)
        failed.run()
        #expect(failed.closed && failed.cancelledStream)

        var stalled = Wire()
        stalled.feed(get)
        stalled.answer(Response(stream: ManualStream()))
        stalled.advance(20_000)
        #expect(stalled.closed && stalled.cancelledStream)
    }

    // MARK: Split reads

    static let splitCases: [String] = [
        get,
        "GET http://example.com/items/9?q=a%20b HTTP/1.1\r\nHost: example.com\r\nX-Request-Id: abc-1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n",
        "\r\n" + get + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi" + "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n",
    ]

    /// What a connection did with all the bytes at once; every split must do the same.
    static func outcome(_ reads: [[UInt8]]) -> (requests: [String], written: String) {
        var wire = Wire()
        wire.autoAnswer = { request in Response(status: .ok, body: request.body) }
        for read in reads { wire.feed(read) }
        let requests = wire.dispatched.map { request in
            "\(request.method) \(request.path) \(request.query ?? "-") \(request.parameters) \(request.requestID) "
                + "\(request.headers.map { "\($0.name)=\($0.value)" }) \(String(decoding: request.body, as: UTF8.self))"
        }
        return (requests, wire.text)
    }

    @Test(arguments: splitCases)
    func requestSplitAtEveryByteIsReadTheSame(raw: String) {
        let bytes = Array(raw.utf8)
        let whole = Self.outcome([bytes])
        #expect(!whole.requests.isEmpty)
        for cut in 1..<bytes.count {
            let split = Self.outcome([Array(bytes[..<cut]), Array(bytes[cut...])])
            #expect(split.requests == whole.requests, "split at \(cut)")
            #expect(split.written == whole.written, "split at \(cut)")
        }
        let trickled = Self.outcome(bytes.map { [$0] })
        #expect(trickled.requests == whole.requests)
        #expect(trickled.written == whole.written)
    }

    @Test func absoluteFormTargetIsSplitOnceIntoPathAndQuery() {
        let whole = Self.outcome([Array(Self.splitCases[1].utf8)])
        #expect(whole.requests == [#"GET /items/9 q=a%20b ["id": "9"] abc-1 ["Host=example.com", "X-Request-Id=abc-1"] "#])
    }
}

/// Keeps failure messages short: the whole state would print every buffered byte.
extension Wire: CustomTestStringConvertible {
    var testDescription: String {
        "Wire(phase: \(phase), reading: \(reading), lingering: \(lingering), closed: \(closed), "
            + "dispatched: \(dispatched.count), written: \(written.count) bytes)"
    }
}
