import Dispatch
import Postgres
import Synchronization

/// `FeedbackStorage` on PostgreSQL, for several instances sharing one database. Each instance has
/// its own connections, each confined to its own queue: the writer (group commit), the fold, the
/// editor (changes outside ingestion), a readiness probe and `options.readers` readers taken round
/// robin. Everything instances share lives in the database (secrets, duplicate window, idempotency
/// keys); what stays per instance is the queue of submissions not yet committed.
public final class PostgresStore: FeedbackStorage {
    public let options: StorageOptions
    public let drops: DropCounter
    public let followups: FollowupTokens
    private let writer: PostgresWriter
    private let folder: PostgresFolder
    private let channels: Channels
    private let nextReader = Atomic<Int>(0)
    private let closed = Atomic<Bool>(false)
    private let databaseBytes = Atomic<Int>(0)
    private let lastRetention = Atomic<Int64>(0)
    private let maintenance = Mutex<(any DispatchSourceTimer)?>(nil)

    private struct Channels {
        let writer: PostgresChannel
        let fold: PostgresChannel
        let editor: PostgresChannel
        let probe: PostgresChannel
        let readers: [PostgresChannel]
        var all: [PostgresChannel] { [writer, fold, editor, probe] + readers }
    }

    /// Connects every channel and migrates (or, with `migrate: false`, insists the schema is current).
    public init(options: StorageOptions, migrate: Bool = true, drops: DropCounter = DropCounter(),
                onCommit: FeedbackWriter.BatchObserver? = nil, onFoldFailure: FeedbackWriter.FoldFailureObserver? = nil,
                completionScope: FeedbackWriter.CompletionScope? = nil) throws {
        self.options = options
        self.drops = drops
        var opened: [PostgresChannel] = []
        func open(_ label: String) throws -> PostgresChannel {
            let channel = try PostgresChannel(options.path, label: "hearken.pg.\(label)")
            opened.append(channel)
            return channel
        }
        do {
            let editor = try open("editor")
            try editor.sync { session in
                try PostgresDatabase.requireUTF8(session.connection)
                let migrator = try Postgres.Migrator(migrations: PostgresSchema.migrations)
                // Another instance's migration may rightly hold the migrator's lock for minutes.
                _ = try session.connection.run("SET lock_timeout = 0", [])
                if migrate { _ = try migrator.migrate(session.connection) }
                _ = try session.connection.run("RESET lock_timeout", [])
                guard try migrator.isCurrent(session.connection) else {
                    throw StoreError.migration("the database is not migrated; run `hearken migrate --db \(ConnectionString.redacted(options.path))`")
                }
            }
            channels = Channels(writer: try open("writer"), fold: try open("fold"), editor: editor, probe: try open("probe"),
                                readers: try (0..<max(1, options.readers)).map { try open("reader.\($0)") })
            followups = try editor.sync { session in
                try FollowupTokens.load(postgres: session.connection, lifetime: Int64(options.followupMinutes) * 60_000)
            }
        } catch {
            for channel in opened { channel.close() }
            throw (error as? MigrationError).map { StoreError.migration($0.description) } ?? error
        }
        folder = PostgresFolder(channel: channels.fold, onFailure: onFoldFailure)
        let ingestor = PostgresIngestor(duplicateWindow: Int64(options.duplicateWindowSeconds) * 1000, maxCommentLength: options.maxCommentLength)
        writer = PostgresWriter(channel: channels.writer, ingestor: ingestor, folder: folder, drops: drops, maxPending: options.maxPendingWrites,
                                maxBatch: options.maxBatch, onCommit: onCommit, completionScope: completionScope)
        refreshSize()
        // Rows another instance left unfolded (it crashed, or is gone): counted soon.
        folder.schedule(after: .milliseconds(0))
        let interval = options.maintenanceInterval
        maintenance.withLock { [weak self] slot in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "hearken.pg.maintenance"))
            timer.schedule(deadline: .now() + interval, repeating: interval)
            timer.setEventHandler { [weak self] in self?.maintain() }
            timer.activate()
            slot = timer
        }
    }

    public func submit(_ feedback: NewFeedback, completion: @escaping FeedbackWriter.Completion) {
        writer.submit(feedback, completion: completion)
    }

    /// On the next reader's queue, after folding what is queued (`prepare`). A read the link broke
    /// under runs once more on a new link; a change does not (it may have committed).
    public func read<T: Sendable>(_ work: @escaping @Sendable (FeedbackReader) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let drops = self.drops, queued = DispatchTime.now().uptimeNanoseconds
        takeReader().async(retrying: true, { [self] session in
            try prepare(session, queued: queued)
            return try work(FeedbackReader(session: session, drops: drops))
        }, completion: { completion($0.mapError(Self.surfaced)) })
    }

    /// On the editor's queue, after folding what is queued: a change may read or erase what rollups count.
    /// A change may also queue stored rows for the fold again (a status, an erasure): a fold follows.
    public func write<T: Sendable>(_ work: @escaping @Sendable (FeedbackEditor) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        let drops = self.drops, queued = DispatchTime.now().uptimeNanoseconds
        channels.editor.async({ [self] session in
            try prepare(session, queued: queued)
            defer { folder.schedule() }
            return try work(FeedbackEditor(session: session, drops: drops))
        }, completion: { completion($0.mapError(Self.surfaced)) })
    }

    public func read<T>(_ work: (FeedbackReader) throws -> T) throws -> T {
        let queued = DispatchTime.now().uptimeNanoseconds
        do {
            return try takeReader().sync(retrying: true) { session in
                try prepare(session, queued: queued)
                return try work(FeedbackReader(session: session, drops: drops))
            }
        } catch {
            throw Self.surfaced(error)
        }
    }

    public func write<T>(_ work: (FeedbackEditor) throws -> T) throws -> T {
        let queued = DispatchTime.now().uptimeNanoseconds
        do {
            return try channels.editor.sync { session in
                try prepare(session, queued: queued)
                defer { folder.schedule() }
                return try work(FeedbackEditor(session: session, drops: drops))
            }
        } catch {
            throw Self.surfaced(error)
        }
    }

    /// A server that cannot be reached, or a lock another session held past `lock_timeout` (55P03,
    /// see `PostgresChannel.serverSettings`), becomes `StoreError.unavailable`: worth a retry, so
    /// the API answers 503 rather than 500. Everything else passes unchanged.
    static func surfaced(_ error: any Error) -> any Error {
        guard let failure = error as? PostgresError, failure.isConnectionFailure || failure.sqlState == "55P03" else { return error }
        return StoreError.unavailable(failure.description)
    }

    /// Read-your-writes across instances: every acknowledged row is committed and queued for the
    /// fold, so folding what the queue holds now (after the cheap check that it holds anything)
    /// puts every vote acknowledged before this read into the rollups it reads.
    /// `queued`: when the request was queued, so one that waited behind a catch-up whose lock wait
    /// timed out fails at once (see `PostgresFolder.catchUp`).
    private func prepare(_ session: PostgresSession, queued: UInt64) throws {
        if try PostgresFolder.hasQueued(session.connection) { try folder.catchUp(queued: queued) }
    }

    private func takeReader() -> PostgresChannel {
        channels.readers[nextReader.wrappingAdd(1, ordering: .relaxed).oldValue % channels.readers.count]
    }

    /// Demo rows with `COPY` (`PostgresSeedRows`), 5,000 per transaction, each batch folded before
    /// the next (so the fold's transactions stay small; `close` would fold them anyway).
    public func seed(_ seeder: Seeder, progress: (Int) -> Void) throws -> Int {
        try channels.editor.sync { session in
            try seeder.generate(now: Timestamp.nowMilliseconds(), progress: progress) { batch in
                try session.connection.transaction { try PostgresSeedRows.copy(batch, session.connection) }
                _ = try PostgresFold.foldAll(session.connection)
            }
        }
    }

    /// Reachable and migrated, asked on a connection of its own so the answer never queues behind
    /// a batch, a fold or an import.
    public func checkReady() -> String? {
        do {
            // The versions, not their count: a count is fooled by rows of versions this build does not know.
            let applied = try channels.probe.sync(retrying: true) { session in
                Set(try session.connection.query("SELECT version FROM schema_migrations", [], { $0.int(0) }))
            }
            let missing = PostgresSchema.migrations.map(\.version).filter { !applied.contains($0) }
            return missing.isEmpty ? nil : "the database is not migrated (missing migration \(missing.map(String.init).joined(separator: ", ")))"
        } catch {
            return channels.probe.problem ?? "\(error)"
        }
    }

    public var sizeBytes: Int { databaseBytes.load(ordering: .relaxed) }
    public var walFramesWritten: Int { 0 }

    private func refreshSize() {
        if let bytes = try? channels.probe.sync(retrying: true, { session in
            try session.connection.first("SELECT pg_database_size(current_database())", [], { $0.int(0) }) ?? 0
        }) {
            databaseBytes.store(bytes, ordering: .relaxed)
        }
    }

    /// Drop counts to the database, a fold, the size for metrics; hourly, as on SQLite, expired
    /// idempotency keys out and (when `retentionDays` is set) retention erasure. Failures
    /// (PostgreSQL away) are left for the next run: nothing here is lost by waiting.
    public func maintain(now: Int64) {
        guard !closed.load(ordering: .relaxed) else { return }
        let drops = self.drops
        _ = try? channels.editor.sync { session in try drops.flush(session) }
        try? folder.foldNow()
        refreshSize()
        guard now - lastRetention.load(ordering: .relaxed) >= 3_600_000 else { return }
        lastRetention.store(now, ordering: .relaxed)
        _ = try? write { try $0.purgeIdempotencyKeys(now: now) }
        if options.retentionDays > 0 {
            eraseExpired(before: now - Int64(options.retentionDays) * Rollups.dayMilliseconds)
        }
    }

    /// Erases chunk by chunk, each its own transaction and its own turn on the editor's queue, so
    /// triage and other editor work interleave. Through `write`, so queued rows are folded first:
    /// the rollups keep an erased comment's count, as on SQLite. Several instances may run this at
    /// once; the editor's transaction lock makes their chunks take turns, and where they stopped is
    /// shared (`server_state`).
    private func eraseExpired(before cutoff: Int64) {
        guard !closed.load(ordering: .relaxed) else { return }
        write({ try $0.eraseExpired(before: cutoff, limit: Retention.chunk) }) { [weak self] result in
            if case .success(let changed) = result, changed > 0 { self?.eraseExpired(before: cutoff) }
        }
    }

    /// Writes what is queued, folds it, stores the drop counts and closes every connection.
    public func close() {
        guard !closed.exchange(true, ordering: .relaxed) else { return }
        maintenance.withLock { $0?.cancel() }
        writer.close()
        folder.stop()
        try? folder.foldNow()
        _ = try? channels.editor.sync { session in try drops.flush(session) }
        for channel in channels.all { channel.close() }
    }
}
