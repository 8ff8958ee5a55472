import Dispatch
import SQLite
import Synchronization

/// The row a successful write produced.
public struct StoredFeedback: Sendable, Equatable {
    public let id: Int64
    /// When the record was first received (an earlier time for duplicates and replays).
    public let receivedAt: Int64
    /// The vote repeated one the same client made within the duplicate window: nothing new was stored,
    /// its reason and comment (if any) were added to that record.
    public var duplicate = false
    /// A retry with a known `Idempotency-Key`: this is the first answer again.
    public var replayed = false

    public init(id: Int64, receivedAt: Int64, duplicate: Bool = false, replayed: Bool = false) {
        self.id = id
        self.receivedAt = receivedAt
        self.duplicate = duplicate
        self.replayed = replayed
    }
}

public enum WriteFailure: Error, Equatable, Sendable {
    /// The queue in front of the writer is full; retry shortly.
    case overloaded
    /// The disk or database is full; nothing was written.
    case storageFull
    /// Any other storage error; nothing was written.
    case storage(String)
    /// The store is shutting down.
    case closed
}

/// The single writer. Submissions from every connection queue here and are committed in batches
/// (group commit): a batch is whatever is waiting when the previous commit ends, up to `maxBatch`
/// rows, so a lone write waits for nobody and a burst shares one fsync. Each completion runs
/// after its batch has committed, so an acknowledgement means the row is on disk.
///
/// A batch's transaction holds only the rows (and their labels and keys). They are folded into the
/// rollups and the search index later, in large batches (`DerivedData`): once `DerivedData.foldRows`
/// rows wait, or `foldInterval` after the first of them, the fold is read and grouped on a snapshot
/// (`snapshots`, a read-only connection on its own queue) and only applied on the writer's queue
/// (`FoldPlan`), so batches wait for the fold's writes alone. When a reader asks (`foldPending`) the
/// writer folds at once on its own queue, so every read sees every acknowledged write.
public final class FeedbackWriter: Sendable {
    public typealias Completion = @Sendable (Result<StoredFeedback, WriteFailure>) -> Void

    private struct Pending: Sendable {
        let feedback: NewFeedback
        let receivedAt: Int64
        let completion: Completion
    }

    private struct State {
        var pending: [Pending] = []
        var scheduled = false
        var closed = false
    }

    private let database: DatabaseQueue
    /// Where timed folds are read (nil: on the writer's queue, as a read's fold always is).
    private let snapshots: DatabaseQueue?
    private let state = Mutex(State())
    private let ingestor: IngestorBox
    private let folding = FoldSchedule()
    /// Set after a commit that added rows, cleared by a fold that caught up: readers fold first
    /// while it is set. Stored on the writer's queue, read anywhere.
    private let unfoldedRows = Atomic<Bool>(true)
    /// How long the first unfolded row waits for a fold at most. Each fold rewrites at least one leaf
    /// per page it touches in each table it fills, so more rows per fold cost less WAL and CPU per row
    /// (at 5,000 POSTs/s over 50 pages: 3.3 KB and 80 µs a row at 100 ms, 2.5 KB and 66 µs at 500 ms);
    /// a read folds what waits first, so this bounds what one read (or a timer fold) may have to fold.
    public let foldInterval: DispatchTimeInterval = .milliseconds(500)
    private let drops: DropCounter
    private let onCommit: BatchObserver?
    private let onFoldFailure: FoldFailureObserver?
    private let completionScope: CompletionScope?
    public let maxPending: Int
    public let maxBatch: Int

    /// Told the size and duration of every committed batch (for metrics).
    public typealias BatchObserver = @Sendable (_ rows: Int, _ nanoseconds: UInt64) -> Void
    /// Told every failed fold (for the log and metrics): until one succeeds, reads see folded data only.
    public typealias FoldFailureObserver = @Sendable (_ error: any Error) -> Void
    /// Wraps the running of one batch's completions, so their answers can be handed on together.
    public typealias CompletionScope = @Sendable (_ runCompletions: () -> Void) -> Void

