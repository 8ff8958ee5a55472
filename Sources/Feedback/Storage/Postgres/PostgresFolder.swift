import Dispatch
import Postgres
import Synchronization

/// Runs `PostgresFold` for one instance, on a connection of its own so the writer never waits for a
/// fold: `foldInterval` after a commit that added rows (one timer at a time), on maintenance and at
/// close. `catchUp()` is what reads call: it folds every row queued when it began, waiting for
/// another instance's fold when that one holds the lock, so a read sees every acknowledged vote in
/// the rollups, whichever instance acknowledged it.
final class PostgresFolder: Sendable {
    /// As on SQLite: more rows per fold cost less per row; a read folds what waits first anyway.
    static let foldInterval: DispatchTimeInterval = .milliseconds(500)

    private let channel: PostgresChannel
    private let timerArmed = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let onFailure: FeedbackWriter.FoldFailureObserver?
    private let lockWaits = LockWaitBreaker()

    init(channel: PostgresChannel, onFailure: FeedbackWriter.FoldFailureObserver?) {
        self.channel = channel
        self.onFailure = onFailure
    }

    /// Folds `foldInterval` from now unless a fold is already due.
    func schedule(after delay: DispatchTimeInterval = foldInterval) {
        guard !stopped.load(ordering: .relaxed), !timerArmed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            channel.async { [self] session in
                timerArmed.store(false, ordering: .releasing)
                fold(session)
            }
        }
    }

    /// On the fold queue: one bounded fold. Rows left (under steady inserts, or while another
    /// instance held the lock) get another turn soon; that instance may well have counted them.
    private func fold(_ session: Result<PostgresSession, any Error>) {
        guard !stopped.load(ordering: .relaxed) else { return }
        do {
            let connection = try session.get().connection
            let folded = try PostgresFold.foldAll(connection)
            let more = try folded == nil || folded == PostgresFold.foldRows * 20 || Self.hasQueued(connection)
            if more { schedule() }
        } catch {
            onFailure?(error)
            schedule()
        }
    }

    /// No more timed folds (the store is closing).
    func stop() { stopped.store(true, ordering: .relaxed) }

    /// Folds now and waits (maintenance, close).
    func foldNow() throws {
        _ = try channel.sync(retrying: true) { session in try PostgresFold.foldAll(session.connection) }
    }

    /// Folds every row queued when it began and waits: blocks on the lock while another instance
    /// folds, then folds what that one left.
    /// A peer that holds the lock past `lock_timeout` (it froze) fails the wait with 55P03, and
    /// `lockWaits` bounds each read by one timeout, not by its place in the queues (`queued`: when
    /// its request was queued, on whichever connection).
    func catchUp(queued: UInt64 = DispatchTime.now().uptimeNanoseconds) throws {
        try channel.sync(retrying: true) { session in
            let connection = session.connection
            guard let mark = try connection.first("SELECT max(feedback_id) FROM feedback_unfolded", [], { $0.optionalInt64(0) }) ?? nil else { return }
            try lockWaits.acquire(key: PostgresFold.lockKey, queued: queued, on: connection,
                                  tryLock: { try connection.tryAdvisoryLock(PostgresFold.lockKey) },
                                  waitLock: { try connection.advisoryLock(PostgresFold.lockKey) })
            defer { _ = try? connection.advisoryUnlock(PostgresFold.lockKey) }
            // Session advisory locks nest: foldAll takes it again and gives that hold back.
            while try connection.first("SELECT EXISTS (SELECT 1 FROM feedback_unfolded WHERE feedback_id <= $1)", [mark], { $0.bool(0) }) == true {
                do {
                    _ = try PostgresFold.foldAll(connection)
                } catch let error as PostgresError where error.isRetryableTransactionFailure {
                    // A deadlock with a batch that takes a folded record out again: PostgreSQL
                    // cancelled this fold, which left its rows queued; the next pass counts them.
                    continue
                }
            }
        }
    }

    /// The cheap check a read makes first, on its own connection.
    static func hasQueued(_ connection: Postgres.Connection) throws -> Bool {
        try connection.first("SELECT EXISTS (SELECT 1 FROM feedback_unfolded)", [], { $0.bool(0) }) ?? false
    }
}
