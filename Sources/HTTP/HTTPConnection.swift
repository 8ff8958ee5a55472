import CNet
import Glibc
import Logging

/// One client connection: a state machine driven by its loop's readiness events.
/// Requests are answered one at a time in order; pipelined bytes wait in `input`.
final class HTTPConnection {
    private enum Phase {
        /// Between requests (keep-alive); nothing of the next request has arrived.
        case idle
        case head
        case body(RequestHead, Router.Lookup, BodyDecoder)
        /// A handler has the request.
        case waiting
        /// A response is being written.
        case writing
        /// A streamed body is being written; `waiting`: a piece has been asked for and not yet come.
        case streaming(any BodyStream, chunked: Bool, waiting: Bool)
        /// Output is done and shut down; reading and discarding until the peer closes.
        case lingering
        case closed
    }

    let id: UInt64
    let fd: Int32
    let counted: Bool
    private let remoteAddress: String
    private unowned let loop: EventLoop
    private var core: ServerCore { loop.core }

    private var phase = Phase.idle
    private var input: [UInt8] = []
    private var consumed = 0
    private var output: [UInt8] = []
    private var sent = 0
    private var scanner = HeadScanner()
    private var deadline: UInt64
    private var wantsRead = true
    private var wantsWrite = false
    private var keepAlive = true
    private var generation: UInt64 = 0
    private var dispatching = false
    private var syncResponse: Response?
    private var exchange: Exchange?
    /// Inside `process`, whose loop continues with the next pipelined request.
    private var processing = false
    /// The client shut down its sending side; no further requests can come.
    private var peerClosedInput = false

    /// What the access log needs about the request being answered.
    private struct Exchange {
        let method: String
        let path: String
        let requestID: String
        let version: HTTPVersion
        let started: UInt64
        let keepAlive: Bool
        var route = "unmatched"
        let startedNanos = cnet_monotonic_ns()
    }

    init(id: UInt64, fd: Int32, remoteAddress: String, loop: EventLoop, counted: Bool) {
        self.id = id
        self.fd = fd
        self.remoteAddress = remoteAddress
        self.loop = loop
        self.counted = counted
        deadline = cnet_monotonic_ms() + UInt64(loop.core.configuration.keepAliveTimeout * 1000)
    }

    // MARK: Events

    func handle(readable: Bool, writable: Bool, hangup: Bool) {
        if writable && wantsWrite { flush() }
        if readable || hangup { readAvailable() }
        if hangup, case .waiting = phase { close() }
    }

    private func readAvailable() {
        guard wantsRead else { return }
        let n = read(fd, loop.scratch.baseAddress, loop.scratch.count)
        if n > 0 {
            if case .lingering = phase { return }
            input.append(contentsOf: UnsafeRawBufferPointer(rebasing: loop.scratch[0..<n]))
            // While a request is being answered, pipelined bytes wait in `input`; past a bound we stop
            // reading until the answer is out (back-pressure without an epoll change per request).
            if input.count - consumed > Self.pipelineLimit(core.configuration) {
                switch phase {
                case .waiting, .writing, .streaming: updateInterest(read: false, write: wantsWrite)
                default: break
                }
            }
            process()
        } else if n == 0 {
            switch phase {
            case .waiting, .writing, .streaming:
                // The client half-closed after sending its request: answer it, then close.
                peerClosedInput = true
                updateInterest(read: false, write: wantsWrite)
            default:
                close()
            }
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            close()
        }
    }

    func checkDeadline(now: UInt64) {
        guard now >= deadline else { return }
        switch phase {
        case .head:
            fail(ParseError(.requestTimeout, "request_timeout", "request header not received in time"))
        case .body:
            fail(ParseError(.requestTimeout, "request_timeout", "request body not received in time"))
        case .idle, .writing, .lingering, .streaming:
            close()
        case .waiting, .closed:
            break
        }
    }

    /// Server shutdown: close if idle, otherwise finish this exchange and then close.
    func drain() {
        switch phase {
        case .idle where consumed == input.count, .lingering: close()
        default: break
        }
    }

    // MARK: Parsing

