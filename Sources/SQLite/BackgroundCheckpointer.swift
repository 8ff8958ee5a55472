import Dispatch
import Synchronization

/// Copies the WAL into the database file on its own connection and queue, so the writer's commits do
/// not wait for checkpoints. The writer reports its WAL size after each commit (see
/// `Connection.onWALCommit`); once `threshold` frames have been added since what the last checkpoint
/// copied, one passive checkpoint is started, never two at once.
///
/// The WAL only starts over from its beginning when a write transaction begins with every frame
/// copied, and a passive checkpoint under steady writes never ends that way: it copies what was there
/// when it began. So once a background checkpoint has left only a few frames behind, the writer is
/// asked to copy those itself, right after its commit (`noteCommit` returns true): on the writer's
/// own connection nothing is written meanwhile, the copy completes, and the WAL restarts at the next
/// transaction. Without that, the WAL grew to the writer's safety limit (130 MB), and triggering on the
/// WAL's total size instead started a checkpoint, with a sync of the database file, the moment the
/// last one ended (measured: 200-300 a second at half the maximum ingest rate).
public final class BackgroundCheckpointer: Sendable {
    private struct State {
        /// Frames the last background checkpoint left copied.
        var copied = 0
        /// The WAL size at the last commit; a smaller one means the WAL started over.
        var lastSeen = 0
        /// Frames appended to the WAL since opening, across restarts of the WAL.
        var written = 0
        var running = false
        /// The writer was asked to finish a copy since the WAL last started over.
        var askedWriter = false
        var closed = false
    }

    private let database: DatabaseQueue
    public let threshold: Int
    /// The most frames the writer is asked to copy itself.
    public let writerCopyLimit: Int
    private let state = Mutex(State())
    private let completed = Atomic<Int>(0)

    public init(path: String, options: ConnectionOptions, threshold: Int, label: String) throws(SQLiteError) {
        database = try DatabaseQueue(path: path, options: options, label: label)
        self.threshold = threshold
        writerCopyLimit = max(threshold / 16, 1)
    }

    /// Called on the writer after each commit with the frames now in the WAL. True: checkpoint on the
    /// writer's connection now (a few frames are left to copy before the WAL can start over).
    public func noteCommit(walFrames: Int) -> Bool {
        enum Decision { case none, writerCopies, start }
        let decision: Decision = state.withLock { state in
            if walFrames < state.lastSeen {
                state.copied = 0
                state.askedWriter = false
                state.written += walFrames
            } else {
                state.written += walFrames - state.lastSeen
            }
            state.lastSeen = walFrames
            let pending = walFrames - min(state.copied, walFrames)
            if state.closed || state.running { return .none }
            if state.copied > 0, !state.askedWriter, pending <= writerCopyLimit {
                state.askedWriter = true
                return .writerCopies
            }
            guard pending >= threshold else { return .none }
            state.running = true
            return .start
        }
        switch decision {
        case .none: return false
        case .writerCopies: return true
        case .start:
            database.async { [self] connection in
                // One follow-up copies what was written during the first, leaving the writer little.
                var result = try? connection.checkpoint(.passive)
                if let first = result, first.checkpointedFrames < first.logFrames { result = try? connection.checkpoint(.passive) }
                state.withLock { state in
                    state.copied = result?.checkpointedFrames ?? state.copied
                    state.askedWriter = false
                    state.running = false
                }
                if result != nil { completed.add(1, ordering: .relaxed) }
            }
            return false
        }
    }

    /// Background checkpoints finished so far.
    public var checkpoints: Int { completed.load(ordering: .relaxed) }

    /// WAL frames (one page each, plus a 24-byte header) the writer's commits appended since opening:
    /// what durability costs in writes, whatever checkpoints did meanwhile.
    public var framesWritten: Int { state.withLock { $0.written } }

    public func close() {
        state.withLock { $0.closed = true }
        database.close()
    }
}
