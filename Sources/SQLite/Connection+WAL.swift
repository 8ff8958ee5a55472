import CSQLite

/// How far a checkpoint got: frames in the WAL and frames copied into the database file.
public struct CheckpointResult: Sendable, Equatable {
    public let logFrames: Int
    public let checkpointedFrames: Int
}

extension Connection {
    public enum CheckpointMode: Sendable {
        /// Copies what it can without waiting for readers or writers.
        case passive
        /// Copies everything and empties the WAL file; waits for other connections.
        case truncate

        var code: Int32 { self == .passive ? SQLITE_CHECKPOINT_PASSIVE : SQLITE_CHECKPOINT_TRUNCATE }
    }

    /// Copies WAL frames into the database file.
    @discardableResult
    public func checkpoint(_ mode: CheckpointMode) throws(SQLiteError) -> CheckpointResult {
        guard let db = handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "connection is closed") }
        var log: Int32 = 0, done: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db, nil, mode.code, &log, &done)
        guard rc == SQLITE_OK else { throw SQLiteError(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db))) }
        return CheckpointResult(logFrames: Int(log), checkpointedFrames: Int(done))
    }

    /// Calls `hook` after every commit on this connection with the number of frames in the WAL, and
    /// turns SQLite's automatic checkpoint off: the caller checkpoints elsewhere (a checkpoint in the
    /// committing thread stalls every write queued behind it). This connection checkpoints itself
    /// (passively) only when `hook` returns true, or past `inlineLimit` frames, so the WAL stays
    /// bounded if the other one falls behind.
    public func onWALCommit(inlineLimit: Int, _ hook: @escaping @Sendable (Int) -> Bool) {
        guard let db = handle else { return }
        let box = WALHookBox(inlineLimit: inlineLimit, hook: hook)
        walHook = box
        sqlite3_wal_hook(db, { context, db, _, frames in
            guard let context else { return SQLITE_OK }
            let box = Unmanaged<WALHookBox>.fromOpaque(context).takeUnretainedValue()
            if box.hook(Int(frames)) || Int(frames) >= box.inlineLimit { sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil) }
            return SQLITE_OK
        }, Unmanaged.passUnretained(box).toOpaque())
    }
}

/// Keeps the hook alive for as long as the connection holds a pointer to it.
final class WALHookBox {
    let inlineLimit: Int
    let hook: @Sendable (Int) -> Bool
    init(inlineLimit: Int, hook: @escaping @Sendable (Int) -> Bool) {
        self.inlineLimit = inlineLimit
        self.hook = hook
    }
}
