import HTTP
import Synchronization

/// The server, known only after the store and the router were built: `/metrics` reads its connection
/// count, and the writer's completions coalesce their wakeups through it.
final class ServerHandle: Sendable {
    private let server = Mutex<HTTPServer?>(nil)

    func set(_ server: HTTPServer) { self.server.withLock { $0 = server } }

    var openConnections: Int { server.withLock { $0?.openConnections ?? 0 } }

    /// A group commit's answers wake the event loops once, not once each (see `HTTPServer.coalescingWakeups`).
    func coalescingWakeups(_ body: () -> Void) {
        guard let server = server.withLock({ $0 }) else { return body() }
        server.coalescingWakeups(body)
    }
}
