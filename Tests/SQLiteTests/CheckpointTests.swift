import Foundation
import SQLite
import Synchronization
import Testing
import TestSupport

@Suite struct CheckpointTests {
    func fill(_ db: Connection, rows: Int) throws {
        try db.transaction {
            for _ in 0..<rows { try db.run("INSERT INTO t VALUES (?)", [String(repeating: "x", count: 3000)]) }
        }
    }

    @Test func walHookSeesEveryCommitAndAutomaticCheckpointsStop() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(v TEXT)")
        let seen = Mutex<[Int]>([])
        db.onWALCommit(inlineLimit: .max) { frames in seen.withLock { $0.append(frames) }; return false }
        // 1,200 pages: SQLite's own automatic checkpoint (1,000 frames) would have reset the WAL.
        for _ in 0..<4 { try fill(db, rows: 300) }
        let frames = seen.withLock { $0 }
        #expect(frames.count == 4)
        #expect(frames == frames.sorted() && (frames.last ?? 0) > 1200, "\(frames)")
        let result = try db.checkpoint(.passive)
        #expect(result.logFrames == frames.last)
        #expect(result.checkpointedFrames == result.logFrames)
    }

    @Test func pastTheInlineLimitTheWriterCheckpointsItself() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        try db.execute("CREATE TABLE t(v TEXT)")
        db.onWALCommit(inlineLimit: 100) { _ in false }
        try fill(db, rows: 300)
        // The passive checkpoint ran inside the commit: every frame is already in the database file,
        // so the next write transaction starts the WAL over from its beginning.
        try fill(db, rows: 1)
        let result = try db.checkpoint(.passive)
        #expect(result.logFrames < 10, "\(result)")
    }

    @Test func backgroundCheckpointerCopiesTheWALPastItsThreshold() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.db")
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE t(v TEXT)")
        let checkpointer = try BackgroundCheckpointer(path: path, options: ConnectionOptions(), threshold: 200, label: "test.checkpointer")
        defer { checkpointer.close() }
        db.onWALCommit(inlineLimit: .max) { frames in checkpointer.noteCommit(walFrames: frames) }
        try fill(db, rows: 50)
        #expect(checkpointer.checkpoints == 0, "below the threshold nothing is started")
        try fill(db, rows: 300)
        _ = waitUntil(interval: 0.005) { checkpointer.checkpoints > 0 }
        #expect(checkpointer.checkpoints == 1)
        // Every frame written before it started is in the database file: a checkpoint now has nothing to copy.
        let result = try db.checkpoint(.passive)
        #expect(result.checkpointedFrames == result.logFrames)
        let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        #expect(bytes > 300 * 3000, "the rows reached the database file")
    }

    /// Regression: under steady small commits the WAL never ended a passive checkpoint fully copied,
    /// so it never started over, and checkpoints (each syncing the database file) ran back to back.
    ///
    /// A background checkpoint under steady commits ends with a few frames it could not copy: those
    /// written while it ran. Which and how many depends on the two threads' speeds (a fixed pause
    /// between commits once set them, and lost on a busy machine), so here a reader's snapshot holds
    /// the last few frames back instead, the same state reached deterministically. The writer must
    /// then copy them itself after its next commit, and the WAL start over.
    @Test func underSteadyCommitsTheWALStartsOverAndCheckpointsStaySparse() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("t.db")
        let db = try Connection(path: path)
        try db.execute("CREATE TABLE t(v TEXT)")
        let threshold = 200
        let checkpointer = try BackgroundCheckpointer(path: path, options: ConnectionOptions(), threshold: threshold, label: "test.checkpointer")
        defer { checkpointer.close() }
        #expect(checkpointer.writerCopyLimit >= 12, "the few frames left below fit what the writer is asked to copy")
        let seen = Mutex<[Int]>([])
        // No safety limit: only the checkpointer's own requests may checkpoint on this connection.
        db.onWALCommit(inlineLimit: .max) { frames in
            seen.withLock { $0.append(frames) }
            return checkpointer.noteCommit(walFrames: frames)
        }
        func frames() -> Int { seen.withLock { $0.last ?? 0 } }
        let reader = try Connection(path: path)
        let rounds = 4
        for round in 0..<rounds {
            // A row is one to three frames. Stop a few short of the threshold, and pin that snapshot.
            while frames() < threshold - 4 { try fill(db, rows: 1) }
            try reader.execute("BEGIN")
            _ = try reader.first("SELECT count(*) FROM t") { $0.int(0) }
            // Crossing the threshold starts a background checkpoint; it can copy only up to the reader.
            let finished = checkpointer.checkpoints
            while frames() < threshold { try fill(db, rows: 1) }
            guard waitUntil(interval: 0.002, { checkpointer.checkpoints > finished }) else {
                Issue.record("round \(round): no background checkpoint finished within 30 s (\(frames()) frames)")
                break
            }
            try reader.execute("COMMIT")
            // Fewer than a dozen frames are left: this commit has the writer copy them, the next starts over.
            let before = frames()
            try fill(db, rows: 1)
            try fill(db, rows: 1)
            #expect(frames() < before, "round \(round): the WAL did not start over (\(before) then \(frames()) frames)")
        }
        let all = seen.withLock { $0 }
        let restarts = zip(all, all.dropFirst()).filter { $0.1 < $0.0 }.count
        #expect(restarts == rounds, "the WAL started over \(restarts) times; largest \(all.max() ?? 0) frames")
        #expect((all.max() ?? 0) < threshold + 16, "the WAL stayed near the threshold")
        #expect(checkpointer.checkpoints == rounds, "one background checkpoint a round")
        let written = zip([0] + all, all).reduce(0) { sum, pair in sum + (pair.1 > pair.0 ? pair.1 - pair.0 : pair.1) }
        #expect(checkpointer.framesWritten == written, "the frames appended across the WAL's restarts (hearken_db_wal_frames_written)")
    }

    @Test func checkpointOnAClosedConnectionThrows() throws {
        let dir = TemporaryDirectory()
        let db = try Connection(path: dir.file("t.db"))
        db.close()
        #expect(throws: SQLiteError.self) { try db.checkpoint(.passive) }
    }
}
