import CNet
import Glibc

/// The driver of one client connection: turns readiness events into `ConnectionState` events and
/// performs the actions it asks for (read, write, epoll interest, handler calls, close). All decisions
/// live in the state machine; this class only does syscalls and keeps the output buffer.
final class HTTPConnection {
    let id: UInt64
    let fd: Int32
    let counted: Bool
    private unowned let loop: EventLoop
    private var state: ConnectionState

    private var output: [UInt8] = []
    private var sent = 0
    private var wantsRead = true
    private var wantsWrite = false
    /// Inside `run`: a handler answering synchronously must not start a second, nested run.
    private var running = false
    /// When the current request went to its handler (monotonic ns), for the observer's duration.
    private var dispatchedAt: UInt64 = 0

    init(id: UInt64, fd: Int32, remoteAddress: String, loop: EventLoop, counted: Bool) {
        self.id = id
        self.fd = fd
        self.loop = loop
        self.counted = counted
        state = ConnectionState(rules: loop.core.rules, connectionID: id, remoteAddress: remoteAddress,
                                now: cnet_monotonic_ms(), draining: loop.draining)
    }

    // MARK: Events from the loop

    func handle(readable: Bool, writable: Bool, hangup: Bool) {
        let now = cnet_monotonic_ms()
        if writable && wantsWrite { flush(now) }
        if (readable || hangup) && wantsRead { readAvailable() }
        if hangup { state.connectionLost() }
        run(now)
    }

    private func readAvailable() {
        let n = read(fd, loop.scratch.baseAddress, loop.scratch.count)
        if n > 0 {
            state.bytesRead(UnsafeRawBufferPointer(rebasing: loop.scratch[0..<n]))
        } else if n == 0 {
            state.peerClosed()
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            state.connectionLost()
        }
    }

    func checkDeadline(now: UInt64) {
        guard now >= state.deadline else { return }
        state.deadlinePassed(now: now)
        run(now)
    }

    /// Server shutdown: close if idle, otherwise finish this exchange and then close.
    func drain() {
        state.beginDraining()
        run()
    }

    /// Over the connection limit: a 503 and close.
    func reject() {
        state.rejectOverLimit()
        run()
    }

    func close() {
        state.abort()
        run()
    }

    /// Continues with buffered pipelined requests (called by the loop after other connections had a turn).
    func resume() { run() }

    /// A handler's answer, possibly from another thread via the loop's mailbox.
    func deliver(_ response: Response, generation: UInt64) {
        if state.answerReady(response, generation: generation) { run() }
    }

    /// A piece of a streamed body, possibly from another thread via the loop's mailbox.
    func receive(_ piece: Result<[UInt8]?, any Error>, generation: UInt64) {
        guard state.awaitsPiece(generation: generation) else { return }
        if case .failure(let error) = piece { loop.core.logger.error("streamed response failed: \(error)") }
        let now = cnet_monotonic_ms()
        state.pieceReady(piece, generation: generation, now: now)
        run(now)
    }

    // MARK: Actions

    /// Performs the state machine's actions until it waits for the next event.
    private func run(_ now: UInt64 = cnet_monotonic_ms()) {
        guard !running else { return }
        running = true
        defer { running = false }
        let moment = Moment(now: now, dateLine: loop.dateCache.current())
        while true {
            switch state.nextAction(moment) {
            case .wait:
                return
            case .write(let bytes):
                write(bytes, moment.now)
            case .respond(let bytes, let answered):
                report(answered)
                write(bytes, moment.now)
            case .pauseReading:
                updateInterest(read: false, write: wantsWrite)
            case .resumeReading:
                updateInterest(read: true, write: wantsWrite)
            case .dispatch(let request, let handler):
                dispatchedAt = cnet_monotonic_ns()
                handler(request, Responder(loop: loop, connectionID: id, generation: state.generation))
            case .requestPiece(let stream):
                let loop = self.loop, id = self.id, generation = state.generation
                stream.next { piece in loop.deliverChunk(piece, connectionID: id, generation: generation) }
            case .yield:
                loop.resumeLater(self)
                return
            case .linger:
                shutdown(fd, Int32(SHUT_WR))
            case .close(let stream):
                stream?.cancel()
                loop.removed(self)
                Glibc.close(fd)
                return
            }
        }
    }

    private func report(_ answered: AnsweredExchange) {
        let finished = cnet_monotonic_ns()
        let duration = dispatchedAt == 0 ? 0 : finished &- dispatchedAt
        dispatchedAt = 0
        loop.core.observer?(CompletedExchange(method: answered.method, route: answered.route, routeIndex: answered.routeIndex, status: answered.status,
                                              durationNanoseconds: duration, path: answered.path,
                                              requestID: answered.requestID, bodyBytes: answered.bodyBytes))
    }

    private func write(_ bytes: [UInt8], _ now: UInt64) {
        if output.isEmpty { output = bytes } else { output.append(contentsOf: bytes) }
        flush(now)
    }

    private func flush(_ now: UInt64) {
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
                state.connectionLost()
                return
            }
        }
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        sent = 0
        updateInterest(read: wantsRead, write: false)
        state.outputDrained(now: now)
    }

    private func updateInterest(read: Bool, write: Bool) {
        guard read != wantsRead || write != wantsWrite else { return }
        wantsRead = read
        wantsWrite = write
        loop.setInterest(fd: fd, id: id, read: read, write: write)
    }
}
