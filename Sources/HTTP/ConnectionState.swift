/// One HTTP/1.1 connection as a pure state machine: events go in (bytes read, output drained, deadline
/// passed, answer ready, peer closed), and `nextAction` says what the driver must do next. It makes no
/// syscall and reads no clock — time comes in with each event — so keep-alive, pipelining, timeouts and
/// error handling are testable with no socket (see `HTTPConnection` for the driver).
///
/// Requests are answered one at a time, in order; pipelined bytes wait in `input`. Every event only
/// changes state; the driver then calls `nextAction` until it returns `.wait`, so nothing re-enters.
struct ConnectionState {
    enum Phase: Equatable {
        /// Between requests (keep-alive); nothing of the next request has been looked at.
        case idle
        case head
        case body
        /// A handler has the request, or the server's own answer is about to be serialized.
        case waiting
        /// A complete response is being written; once drained: `idle` or `lingering`.
        case writing
        /// Part of a streamed response (its head or a piece) is being written.
        case streamWriting
        /// The previous piece is out: ask the stream for the next.
        case pieceWanted
        /// The stream has been asked and has not answered yet.
        case pieceAwaited
        /// Output is done and shut down; input is read and discarded until the peer closes.
        case lingering
        case closed
    }

    /// The one table from phase to timeout: how long the connection may stay in `phase`.
    static func timeout(of phase: Phase, _ rules: ConnectionRules) -> UInt64? {
        switch phase {
        case .idle: rules.keepAliveTimeout
        case .head: rules.headerTimeout
        case .body: rules.bodyTimeout // re-armed whenever body bytes arrive: it bounds a pause, not the upload
        case .writing, .streamWriting, .pieceWanted, .pieceAwaited: rules.writeTimeout // re-armed per streamed piece
        case .lingering: rules.lingerTimeout
        case .waiting, .closed: nil // handlers are not timed here; a closed connection has nothing left
        }
    }

