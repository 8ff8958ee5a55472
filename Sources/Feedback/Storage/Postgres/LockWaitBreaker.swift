import Dispatch
import Postgres
import Synchronization

/// Bounds the waits for an advisory lock that a frozen peer holds to one `lock_timeout` per request,
/// whatever its place in the queue. A wait that runs out (55P03) is remembered: a request queued
/// before it fails at once with the same error, and so does one that arrives less than one timeout
/// later while the lock is still held (the frozen peer most likely still holds it, and that request
/// may well have been held up behind the first wait, so a second wait would make its bound two).
/// The first request after that window waits again, so a peer that merely holds the lock for long
/// costs at most one window of 503s, each with `Retry-After`.
final class LockWaitBreaker: Sendable {
    private let lastTimeout = Mutex<(at: UInt64, error: PostgresError)?>(nil)
    private let window = UInt64(PostgresChannel.lockTimeoutSeconds) * 1_000_000_000

    /// `tryLock` takes the lock if it is free; `waitLock` waits for it up to the session's `lock_timeout`.
    func acquire(queued: UInt64, tryLock: () throws -> Bool, waitLock: () throws -> Void) throws {
        let last = lastTimeout.withLock { $0 }
        if let last, last.at > queued { throw last.error }
        if try tryLock() { return }
        if let last, DispatchTime.now().uptimeNanoseconds < last.at + window { throw last.error }
        do {
            try waitLock()
        } catch let error as PostgresError where error.sqlState == "55P03" {
            lastTimeout.withLock { $0 = (DispatchTime.now().uptimeNanoseconds, error) }
            throw error
        }
    }
}
