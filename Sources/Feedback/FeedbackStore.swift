import Dispatch
import Foundation
import SQLite
import Synchronization

/// Where and how the database is kept.
public struct StorageOptions: Sendable {
    public var path: String
    public var durability: Durability = .full
    /// Read-only connections for queries, each on its own queue.
    public var readers: Int = 2
    /// Submissions allowed to wait for the writer before new ones get 503.
    public var maxPendingWrites: Int = 10_000
    /// Rows per group commit at most.
    public var maxBatch: Int = 256
    /// The same client voting the same way on the same page within this many seconds counts once; 0: off.
    public var duplicateWindowSeconds: Int = 3600
    /// Comments, emails, client hashes and user agents older than this many days are erased; 0: kept.
    public var retentionDays: Int = 0
    /// How long after a vote its one-time follow-up token works, in minutes.
    public var followupMinutes: Int = 60
    /// Seconds between maintenance runs (drop counters, duplicate window, idempotency keys, retention).
    public var maintenanceInterval: Double = 10
    /// The longest comment, for bounding comments that follow-ups append to.
    public var maxCommentLength: Int = 4000
    /// WAL frames (pages) that start a background checkpoint: 16 MB at 4 KiB pages. Hot rollup pages
    /// are rewritten many times in the WAL and copied once per checkpoint, so not much smaller.
    public var checkpointFrames: Int = 4000

    public init(path: String) { self.path = path }

    public enum Durability: String, Sendable, CaseIterable {
        /// A committed write survives power loss.
        case full
        /// A committed write survives a process crash; power loss may drop the last commits.
        case normal
    }
}

public enum StoreError: Error, CustomStringConvertible {
    case cannotCreateDirectory(String, String)
    case migration(String)
    /// The database cannot serve the request now (unreachable, or a lock held too long); retry later.
    case unavailable(String)

    public var description: String {
        switch self {
        case .cannotCreateDirectory(let path, let reason): "cannot create directory \(path): \(reason)"
        case .migration(let reason): "migration failed: \(reason)"
        case .unavailable(let reason): "storage unavailable: \(reason)"
        }
    }
}