    private func process() {
        // Re-entry (a synchronous answer flushed from inside this loop) must not recurse: with
        // thousands of pipelined requests the stack would overflow. The loop below picks them up.
        guard !processing else { return }
        processing = true
        defer { processing = false }
        var answered = 0
        while true {
            switch phase {
            case .idle:
                skipLeadingNewlines()
                guard consumed < input.count else { compact(); return }
                if loop.draining { close(); return }
                // Fairness: a client with many pipelined requests yields to the others every few.
                if answered >= Self.requestsPerTurn {
                    loop.resumeLater(self)
                    return
                }
                phase = .head
                scanner.reset()
                deadline = cnet_monotonic_ms() + UInt64(core.configuration.headerTimeout * 1000)
            case .head:
                let outcome = input.withUnsafeBufferPointer { all in
                    scanner.scan(UnsafeBufferPointer(rebasing: all[consumed...]), limits: core.configuration.limits)
                }
                switch outcome {
                case .needMore: compact(); return
                case .failed(let error): fail(error); return
                case .complete(let length):
                    let parsed = input.withUnsafeBufferPointer { all in
                        RequestHeadParser.parse(UnsafeBufferPointer(rebasing: all[consumed..<(consumed + length)]), limits: core.configuration.limits)
                    }
                    consumed += length
                    switch parsed {
                    case .failure(let error): fail(error); return
                    case .success(let head): if !begin(head) { return }
                    }
                }
            case .body(let head, let lookup, var decoder):
                let (used, outcome) = input.withUnsafeBufferPointer { all in
                    decoder.feed(UnsafeBufferPointer(rebasing: all[consumed...]))
                }
                consumed += used
                switch outcome {
                case .failed(let error): fail(error); return
                case .needMore:
                    phase = .body(head, lookup, decoder)
                    if used > 0 { deadline = cnet_monotonic_ms() + UInt64(core.configuration.bodyTimeout * 1000) }
                    compact()
                    return
                case .complete:
                    answered += 1
                    dispatch(head, lookup, body: decoder.body)
                }
            case .waiting, .writing, .streaming, .lingering, .closed:
                compact()
                return
            }
        }
    }

