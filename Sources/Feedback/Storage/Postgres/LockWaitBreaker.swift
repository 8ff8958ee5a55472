import Dispatch
import Postgres
import Synchronization

/// Bounds the waits for an advisory lock that a frozen peer holds to one `lock_timeout` per request,
/// whatever its place in the queue. A wait that runs out (55P03) is remembered with the session that
/// held the lock. While that same session still holds it, a request queued before the timeout fails
/// at once with the same error, and so does one that arrives within the length of that wait after it
/// (it may well have been held up behind the first wait, so a second wait would make its bound two).
/// A lock that is free is taken, and one held by any other session (a live peer folding for a few
/// milliseconds) is waited for as usual, so a frozen peer costs 503s only while it holds the lock.
final class LockWaitBreaker: Sendable {
    private struct Timeout {
        let at: UInt64
        let waited: UInt64
        let holder: Int
        let error: PostgresError
    }

    private let lastTimeout = Mutex<Timeout?>(nil)
    private static let minimumWindow: UInt64 = 1_000_000_000

    /// `tryLock` takes the lock if it is free; `waitLock` waits for it up to the session's
    /// `lock_timeout`. The session holding `key` is looked up (pg_locks) only when it is taken.
    /// `queued`: when the request was queued (uptime in ns), on whichever connection.
    func acquire(key: Int64, queued: UInt64, on connection: Postgres.Connection,
                 tryLock: () throws -> Bool, waitLock: () throws -> Void) throws {
        if try tryLock() { return }
        let holder = try connection.advisoryLockHolder(key)
        if let last = lastTimeout.withLock({ $0 }), let holder, holder == last.holder {
            let now = DispatchTime.now().uptimeNanoseconds
            if last.at > queued || now < last.at + max(last.waited, Self.minimumWindow) { throw last.error }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            try waitLock()
        } catch let error as PostgresError where error.sqlState == "55P03" {
            let now = DispatchTime.now().uptimeNanoseconds
            // The session holding it now, which may have taken it during the wait; inside a
            // transaction (the editor's) the timeout aborted it, so the one seen before the wait.
            if let holder = (try? connection.advisoryLockHolder(key)) ?? holder {
                lastTimeout.withLock { $0 = Timeout(at: now, waited: now - started, holder: holder, error: error) }
            }
            throw error
        }
    }
}
