import Dispatch
import Foundation
import Postgres
import Synchronization

/// One PostgreSQL connection on its own queue, with the domain's session on it, that comes back by
/// itself after the server went away (a restart, a failover): a use that finds the link broken
/// reconnects first, at most once per backoff step (100 ms doubling to 2 s), and fails at once in
/// between, so callers get an answer in bounded time instead of queueing behind a dead server.
final class PostgresChannel: @unchecked Sendable { // `link` is touched only on the queue
    private let queue: Postgres.DatabaseQueue
    private let link: Link
    /// What is wrong with the link, nil while it works; readable from any thread.
    private let failure = Mutex<String?>(nil)

    /// libpq defaults a connection string may override: give up connecting after 5 s, and notice a
    /// server that vanished without closing the link (a dead host, a cut network) within about 30 s.
    static let connectionDefaults: [(keyword: String, value: String)] = {
        var defaults = [("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
                        ("keepalives_count", "3"), ("tcp_user_timeout", "30000")]
        // PGCONNECT_TIMEOUT and PGOPTIONS are the operator's: an explicit keyword would override them.
        let environment = ProcessInfo.processInfo.environment
        if environment["PGCONNECT_TIMEOUT"] == nil { defaults.append(("connect_timeout", "5")) }
        if environment["PGOPTIONS"] == nil { defaults.append(("options", serverSettings)) }
        return defaults.map { (keyword: $0.0, value: $0.1) }
    }()

    /// Server settings for every session, so a peer instance whose host froze while holding a lock
    /// (the fold's advisory lock, the editor's, a row) cannot stall this one for the ~2 h of the
    /// kernel's keepalive defaults. lock_timeout 15 s: far above any fold or batch hold (milliseconds
    /// to a second or two), far below a load balancer's patience (30-60 s); a wait that hits it fails
    /// with 55P03 and the request answers 503 storage_unavailable. An idle transaction is ended after
    /// 60 s (ours never idle; a frozen process's would hold its locks). The server's keepalives and
    /// TCP user timeout drop a vanished client's session, and its locks, within about 30 s.
    static let lockTimeoutSeconds = 15
    static let serverSettings = ["lock_timeout=\(lockTimeoutSeconds)s", "idle_in_transaction_session_timeout=60s", "tcp_keepalives_idle=10",
                                 "tcp_keepalives_interval=5", "tcp_keepalives_count=3", "tcp_user_timeout=30000"]
        .map { "-c \($0)" }.joined(separator: " ")

    init(_ connectionString: String, label: String) throws {
        queue = try Postgres.DatabaseQueue(connectionString, label: label, defaults: Self.connectionDefaults)
        link = queue.sync { Link(session: PostgresSession($0)) }
    }

    /// What is wrong with the link, or nil when its last use worked.
    var problem: String? { failure.withLock { $0 } }

    /// Runs `work` on the queue with a working session and waits. With `retrying`, work the link
    /// broke under runs once more on a new link: only for work that may run twice (reads, folds).
    func sync<T>(retrying: Bool = false, _ work: (PostgresSession) throws -> T) throws -> T {
        try queue.sync { connection in try use(connection, retrying: retrying, work) }
    }

    /// `sync` without waiting: `completion` gets the result on the queue.
    func async<T>(retrying: Bool = false, _ work: @escaping @Sendable (PostgresSession) throws -> T,
                  completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        queue.async { [self] connection in completion(Result { try use(connection, retrying: retrying, work) }) }
    }

    /// Runs `work` on the queue with a working session, or the reason there is none, without waiting.
    func async(_ work: @escaping @Sendable (Result<PostgresSession, any Error>) -> Void) {
        queue.async { [self] connection in
            do {
                _ = try attempt(connection) { session in work(.success(session)) }
            } catch {
                work(.failure(error))
            }
        }
    }

    /// Waits until everything queued before it has run.
    func barrier() { queue.sync { _ in } }

    func close() { queue.close() }

    /// On the queue: `attempt`, and once more when the link broke under it and `retrying` allows
    /// (a server that went away mid-query, or whose goodbye had not arrived yet when the use began).
    private func use<T>(_ connection: Postgres.Connection, retrying: Bool, _ work: (PostgresSession) throws -> T) throws -> T {
        do {
            return try attempt(connection, work)
        } catch where retrying && !connection.isConnected {
            return try attempt(connection, work)
        }
    }

    /// On the queue: reconnects when needed, runs `work`, and notes a link that broke under it.
    private func attempt<T>(_ connection: Postgres.Connection, _ work: (PostgresSession) throws -> T) throws -> T {
        let session = try connected(connection)
        defer {
            if !connection.isConnected {
                link.nextAttempt = 0
                failure.withLock { $0 = $0 ?? "the connection to PostgreSQL was lost" }
            }
        }
        return try work(session)
    }

    /// The session, after reconnecting a broken link when its backoff allows.
    private func connected(_ connection: Postgres.Connection) throws -> PostgresSession {
        connection.readPendingInput()
        if connection.isConnected {
            failure.withLock { $0 = nil }
            return link.session
        }
        let now = DispatchTime.now().uptimeNanoseconds
        if now < link.nextAttempt, let last = link.lastError { throw last }
        do {
            try connection.reset()
        } catch {
            link.lastError = error
            link.nextAttempt = now + link.backoff
            link.backoff = min(link.backoff * 2, Link.maxBackoff)
            failure.withLock { $0 = "PostgreSQL is unreachable: \(error.message)" }
            throw error
        }
        // A new server session: none of the old one's prepared statements exist there.
        link.session = PostgresSession(connection)
        link.backoff = Link.minBackoff
        link.lastError = nil
        failure.withLock { $0 = nil }
        return link.session
    }

    /// The queue's state of the link.
    private final class Link {
        static let minBackoff: UInt64 = 100_000_000
        static let maxBackoff: UInt64 = 2_000_000_000
        var session: PostgresSession
        var nextAttempt: UInt64 = 0
        var backoff = minBackoff
        var lastError: PostgresError?
        init(session: PostgresSession) { self.session = session }
    }
}
