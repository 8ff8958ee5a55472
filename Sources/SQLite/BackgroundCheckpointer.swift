import Dispatch
import Synchronization

/// Copies the WAL into the database file on its own connection and queue, so the writer's commits do
/// not wait for checkpoints. The writer reports its WAL size after each commit (see
/// `Connection.onWALCommit`); past `threshold` frames one passive checkpoint is started, never two at once.
public final class BackgroundCheckpointer: Sendable {
    private let database: DatabaseQueue
    public let threshold: Int
    private let running = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    private let completed = Atomic<Int>(0)

    public init(path: String, options: ConnectionOptions, threshold: Int, label: String) throws(SQLiteError) {
        database = try DatabaseQueue(path: path, options: options, label: label)
        self.threshold = threshold
    }

    /// Called after a commit with the frames now in the WAL.
    public func noteCommit(walFrames: Int) {
        guard walFrames >= threshold, !closed.load(ordering: .relaxed),
              running.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        database.async { [self] connection in
            if (try? connection.checkpoint(.passive)) != nil { completed.add(1, ordering: .relaxed) }
            running.store(false, ordering: .releasing)
        }
    }

    /// Checkpoints finished so far.
    public var checkpoints: Int { completed.load(ordering: .relaxed) }

    public func close() {
        closed.store(true, ordering: .relaxed)
        database.close()
    }
}