/// The database: one writer connection behind `FeedbackWriter` and a few read-only connections.
public final class FeedbackStore: FeedbackStorage {
    public let options: StorageOptions
    public let writer: FeedbackWriter
    public let followups: FollowupTokens
    public let drops: DropCounter
    private let writeQueue: DatabaseQueue
    /// Copies the WAL into the database file off the writer's queue, so commits never wait for it.
    let checkpointer: BackgroundCheckpointer
    private let maintenance = Mutex<(any DispatchSourceTimer)?>(nil)
    private let lastRetention = Atomic<Int64>(0)
    private let readers: [DatabaseQueue]
    /// The writer reads its timed folds here, off its own queue (`FoldPlan`).
    private let foldSnapshots: DatabaseQueue
    private let nextReader = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)

    /// Opens (creating if needed) and migrates the database.
    public init(options: StorageOptions, migrate: Bool = true, drops: DropCounter = DropCounter(),
                onCommit: FeedbackWriter.BatchObserver? = nil, onFoldFailure: FeedbackWriter.FoldFailureObserver? = nil,
                completionScope: FeedbackWriter.CompletionScope? = nil) throws {
        self.options = options
        let directory = URL(fileURLWithPath: options.path).deletingLastPathComponent().path
        if !directory.isEmpty && !FileManager.default.fileExists(atPath: directory) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StoreError.cannotCreateDirectory(directory, error.localizedDescription)
            }
        }
        writeQueue = try DatabaseQueue(path: options.path, options: ConnectionOptions(durability: options.sqliteDurability, cacheKiB: 64 * 1024), label: "hearken.db.writer")
        do {
            let migrator = try Schema.migrator()
            try writeQueue.sync { connection in
                if migrate { try migrator.migrate(connection) }
                guard try migrator.isCurrent(connection) else {
                    throw StoreError.migration("the database is not migrated; run `hearken migrate --db \(options.path)`")
                }
                // Rows a crash left unfolded: the fold resumes from the watermark.
                try DerivedData.foldAll(connection: connection)
            }
        } catch let error as MigrationError {
            writeQueue.close()
            throw StoreError.migration(error.description)
        } catch {
            writeQueue.close()
            throw error
        }
        do {
            checkpointer = try BackgroundCheckpointer(path: options.path, options: ConnectionOptions(durability: options.sqliteDurability, cacheKiB: 2048),
                                                      threshold: options.checkpointFrames, label: "hearken.db.checkpointer")
        } catch {
            writeQueue.close()
            throw error
        }
        writeQueue.sync { [checkpointer] connection in
            connection.onWALCommit(inlineLimit: options.checkpointFrames * 8) { frames in checkpointer.noteCommit(walFrames: frames) }
        }
        var readers: [DatabaseQueue] = []
        do {
            for index in 0...max(1, options.readers) {
                let label = index == 0 ? "hearken.db.fold-snapshots" : "hearken.db.reader.\(index - 1)"
                readers.append(try DatabaseQueue(path: options.path, options: ConnectionOptions(readOnly: true, durability: options.sqliteDurability, cacheKiB: 32 * 1024, mmapBytes: 1 << 30), label: label))
            }
        } catch {
            for reader in readers { reader.close() }
            checkpointer.close()
            writeQueue.close()
            throw error
        }
        foldSnapshots = readers.removeFirst()
        self.readers = readers
        let ingestor = Ingestor(duplicateWindow: Int64(options.duplicateWindowSeconds) * 1000, maxCommentLength: options.maxCommentLength)
        do {
            followups = try writeQueue.sync { connection in
                try ingestor.loadRecent(now: Timestamp.nowMilliseconds(), connection: connection)
                return try FollowupTokens.load(connection: connection, lifetime: Int64(options.followupMinutes) * 60_000)
            }
        } catch {
            for reader in readers + [foldSnapshots] { reader.close() }
            checkpointer.close()
            writeQueue.close()
            throw error
        }
        self.drops = drops
        writer = FeedbackWriter(database: writeQueue, snapshots: foldSnapshots, ingestor: ingestor, drops: drops, maxPending: options.maxPendingWrites, maxBatch: options.maxBatch, onCommit: onCommit,
                                onFoldFailure: onFoldFailure, completionScope: completionScope)
        let interval = options.maintenanceInterval
        maintenance.withLock { [weak self] slot in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "hearken.maintenance"))
            timer.schedule(deadline: .now() + .milliseconds(200), repeating: interval)
            timer.setEventHandler { [weak self] in self?.maintain() }
            timer.activate()
            slot = timer
        }
    }

    /// Periodic upkeep on the writer's queue: stores drop counts, forgets old duplicate-window entries
    /// and idempotency keys, and (hourly, when configured) erases data past retention.
    public func maintain(now: Int64 = Timestamp.nowMilliseconds()) {
        guard !closed.load(ordering: .relaxed) else { return }
        writer.prune(now: now)
        let drops = self.drops
        writeQueue.sync { connection in
            try? drops.flush(connection)
            // Rows written outside the writer (plain SQL) are folded here at the latest; a failure is
            // reported like any other fold's.
            writer.foldPending(connection)
        }
        guard now - lastRetention.load(ordering: .relaxed) >= 3_600_000 else { return }
        lastRetention.store(now, ordering: .relaxed)
        writeQueue.async { connection in try? Retention.purgeIdempotencyKeys(now: now, connection: connection) }
        if options.retentionDays > 0 {
            eraseExpired(before: now - Int64(options.retentionDays) * Rollups.dayMilliseconds)
        }
    }

    /// Erases chunk by chunk, each its own turn on the writer's queue so feedback batches interleave.
    private func eraseExpired(before cutoff: Int64) {
        writeQueue.async { [weak self] connection in
            guard let self, !self.closed.load(ordering: .relaxed) else { return }
            // Rollups keep an erased comment's count: fold first, so the fold never sees a row without it.
            self.writer.foldPending(connection)
            if (try? Retention.eraseChunk(before: cutoff, connection: connection)) ?? 0 > 0 { self.eraseExpired(before: cutoff) }
        }
    }

    /// Queues a validated submission for the writer's next group commit.
    public func submit(_ feedback: NewFeedback, completion: @escaping FeedbackWriter.Completion) {
        writer.submit(feedback, completion: completion)
    }

    /// Runs a query on the next reader's queue and hands back its result there. Rows acknowledged
    /// but not yet folded into rollups and the search index are folded first, on the writer's queue,
    /// so every read sees every acknowledged write.
    public func read<T: Sendable>(_ work: @escaping @Sendable (FeedbackReader) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let reader = takeReader()
        let drops = self.drops
        guard writer.mayHaveUnfoldedRows else {
            reader.async { connection in completion(Result { try work(FeedbackReader(session: connection, drops: drops)) }) }
            return
        }
        writeQueue.async { [writer] connection in
            writer.foldPending(connection)
            reader.async { connection in completion(Result { try work(FeedbackReader(session: connection, drops: drops)) }) }
        }
    }

    /// Runs work on the writer's session, after any queued feedback, and hands back its result there.
    public func write<T: Sendable>(_ work: @escaping @Sendable (FeedbackEditor) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let drops = self.drops
        writeQueue.async { connection in completion(Result { try work(FeedbackEditor(session: connection, drops: drops)) }) }
    }

    /// Reads and waits (command-line tools, background jobs such as the alert scheduler), after folding
    /// every row above the watermark.
    public func read<T>(_ work: (FeedbackReader) throws -> T) throws -> T {
        try readNow { try work(FeedbackReader(session: $0, drops: drops)) }
    }

    /// Changes and waits (command-line tools, background jobs).
    public func write<T>(_ work: (FeedbackEditor) throws -> T) throws -> T {
        try writeNow { try work(FeedbackEditor(session: $0, drops: drops)) }
    }

    /// SQLite only (tests and the SQLite write path): runs a query on a reader connection and waits,
    /// after folding every row above the watermark, however it was written. The reader is taken in
    /// turn as for requests: always the first one put every scheduled evaluation in front of the
    /// requests that reader serves.
    public func readNow<T>(_ work: (Connection) throws -> T) throws -> T {
        writeQueue.sync { connection in writer.foldPending(connection) }
        return try takeReader().sync(work)
    }

    /// The next reader, round robin.
    private func takeReader() -> DatabaseQueue {
        readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % readers.count]
    }

    /// SQLite only (tests and the SQLite write path): runs work on the writer connection and waits.
    public func writeNow<T>(_ work: (Connection) throws -> T) throws -> T {
        try writeQueue.sync(work)
    }

    /// WAL frames the writer's commits (batches and folds) appended since opening.
    public var walFramesWritten: Int { checkpointer.framesWritten }

    /// Bytes of the database file and its WAL.
    public var sizeBytes: Int {
        [options.path, options.path + "-wal"].reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
    }

    /// Database open, migrated and writable: takes and releases the write lock.
    public func checkReady() -> String? {
        do {
            try writeQueue.sync { connection in
                guard try Schema.migrator().isCurrent(connection) else { throw StoreError.migration("not migrated") }
                try connection.execute("BEGIN IMMEDIATE")
                try connection.execute("ROLLBACK")
            }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Writes what is queued, checkpoints the WAL into the main file, and closes every connection.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        maintenance.withLock { $0?.cancel() }
        writer.close()
        // A fold being read on its snapshot queues its apply on the writer's queue: let it queue first.
        foldSnapshots.sync { _ in }
        writeQueue.sync { connection in
            try? drops.flush(connection)
            writer.foldPending(connection)
        }
        for reader in readers + [foldSnapshots] { reader.close() }
        checkpointer.close()
        writeQueue.sync { connection in _ = try? connection.checkpoint(.truncate) }
        writeQueue.close()
    }
}
