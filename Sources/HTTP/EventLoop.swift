import CNet
import Dispatch
import Glibc
import Logging
import Synchronization

/// One epoll set served by one thread: accepts, reads, parses and writes inline,
/// and hands complete requests to handlers, whose answers come back through the mailbox.
final class EventLoop: @unchecked Sendable { // all `var` state is touched only on the loop thread; `mailbox` is a Mutex
    private static let wakeToken: UInt64 = 0
    private static let listenerTokenBase: UInt64 = 1 // 1...15 are listeners
    private static let firstConnectionID: UInt64 = 16

    let core: ServerCore
    private let epfd: Int32
    private let wakeFD: Int32
    private let events: OpaquePointer
    private let mailbox = Mutex(Mailbox())

    /// Work for the loop thread from other threads.
    private struct Mailbox {
        var tasks: [@Sendable (EventLoop) -> Void] = []
        /// How many times tasks were put in (one per `execute`, one per `DeliveryBatch` handed over).
        var deliveries = 0
    }
    private let threadID = Mutex<pthread_t?>(nil)

    private var connections: [UInt64: HTTPConnection] = [:]
    /// Connections with buffered requests waiting for their next turn.
    private var resumable: [HTTPConnection] = []
    private var nextID = EventLoop.firstConnectionID
    private var listeners: [Int32] = []
    private var listenersPaused = false
    private var acceptResumeAt: UInt64 = 0
    private(set) var draining = false
    private var running = true
    private var nextSweep: UInt64 = 0
    var dateCache = DateLineCache()
    let scratch: UnsafeMutableRawBufferPointer

    init(core: ServerCore) throws(ServerError) {
        self.core = core
        epfd = cnet_epoll_create()
        wakeFD = cnet_eventfd()
        guard epfd >= 0, wakeFD >= 0, let events = cnet_events_new(256) else {
            throw ServerError("cannot create epoll instance: \(String(cString: strerror(errno)))")
        }
        self.events = events
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        _ = cnet_epoll_add(epfd, wakeFD, 1, Self.wakeToken)
    }

    deinit {
        scratch.deallocate()
        cnet_events_free(events)
        close(epfd)
        close(wakeFD)
    }

    func addListeners(_ fds: [Int32]) {
        listeners = fds
        registerListeners()
    }

    private func registerListeners() {
        for (index, fd) in listeners.enumerated() {
            _ = cnet_epoll_add_exclusive(epfd, fd, Self.listenerTokenBase + UInt64(index))
        }
        listenersPaused = false
    }

    private func unregisterListeners() {
        for fd in listeners { _ = cnet_epoll_del(epfd, fd) }
        listenersPaused = true
    }

    var isOnLoopThread: Bool {
        threadID.withLock { id in id.map { pthread_equal($0, pthread_self()) != 0 } ?? false }
    }

    /// Runs `task` on the loop thread; safe from any thread. Inside `DeliveryBatch.collecting` on this
    /// thread the task waits in the batch and reaches the loop with the rest of it.
    func execute(_ task: @escaping @Sendable (EventLoop) -> Void) {
        if let batch = DeliveryBatch.current {
            batch.add(task, for: self)
        } else {
            executeAll(CollectionOfOne(task))
        }
    }

    /// Puts `tasks` in the mailbox at once, and wakes the loop once if it was empty.
    func executeAll<Tasks: Collection>(_ tasks: Tasks) where Tasks.Element == @Sendable (EventLoop) -> Void {
        let wake = mailbox.withLock { box in
            box.deliveries += 1
            // Not empty before: the wakeup for the first task was sent and the loop has not run it yet.
            let wasEmpty = box.tasks.isEmpty
            box.tasks.append(contentsOf: tasks)
            return wasEmpty
        }
        if wake { _ = cnet_eventfd_signal(wakeFD) }
    }

    /// How many deliveries reached the mailbox so far (tests).
    var mailboxDeliveries: Int { mailbox.withLock { $0.deliveries } }

    /// Delivers a handler's response to the connection that asked, if it is still waiting for it.
    func deliver(_ response: Response, connectionID: UInt64, generation: UInt64) {
        if isOnLoopThread {
            connections[connectionID]?.deliver(response, generation: generation)
        } else {
            execute { loop in loop.connections[connectionID]?.deliver(response, generation: generation) }
        }
    }

    func deliver(building: @escaping @Sendable () -> Response, connectionID: UInt64, generation: UInt64) {
        if isOnLoopThread {
            connections[connectionID]?.deliver(building(), generation: generation)
        } else {
            execute { loop in loop.connections[connectionID]?.deliver(building(), generation: generation) }
        }
    }