    /// Pipelined requests answered in a row before the driver lets other connections have a turn.
    static let requestsPerTurn = 16
    static let continueLine: [UInt8] = Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)

    let rules: ConnectionRules
    let connectionID: UInt64
    let remoteAddress: String
    /// `prefix-connection-`: generated request ids only add the exchange's number (fewer String appends per request).
    private let requestIDStem: String

    private(set) var phase = Phase.idle
    /// When the current phase times out (monotonic ms); `.max` when it cannot.
    private(set) var deadline: UInt64
    /// Identifies the current exchange; answers and stream pieces for an older one are ignored.
    private(set) var generation: UInt64 = 0

    private var input = InputBuffer()
    private var scanner = HeadScanner()
    private var decoder: BodyDecoder
    private var current: Current?
    private var exchange: Exchange?
    private var answer: Response?
    private var stream: (any BodyStream)?
    private var chunked = false
    /// Bytes to write before anything else (a 100 Continue, a streamed piece).
    private var outgoing: [UInt8]?
    /// Whether the connection stays open after the response being written.
    private var keepAlive = true
    private var peerClosedInput = false
    private var draining = false
    private var closing = false
    private var lingerPending = false
    /// What the driver was last told about reading.
    private var reading = true
    private var dispatchedThisTurn = 0

    /// The request whose head has been read: parsed once, looked up once.
    private struct Current {
        let head: RequestHead
        let path: String
        let query: String?
        let lookup: Router.Lookup
    }

    /// What the response and the observer need about the exchange being answered.
    private struct Exchange {
        let method: String
        let path: String
        let requestID: String
        let version: HTTPVersion
        var keepAlive: Bool
        var route: String
        /// The matched route's `Router.Route.index`; nil for `unmatched` and `invalid`.
        var routeIndex: Int? = nil
    }

    init(rules: ConnectionRules, connectionID: UInt64, remoteAddress: String, now: UInt64, draining: Bool = false) {
        self.rules = rules
        self.connectionID = connectionID
        self.remoteAddress = remoteAddress
        self.draining = draining
        requestIDStem = rules.requestIDPrefix + "-" + String(connectionID, radix: 16) + "-"
        decoder = BodyDecoder(framing: .none, limit: 0, limits: rules.configuration.limits)
        deadline = .max
        arm(now)
    }

    // MARK: Events

    mutating func bytesRead(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .lingering, .closed: return
        default: input.append(bytes)
        }
    }

    /// The peer shut down its sending side (read returned 0): no further requests can come,
    /// but a request already received is still answered.
    mutating func peerClosed() {
        peerClosedInput = true
        if phase == .lingering { closing = true }
    }

    /// The socket is unusable (reset, hang-up, write error).
    mutating func connectionLost() {
        if phase != .closed { closing = true }
    }

    /// Everything handed out with `.write`/`.respond` is on the wire.
    mutating func outputDrained(now: UInt64) {
        switch phase {
        case .writing:
            if keepAlive {
                enter(.idle, now)
            } else {
                enter(.lingering, now)
                lingerPending = true
                input.discardAll()
            }
        case .streamWriting:
            phase = .pieceWanted
        default:
            break
        }
    }

    mutating func deadlinePassed(now: UInt64) {
        guard now >= deadline else { return }
        switch phase {
        case .head: fail(ParseError(.requestTimeout, "request_timeout", "request header not received in time"))
        case .body: fail(ParseError(.requestTimeout, "request_timeout", "request body not received in time"))
        case .idle, .writing, .streamWriting, .pieceWanted, .pieceAwaited, .lingering: closing = true
        case .waiting, .closed: break
        }
    }

    /// A handler's answer; false when it is stale (another exchange, or already answered).
    @discardableResult
    mutating func answerReady(_ response: Response, generation: UInt64) -> Bool {
        guard generation == self.generation, phase == .waiting, answer == nil, !closing else { return false }
        answer = response
        return true
    }

    /// Whether a streamed piece for `generation` is the one awaited.
    func awaitsPiece(generation: UInt64) -> Bool { generation == self.generation && phase == .pieceAwaited }

    mutating func pieceReady(_ piece: Result<[UInt8]?, any Error>, generation: UInt64, now: UInt64) {
        guard awaitsPiece(generation: generation), !closing else { return }
        arm(now)
        switch piece {
        case .success(let bytes?) where !bytes.isEmpty:
            outgoing = chunked ? ChunkedEncoding.chunk(bytes) : bytes
            phase = .streamWriting
        case .success:
            outgoing = chunked ? ChunkedEncoding.last : []
            stream = nil
            phase = .writing
        case .failure:
            // The head is out: the only honest signal left is a truncated body.
            keepAlive = false
            closing = true
        }
    }

    /// Server shutdown: close now if idle, otherwise finish this exchange (with `Connection: close`).
    mutating func beginDraining() {
        draining = true
        if (phase == .idle && input.isEmpty) || phase == .lingering { closing = true }
    }

    /// Over the connection limit: a 503 and close.
    mutating func rejectOverLimit() {
        exchange = Exchange(method: "-", path: "-", requestID: rules.requestIDPrefix + "-r" + String(connectionID, radix: 16),
                            version: .http1_1, keepAlive: false, route: "unmatched")
        var response = rules.renderError(.serviceUnavailable, "too_many_connections", "server is at its connection limit")
        response.headers.add("Retry-After", "1")
        answer = response
        phase = .waiting
        deadline = .max
    }

    /// The driver is going away (server stopped, registration failed).
    mutating func abort() { connectionLost() }

    // MARK: Actions

    /// What the driver must do next; call until `.wait` (or `.yield`/`.close`).
    mutating func nextAction(_ moment: Moment) -> ConnectionAction {
        if phase == .closed { return .wait }
        if closing { return close() }
        if lingerPending {
            lingerPending = false
            return .linger
        }
        if let bytes = outgoing {
            outgoing = nil
            return .write(bytes)
        }
        while true {
            switch phase {
            case .idle:
                input.skipLeadingNewlines()
                guard !input.isEmpty else {
                    input.compact()
                    return peerClosedInput ? close() : settle()
                }
                if input.isLoneCR && !peerClosedInput { return settle() }
                if draining { return close() }
                // Fairness: a client with many pipelined requests yields to the others every few.
                if dispatchedThisTurn >= Self.requestsPerTurn {
                    dispatchedThisTurn = 0
                    return .yield
                }
                scanner.reset()
                enter(.head, moment.now)
            case .head:
                let outcome = input.withUnread { scanner.scan($0, limits: rules.configuration.limits) }
                switch outcome {
                case .needMore:
                    input.compact()
                    return peerClosedInput ? close() : settle()
                case .failed(let error):
                    fail(error)
                case .complete(let length):
                    let parsed = input.withUnread {
                        RequestHeadParser.parse(UnsafeBufferPointer(rebasing: $0[..<length]), limits: rules.configuration.limits)
                    }
                    input.consume(length)
                    switch parsed {
                    case .failure(let error): fail(error)
                    case .success(let head): if let action = begin(head, moment.now) { return action }
                    }
                }
            case .body:
                let (used, outcome) = input.withUnread { decoder.feed($0) }
                input.consume(used)
                switch outcome {
                case .failed(let error):
                    fail(error)
                case .needMore:
                    if used > 0 { arm(moment.now) }
                    input.compact()
                    return peerClosedInput ? close() : settle()
                case .complete:
                    if let action = complete() { return action }
                }
            case .waiting:
                guard let response = answer else { return settle() }
                answer = nil
                return send(response, moment)
            case .pieceWanted:
                guard let stream else { return close() }
                phase = .pieceAwaited
                return .requestPiece(stream)
            case .writing, .streamWriting, .pieceAwaited, .lingering:
                return settle()
            case .closed:
                return .wait
            }
        }
    }

    // MARK: Transitions

    /// Decides how to receive the body once the head is known; an action when the request is answered
    /// without one (refused) or a 100 Continue must go out first, nil to go on reading.
    private mutating func begin(_ head: RequestHead, _ now: UInt64) -> ConnectionAction? {
        let (path, query) = Request.split(head.target)
        let lookup = rules.router.lookup(method: head.method, path: path)
        generation += 1
        let requestID = head.headers["x-request-id"].flatMap(Self.acceptableRequestID)
            ?? requestIDStem + String(generation)
        exchange = Exchange(method: head.method, path: path, requestID: requestID, version: head.version,
                            keepAlive: head.keepAlive, route: "unmatched")
        current = Current(head: head, path: path, query: query, lookup: lookup)
        var limit = rules.configuration.defaultBodyLimit
        if case .found(let route, _) = lookup, let own = route.bodyLimit { limit = own }
        if case .length(let length) = head.framing, length > limit {
            fail(.bodyTooLarge)
            return nil
        }
        var interim = false
        if head.expectsContinue && head.framing != .none {
            if case .found = lookup {
                interim = input.isEmpty // the client has not started sending the body anyway
            } else {
                // Refused before the body is sent; the client may or may not send it, so close after.
                exchange?.keepAlive = false
                answer = missResponse(head, path, lookup)
                phase = .waiting
                deadline = .max
                return nil
            }
        }
        decoder = BodyDecoder(framing: head.framing, limit: limit, limits: rules.configuration.limits)
        enter(.body, now)
        return interim ? .write(Self.continueLine) : nil
    }

    /// The body is complete: hand the request to its handler, or answer a miss.
    private mutating func complete() -> ConnectionAction? {
        guard let current, let exchange else { return close() }
        self.current = nil
        phase = .waiting
        deadline = .max
        dispatchedThisTurn += 1
        guard case .found(let route, let parameters) = current.lookup else {
            answer = missResponse(current.head, current.path, current.lookup)
            return nil
        }
        self.exchange?.route = route.pattern
        self.exchange?.routeIndex = route.index
        let request = Request(head: current.head, path: current.path, query: current.query, body: decoder.body,
                              requestID: exchange.requestID, remoteAddress: remoteAddress, parameters: parameters)
        decoder = BodyDecoder(framing: .none, limit: 0, limits: rules.configuration.limits)
        return .dispatch(request, route.handler)
    }

    /// The server's own answer when no route takes the request.
    private func missResponse(_ head: RequestHead, _ path: String, _ lookup: Router.Lookup) -> Response {
        switch lookup {
        case .notFound where head.target == "*":
            // OPTIONS * asks about the server as a whole (RFC 9110 §9.3.7).
            return Response(status: .noContent, headers: HTTPHeaders([("Allow", rules.serverMethods)]))
        case .notFound, .found:
            return rules.renderError(.notFound, "not_found", "no route for \(path)")
        case .methodNotAllowed(let allowed):
            let allow = allowed.joined(separator: ", ")
            if head.method == "OPTIONS" { return Response(status: .noContent, headers: HTTPHeaders([("Allow", allow)])) }
            var response = rules.renderError(.methodNotAllowed, "method_not_allowed", "\(head.method) is not allowed on \(path)")
            response.headers.add("Allow", allow)
            return response
        }
    }

    /// Serializes the answer and starts writing it.
    private mutating func send(_ response: Response, _ moment: Moment) -> ConnectionAction {
        guard let exchange else { return close() }
        self.exchange = nil
        let omitBody = exchange.method == "HEAD"
        let streamed = response.stream != nil && !omitBody && !response.status.forbidsBody
        keepAlive = exchange.keepAlive && !response.closeConnection && !draining && !peerClosedInput
            && !(streamed && exchange.version == .http1_0) // a 1.0 streamed body ends at the close
        let bytes = ResponseSerializer.serialize(
            response, omitBody: omitBody, keepAlive: keepAlive, version: exchange.version,
            requestID: exchange.requestID, dateLine: moment.dateLine
        )
        if streamed, let body = response.stream {
            stream = body
            chunked = exchange.version == .http1_1
            enter(.streamWriting, moment.now)
        } else {
            enter(.writing, moment.now)
        }
        return .respond(bytes, AnsweredExchange(method: exchange.method, route: exchange.route, routeIndex: exchange.routeIndex, status: response.status.code,
                                                path: exchange.path, requestID: exchange.requestID, bodyBytes: response.body.count))
    }

    /// A request that cannot be read: its error, then close.
    private mutating func fail(_ error: ParseError) {
        if exchange == nil {
            exchange = Exchange(method: "-", path: "-", requestID: rules.requestIDPrefix + "-e" + String(connectionID, radix: 16),
                                version: .http1_1, keepAlive: false, route: "invalid")
        }
        exchange?.keepAlive = false
        exchange?.route = "invalid"
        exchange?.routeIndex = nil
        current = nil
        answer = rules.renderError(error.status, error.code, error.message)
        phase = .waiting
        deadline = .max
    }

    private mutating func close() -> ConnectionAction {
        let open = stream
        stream = nil
        closing = false
        phase = .closed
        deadline = .max
        input.discardAll()
        return .close(open)
    }

    /// Nothing to do until the next event; first tells the driver whether to read meanwhile.
    private mutating func settle() -> ConnectionAction {
        dispatchedThisTurn = 0
        let wanted: Bool
        switch phase {
        case .closed: wanted = false
        case .lingering: wanted = true
        case .idle, .head, .body: wanted = !peerClosedInput
        case .waiting, .writing, .streamWriting, .pieceWanted, .pieceAwaited:
            // Back-pressure: past a bound, pipelined bytes stay in the socket until this answer is out.
            wanted = !peerClosedInput && input.unread <= rules.pipelineLimit
        }
        guard wanted != reading else { return .wait }
        reading = wanted
        return wanted ? .resumeReading : .pauseReading
    }

    private mutating func enter(_ next: Phase, _ now: UInt64) {
        phase = next
        arm(now)
    }

    private mutating func arm(_ now: UInt64) {
        deadline = Self.timeout(of: phase, rules).map { now + $0 } ?? .max
    }

    private static func acceptableRequestID(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count),
              value.utf8.allSatisfy({ CharacterClass.isToken($0) && $0 != UInt8(ascii: "'") && $0 != UInt8(ascii: "`") }) else { return nil }
        return value
    }
}
