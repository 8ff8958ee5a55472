import CNet
import Dispatch
import Glibc
import Logging
import Synchronization

/// The HTTP/1.1 server: listening sockets shared by `eventLoops` epoll loops.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let loops: [EventLoop]
    private let state = Mutex<State>(State())

    private struct State {
        var listeners: [Int32] = []
        var started = false
        var stopped = false
    }

    /// Loop threads that have returned from `run`.
    private let finished = DispatchGroup()

    /// `observer` hears about every answered request (metrics, access log); `renderError` shapes the
    /// errors the server answers by itself (unparseable requests, timeouts, no route, connection limit);
    /// `connections` counts the open connections for whoever else holds it.
    public init(configuration: ServerConfiguration, router: Router, logger: Logger, observer: ExchangeObserver? = nil,
                renderError: ErrorRenderer? = nil, connections: ConnectionGauge = ConnectionGauge()) throws(ServerError) {
        core = ServerCore(configuration: configuration, router: router, logger: logger, observer: observer, renderError: renderError,
                          connections: connections)
        var loops: [EventLoop] = []
        for _ in 0..<max(1, configuration.eventLoops) { loops.append(try EventLoop(core: core)) }
        self.loops = loops
    }

    /// Binds every address of the configured host and starts the loops. Returns the bound port.
    @discardableResult
    public func start() throws(ServerError) -> Int {
        cnet_ignore_sigpipe()
        let limit = cnet_raise_nofile_limit()
        if limit > 0 && limit < core.configuration.maxConnections + 64 {
            core.logger.warning("open-file limit \(limit) is below max connections \(core.configuration.maxConnections) + 64")
        }
        let listeners = try bind()
        state.withLock {
            $0.listeners = listeners
            $0.started = true
        }
        for (index, loop) in loops.enumerated() {
            loop.addListeners(listeners)
            finished.enter()
            DispatchQueue(label: "hearken.http.loop.\(index)").async { [finished] in
                loop.run()
                finished.leave()
            }
        }
        return port
    }

    /// The port the first listener is bound to.
    public var port: Int {
        state.withLock { $0.listeners.first.map { Int(cnet_local_port($0)) } ?? -1 }
    }

    public var openConnections: Int { core.openConnections }

    private func bind() throws(ServerError) -> [Int32] {
        let configuration = core.configuration
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let host = configuration.host.isEmpty ? nil : configuration.host
        let status = getaddrinfo(host, String(configuration.port), &hints, &result)
        guard status == 0, let first = result else {
            throw ServerError("cannot resolve host \(configuration.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var listeners: [Int32] = []
        var port = configuration.port
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        // "::" alone serves IPv4 too (dual stack); otherwise each address gets its own socket.
        let dualStack = configuration.host == "::"
        var seen: Set<[UInt8]> = []
        while let info = cursor {
            cursor = info.pointee.ai_next
            guard let address = info.pointee.ai_addr else { continue }
            if port != configuration.port { setPort(address, port) }
            let key = Array(UnsafeRawBufferPointer(start: address, count: Int(info.pointee.ai_addrlen)))
            guard seen.insert(key).inserted else { continue }
            let fd = cnet_listen(address, info.pointee.ai_addrlen, configuration.backlog, dualStack ? 0 : 1)
            guard fd >= 0 else {
                let reason = String(cString: strerror(errno))
                for open in listeners { close(open) }
                throw ServerError("cannot listen on \(configuration.host):\(port): \(reason)")
            }
            if port == 0 { port = Int(cnet_local_port(fd)) }
            listeners.append(fd)
        }
        guard !listeners.isEmpty else { throw ServerError("no address to listen on for \(configuration.host)") }
        return listeners
    }

    private func setPort(_ address: UnsafeMutablePointer<sockaddr>, _ port: Int) {
        let networkPort = UInt16(port).bigEndian
        if address.pointee.sa_family == sa_family_t(AF_INET) {
            address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port = networkPort }
        } else if address.pointee.sa_family == sa_family_t(AF_INET6) {
            address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port = networkPort }
        }
    }

    /// Runs `body`, which answers several requests from one thread (a group commit's completions):
    /// the answers reach each loop in one delivery, with one wakeup, when it returns (`DeliveryBatch`).
    /// Needs no server: the writer's completion scope is set up before the server exists.
    public static func deliveringTogether<T>(_ body: () throws -> T) rethrows -> T {
        try DeliveryBatch.collecting(body)
    }

    /// How many deliveries reached the loops' mailboxes so far (tests).
    var mailboxDeliveries: Int { loops.reduce(0) { $0 + $1.mailboxDeliveries } }

    /// Graceful stop: no new connections, idle ones closed, in-flight exchanges finish
    /// (answered with `Connection: close`) until `timeout` seconds, then the rest are closed.
    public func shutdown(timeout: Double) {
        let listeners = state.withLock { state -> [Int32]? in
            guard state.started, !state.stopped else { return nil }
            state.stopped = true
            return state.listeners
        }
        guard let listeners else { return }
        for loop in loops { loop.execute { $0.beginDraining() } }
        let deadline = cnet_monotonic_ms() + UInt64(max(0, timeout) * 1000)
        while cnet_monotonic_ms() < deadline {
            let remaining = Mutex<Int>(0)
            let counted = DispatchGroup()
            for loop in loops {
                counted.enter()
                loop.execute { loop in
                    remaining.withLock { $0 += loop.connectionCount }
                    counted.leave()
                }
            }
            counted.wait()
            if remaining.withLock({ $0 }) == 0 { break }
            usleep(20_000)
        }
        for loop in loops { loop.execute { $0.stop() } }
        finished.wait()
        for fd in listeners { close(fd) }
    }
}