    /// Delivers the next piece of a streamed body to its connection.
    func deliverChunk(_ piece: Result<[UInt8]?, any Error>, connectionID: UInt64, generation: UInt64) {
        if isOnLoopThread {
            connections[connectionID]?.receive(piece, generation: generation)
        } else {
            execute { loop in loop.connections[connectionID]?.receive(piece, generation: generation) }
        }
    }

    /// The loop body; returns after `stop`.
    func run() {
        threadID.withLock { $0 = pthread_self() }
        while running {
            let now = cnet_monotonic_ms()
            let wait = !resumable.isEmpty ? 0 : nextSweep > now ? Int32(min(nextSweep - now, 250)) : 0
            let count = cnet_epoll_wait(epfd, events, wait)
            if count < 0 { continue }
            for index in 0..<Int(count) {
                let token = cnet_event_token(events, Int32(index))
                let flags = cnet_event_flags(events, Int32(index))
                if token == Self.wakeToken {
                    cnet_eventfd_drain(wakeFD)
                    runMailbox()
                } else if token < Self.firstConnectionID {
                    acceptConnections(listener: listeners[Int(token - Self.listenerTokenBase)])
                } else if let connection = connections[token] {
                    connection.handle(readable: flags & 1 != 0, writable: flags & 2 != 0, hangup: flags & 4 != 0)
                }
            }
            if !resumable.isEmpty {
                let turn = resumable
                resumable.removeAll(keepingCapacity: true)
                for connection in turn { connection.resume() }
            }
            let after = cnet_monotonic_ms()
            if after >= nextSweep {
                sweep(now: after)
                nextSweep = after + 100
            }
        }
        for connection in Array(connections.values) { connection.close() }
    }

    private func runMailbox() {
        let tasks = mailbox.withLock { box in
            let taken = box.tasks
            box.tasks = []
            return taken
        }
        for task in tasks { task(self) }
    }

    private func acceptConnections(listener: Int32) {
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        for _ in 0..<64 {
            let fd = cnet_accept(listener, &address, &length)
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors or memory: back off instead of spinning on a ready listener.
                    core.logger.warning("accept paused: \(String(cString: strerror(errno)))")
                    unregisterListeners()
                    acceptResumeAt = cnet_monotonic_ms() + 250
                    return
                default: return
                }
            }
            _ = cnet_set_nodelay(fd)
            var text = [CChar](repeating: 0, count: 64)
            let remote = cnet_format_address(&address, &text, text.count) == 0
                ? String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "unknown"
            let id = nextID
            nextID += 1
            let admitted = core.admit()
            let connection = HTTPConnection(id: id, fd: fd, remoteAddress: remote, loop: self, counted: admitted)
            connections[id] = connection
            guard cnet_epoll_add(epfd, fd, 1, id) == 0 else {
                connection.close()
                continue
            }
            if !admitted { connection.reject() }
        }
    }

    func resumeLater(_ connection: HTTPConnection) { resumable.append(connection) }

    func setInterest(fd: Int32, id: UInt64, read: Bool, write: Bool) {
        _ = cnet_epoll_mod(epfd, fd, (read ? 1 : 0) | (write ? 2 : 0), id)
    }

    func removed(_ connection: HTTPConnection) {
        _ = cnet_epoll_del(epfd, connection.fd)
        connections[connection.id] = nil
        if connection.counted { core.release() }
    }

    private func sweep(now: UInt64) {
        if listenersPaused && !draining && now >= acceptResumeAt { registerListeners() }
        for connection in Array(connections.values) { connection.checkDeadline(now: now) }
    }

    /// Stops accepting and lets connections finish their current exchange.
    func beginDraining() {
        draining = true
        if !listenersPaused { unregisterListeners() }
        for connection in Array(connections.values) { connection.drain() }
    }

    var connectionCount: Int { connections.count }

    func stop() { running = false }
}

/// State shared by all loops: configuration, connection rules, logging, the observer and the connection count.
final class ServerCore: Sendable {
    let configuration: ServerConfiguration
    let rules: ConnectionRules
    let logger: Logger
    let connections: ConnectionGauge
    let observer: ExchangeObserver?

    init(configuration: ServerConfiguration, router: Router, logger: Logger, observer: ExchangeObserver? = nil,
         renderError: ErrorRenderer? = nil, connections: ConnectionGauge = ConnectionGauge()) {
        self.configuration = configuration
        rules = ConnectionRules(configuration: configuration, router: router, renderError: renderError)
        self.logger = logger
        self.observer = observer
        self.connections = connections
    }

    /// Counts a new connection; false when the server is full.
    func admit() -> Bool { connections.admit(limit: configuration.maxConnections) }

    func release() { connections.release() }

    var openConnections: Int { connections.value }
}

public struct ServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