    init(database: DatabaseQueue, snapshots: DatabaseQueue? = nil, ingestor: Ingestor, drops: DropCounter, maxPending: Int, maxBatch: Int, onCommit: BatchObserver? = nil,
         onFoldFailure: FoldFailureObserver? = nil, completionScope: CompletionScope? = nil) {
        self.database = database
        self.snapshots = snapshots
        self.onCommit = onCommit
        self.onFoldFailure = onFoldFailure
        self.completionScope = completionScope
        self.ingestor = IngestorBox(value: ingestor)
        self.drops = drops
        self.maxPending = maxPending
        self.maxBatch = maxBatch
    }

    /// Queues one row; `completion` runs on the writer's queue once it is committed or has failed.
    public func submit(_ feedback: NewFeedback, completion: @escaping Completion) {
        let item = Pending(feedback: feedback, receivedAt: Timestamp.nowMilliseconds(), completion: completion)
        enum Decision { case schedule, wait, refuse(WriteFailure) }
        let decision: Decision = state.withLock { state in
            if state.closed { return .refuse(.closed) }
            if state.pending.count >= maxPending { return .refuse(.overloaded) }
            state.pending.append(item)
            if state.scheduled { return .wait }
            state.scheduled = true
            return .schedule
        }
        switch decision {
        case .refuse(let failure): completion(.failure(failure))
        case .wait: break
        case .schedule: database.async { [self] connection in drain(connection) }
        }
    }

    /// Writes the submissions in the queue in batches until it is empty.
    private func drain(_ connection: Connection) {
        while true {
            let batch: [Pending] = state.withLock { state in
                let count = min(state.pending.count, maxBatch)
                if count == 0 {
                    state.scheduled = false
                    return []
                }
                let taken = Array(state.pending.prefix(count))
                state.pending.removeFirst(count)
                return taken
            }
            if batch.isEmpty { return }
            let results = write(batch, connection)
            var inserted = 0
            for case .success(let stored) in results where !stored.duplicate && !stored.replayed { inserted += 1 }
            if inserted > 0 {
                folding.unfolded += inserted
                unfoldedRows.store(true, ordering: .releasing)
            }
            let complete = {
                for (item, result) in zip(batch, results) {
                    if case .success(let stored) = result, stored.duplicate, !stored.replayed { self.drops.count(.duplicate) }
                    item.completion(result)
                }
            }
            if let completionScope { completionScope(complete) } else { complete() }
            scheduleFold(connection)
        }
    }

    /// Runs on the writer's queue: starts a fold once `DerivedData.foldRows` rows wait, or arms the
    /// timer that starts one `foldInterval` after the first of them. One fold is read at a time.
    private func scheduleFold(_ connection: Connection) {
        guard !folding.reading else { return }
        // After a failed fold the next waits for the timer: starting at once would repeat the failing
        // read and write back to back (a full disk, a busy lock) with no traffic at all.
        if folding.unfolded >= DerivedData.foldRows && !folding.failed {
            startFold(connection)
        } else if folding.unfolded > 0 && !folding.timerArmed {
            folding.timerArmed = true
            DispatchQueue.global().asyncAfter(deadline: .now() + foldInterval) { [self] in
                database.async { [self] connection in
                    folding.timerArmed = false
                    if !folding.reading && folding.unfolded > 0 { startFold(connection) }
                }
            }
        }
    }

    /// Runs on the writer's queue: reads the next fold on the snapshot connection, then applies it
    /// back on the writer's queue. Without a snapshot connection, folds here and now.
    private func startFold(_ connection: Connection) {
        guard let snapshots else { return foldPending(connection) }
        folding.reading = true
        snapshots.async { [self] reading in
            let plan = Result { try reading.transaction(.deferred) { try FoldPlan.read(limit: DerivedData.foldRows, connection: reading) } }
            database.async { [self] connection in
                folding.reading = false
                apply(plan, connection)
                scheduleFold(connection)
            }
        }
    }