    /// Decides how to receive the body once the head is known; false when a response was sent instead.
    private func begin(_ head: RequestHead) -> Bool {
        let path = Request.originForm(of: head.target).split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? "/"
        let lookup = core.router.lookup(method: head.method, path: path)
        let limit: Int
        if case .found(let route, _) = lookup { limit = route.bodyLimit ?? core.configuration.defaultBodyLimit } else { limit = core.configuration.defaultBodyLimit }
        if case .length(let length) = head.framing, length > limit {
            fail(.bodyTooLarge, head: head)
            return false
        }
        if head.expectsContinue && head.framing != .none {
            if case .found = lookup {
                if consumed == input.count { write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) }
            } else {
                // Refuse before the body is sent; the client may or may not send it, so close after.
                keepAlive = false
                dispatch(head, lookup, body: [], closeAfter: true)
                return false
            }
        }
        phase = .body(head, lookup, BodyDecoder(framing: head.framing, limit: limit, limits: core.configuration.limits))
        deadline = cnet_monotonic_ms() + UInt64(core.configuration.bodyTimeout * 1000)
        return true
    }

    private func dispatch(_ head: RequestHead, _ lookup: Router.Lookup, body: [UInt8], closeAfter: Bool = false) {
        let clientID = head.headers["x-request-id"].flatMap(Self.acceptableRequestID)
        var request = Request(
            method: head.method, target: head.target, version: head.version, headers: head.headers,
            body: body, requestID: clientID ?? "\(core.requestIDPrefix)-\(String(id, radix: 16))-\(generation + 1)", remoteAddress: remoteAddress
        )
        generation += 1
        exchange = Exchange(method: head.method, path: request.path, requestID: request.requestID, version: head.version,
                            started: cnet_monotonic_ms(), keepAlive: head.keepAlive && !closeAfter)
        phase = .waiting
        switch lookup {
        case .notFound where head.target == "*":
            // OPTIONS * asks about the server as a whole (RFC 9110 §9.3.7).
            send(Response(status: .noContent, headers: HTTPHeaders([("Allow", "GET, HEAD, POST, PATCH, DELETE, OPTIONS")])))
        case .notFound:
            send(.error(.notFound, code: "not_found", message: "no route for \(request.path)"))
        case .methodNotAllowed(let allowed):
            if head.method == "OPTIONS" {
                send(Response(status: .noContent, headers: HTTPHeaders([("Allow", allowed.joined(separator: ", "))])))
            } else {
                var response = Response.error(.methodNotAllowed, code: "method_not_allowed", message: "\(head.method) is not allowed on \(request.path)")
                response.headers.add("Allow", allowed.joined(separator: ", "))
                send(response)
            }
        case .found(let route, let parameters):
            request.parameters = parameters
            exchange?.route = route.pattern
            dispatching = true
            route.handler(request, Responder(loop: loop, connectionID: id, generation: generation))
            dispatching = false
            if let response = syncResponse {
                syncResponse = nil
                send(response)
            }
        }
    }

    /// A handler's answer, possibly from another thread via the loop's mailbox.
    func deliver(_ response: Response, generation: UInt64) {
        guard generation == self.generation, case .waiting = phase else { return }
        if dispatching { syncResponse = response } else { send(response) }
    }

    private static func acceptableRequestID(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ CharacterClass.isToken($0) && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "`") }) else { return nil }
        return value
    }

    // MARK: Writing

    private func send(_ response: Response) {
        guard let exchange else { return }
        let streamed = response.stream != nil && exchange.method != "HEAD" && !response.status.forbidsBody
        keepAlive = exchange.keepAlive && !response.closeConnection && !loop.draining && !peerClosedInput
            && !(streamed && exchange.version == .http1_0)
        let bytes = ResponseSerializer.serialize(
            response, omitBody: exchange.method == "HEAD", keepAlive: keepAlive, version: exchange.version,
            requestID: exchange.requestID, dateLine: loop.dateCache.current()
        )
        if streamed, let stream = response.stream {
            phase = .streaming(stream, chunked: exchange.version == .http1_1, waiting: false)
        } else {
            phase = .writing
        }
        deadline = cnet_monotonic_ms() + UInt64(core.configuration.writeTimeout * 1000)
        let elapsed = cnet_monotonic_ms() - exchange.started
        if let observer = core.observer {
            observer(CompletedExchange(method: exchange.method, route: exchange.route, status: response.status.code,
                                       durationNanoseconds: cnet_monotonic_ns() - exchange.startedNanos))
        }
        core.logger.info("\(exchange.method) \(exchange.path) \(response.status.code) \(response.body.count)B \(elapsed)ms",
                         metadata: ["request_id": "\(exchange.requestID)"])
        self.exchange = nil
        write(bytes)
    }

    /// Pipelined requests answered per connection before the loop serves other connections.
    static let requestsPerTurn = 16

    /// Continues with buffered pipelined requests (called by the loop after other connections had a turn).
    func resume() {
        if case .idle = phase { process() }
    }

    static func pipelineLimit(_ configuration: ServerConfiguration) -> Int {
        configuration.limits.maxHeaderBytes + configuration.defaultBodyLimit
    }

    private func write(_ bytes: [UInt8]) {
        if output.isEmpty { output = bytes } else { output.append(contentsOf: bytes) }
        flush()
    }

    private func flush() {
        while sent < output.count {
            let n = output.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return cnet_send(fd, base + sent, raw.count - sent)
            }
            if n > 0 {
                sent += n
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                updateInterest(read: wantsRead, write: true)
                return
            } else {
                close()
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        sent = 0
        if case .streaming(let stream, let chunked, waiting: false) = phase {
            requestPiece(stream, chunked: chunked)
            return
        }
        guard case .writing = phase else {
            updateInterest(read: wantsRead, write: false)
            return
        }
        if keepAlive {
            phase = .idle
            deadline = cnet_monotonic_ms() + UInt64(core.configuration.keepAliveTimeout * 1000)
            updateInterest(read: true, write: false)
            process()
        } else {
            startLingering()
        }
    }

    /// Asks the stream for its next piece once everything before it is on the wire.
    private func requestPiece(_ stream: any BodyStream, chunked: Bool) {
        phase = .streaming(stream, chunked: chunked, waiting: true)
        let loop = self.loop, id = self.id, generation = self.generation
        stream.next { piece in loop.deliverChunk(piece, connectionID: id, generation: generation) }
    }

    /// A piece of a streamed body, possibly from another thread via the loop's mailbox.
    func receive(_ piece: Result<[UInt8]?, any Error>, generation: UInt64) {
        guard generation == self.generation, case .streaming(let stream, let chunked, waiting: true) = phase else { return }
        deadline = cnet_monotonic_ms() + UInt64(core.configuration.writeTimeout * 1000)
        switch piece {
        case .success(let bytes?) where !bytes.isEmpty:
            phase = .streaming(stream, chunked: chunked, waiting: false)
            write(chunked ? ChunkedEncoding.chunk(bytes) : bytes)
        case .success:
            phase = .writing
            if chunked { write(ChunkedEncoding.last) } else { write([]) }
        case .failure(let error):
            // The head is out: the only honest signal left is a truncated body.
            core.logger.error("streamed response failed: \(error)")
            keepAlive = false
            close()
        }
    }

    /// Sends an error for a request that cannot be read, then closes.
    private func fail(_ error: ParseError, head: RequestHead? = nil) {
        if exchange == nil {
            exchange = Exchange(method: head?.method ?? "-", path: head.map { Request.originForm(of: $0.target) } ?? "-",
                                requestID: core.requestIDPrefix + "-e" + String(id, radix: 16), version: .http1_1,
                                started: cnet_monotonic_ms(), keepAlive: false, route: "invalid")
        }
        keepAlive = false
        phase = .waiting
        send(.error(error.status, code: error.code, message: error.message))
    }

    /// Over the connection limit: a 503 and close.
    func reject() {
        exchange = Exchange(method: "-", path: "-", requestID: core.requestIDPrefix + "-r" + String(id, radix: 16),
                            version: .http1_1, started: cnet_monotonic_ms(), keepAlive: false)
        phase = .waiting
        var response = Response.error(.serviceUnavailable, code: "too_many_connections", message: "server is at its connection limit")
        response.headers.add("Retry-After", "1")
        send(response)
    }

    /// Half-closes and discards input briefly, so unread request bytes do not turn the close into a reset.
    private func startLingering() {
        phase = .lingering
        shutdown(fd, Int32(SHUT_WR))
        input.removeAll()
        consumed = 0
        deadline = cnet_monotonic_ms() + 2000
        updateInterest(read: true, write: false)
    }

    func close() {
        if case .closed = phase { return }
        if case .streaming(let stream, _, _) = phase { stream.cancel() }
        phase = .closed
        loop.removed(self)
        Glibc.close(fd)
    }

    // MARK: Helpers

    private func updateInterest(read: Bool, write: Bool) {
        guard read != wantsRead || write != wantsWrite else { return }
        wantsRead = read
        wantsWrite = write
        if case .closed = phase { return }
        loop.setInterest(fd: fd, id: id, read: read, write: write)
    }

    private func skipLeadingNewlines() {
        // RFC 9112 §2.2: ignore empty lines before a request line.
        while consumed < input.count, input[consumed] == 0x0D || input[consumed] == 0x0A {
            if input[consumed] == 0x0D, consumed + 1 >= input.count { return }
            if input[consumed] == 0x0D, input[consumed + 1] != 0x0A { return }
            consumed += input[consumed] == 0x0D ? 2 : 1
        }
    }

    private func compact() {
        if consumed == input.count {
            input.removeAll(keepingCapacity: input.capacity <= 64 * 1024)
            consumed = 0
        } else if consumed > 16 * 1024 {
            input.removeFirst(consumed)
            consumed = 0
        }
        // Scanner offsets are relative to `consumed`; compaction keeps them valid since it only drops consumed bytes.
    }
}