    /// Runs on the writer's queue: writes a fold read on the snapshot, if its rows are still unfolded
    /// and unchanged (`FoldPlan.isCurrent`); otherwise (a read folded them, a row changed, the
    /// snapshot failed) folds here from the rows as they are now.
    private func apply(_ plan: Result<FoldPlan?, any Error>, _ connection: Connection) {
        guard case .success(let plan?) = plan else { return foldPending(connection) }
        do {
            let applied = try connection.transaction(.immediate) {
                guard try plan.isCurrent(connection) else { return false }
                try plan.apply(connection)
                return true
            }
            guard applied else { return foldPending(connection) }
            folding.failed = false
            // What waits now, counted from the watermark: the plan may have folded rows this writer
            // never counted (plain SQL), which subtracting would take from rows that still wait.
            let pending = try DerivedData.pendingRows(connection)
            folding.unfolded = Int(clamping: pending)
            if pending == 0 { unfoldedRows.store(false, ordering: .releasing) }
        } catch {
            folding.failed = true
            onFoldFailure?(error)
        }
    }

    /// Whether rows may wait to be folded: a read folds them first (`foldPending`) when true.
    public var mayHaveUnfoldedRows: Bool { unfoldedRows.load(ordering: .acquiring) }

    /// Runs on the writer's queue: folds every row above the watermark. A fold that fails (a full
    /// disk) leaves them for the next one; readers then see what is folded, and the observer is told
    /// (the server logs it and counts `hearken_db_fold_failures_total`), so the gap is never silent.
    public func foldPending(_ connection: Connection) {
        do {
            try DerivedData.foldAll(connection: connection)
            folding.unfolded = 0
            folding.failed = false
            unfoldedRows.store(false, ordering: .releasing)
        } catch {
            folding.failed = true
            unfoldedRows.store(true, ordering: .releasing)
            onFoldFailure?(error)
        }
    }

    private func write(_ batch: [Pending], _ connection: Connection) -> [Result<StoredFeedback, WriteFailure>] {
        let ingestor = ingestor.value
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let results = try connection.transaction(.immediate) {
                try batch.map { item -> Result<StoredFeedback, WriteFailure> in
                    .success(try ingestor.ingest(item.feedback, receivedAt: item.receivedAt, connection: connection))
                }
            }
            ingestor.committed(now: Timestamp.nowMilliseconds())
            onCommit?(batch.count, DispatchTime.now().uptimeNanoseconds - started)
            return results
        } catch let error as SQLiteError where error.isFull || error.isBusy {
            ingestor.rolledBack()
            let failure: WriteFailure = error.isFull ? .storageFull : .storage(error.description)
            return batch.map { _ in .failure(failure) }
        } catch {
            // One bad row must not fail its neighbours: retry each alone.
            ingestor.rolledBack()
            guard batch.count > 1 else { return [.failure(.storage("\(error)"))] }
            return batch.map { item in
                do {
                    let stored = try connection.transaction(.immediate) {
                        try ingestor.ingest(item.feedback, receivedAt: item.receivedAt, connection: connection)
                    }
                    ingestor.committed(now: Timestamp.nowMilliseconds())
                    return .success(stored)
                } catch {
                    ingestor.rolledBack()
                    return .failure((error as? SQLiteError)?.isFull == true ? .storageFull : .storage("\(error)"))
                }
            }
        }
    }

    /// Runs on the writer's queue: forgets votes past the duplicate window.
    func prune(now: Int64) {
        database.async { [ingestor] _ in ingestor.value.prune(now: now) }
    }

    /// Refuses new submissions and waits until everything queued has been written.
    func close() {
        state.withLock { $0.closed = true }
        database.sync { _ in }
    }
}

/// When the writer folds next; used only on the writer's serial queue.
private final class FoldSchedule: @unchecked Sendable { // touched only on the writer queue
    /// Rows committed since the last fold.
    var unfolded = 0
    var timerArmed = false
    /// A fold is being read on the snapshot connection; its apply is still to come.
    var reading = false
    /// The last fold failed: the next one waits for the timer.
    var failed = false
}

/// Holds the ingestor, which is used only on the writer's serial queue.
private final class IngestorBox: @unchecked Sendable { // touched only on the writer queue
    let value: Ingestor
    init(value: Ingestor) { self.value = value }
}

/// Labels as a compact JSON object with keys in order.
enum LabelsJSON {
    static func encode(_ labels: [(key: String, value: String)]) -> String {
        "{" + labels.map { "\(quote($0.key)):\(quote($0.value))" }.joined(separator: ",") + "}"
    }

    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
