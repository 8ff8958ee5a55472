import Dispatch
import Synchronization

/// Group commit per instance on PostgreSQL, as `FeedbackWriter` does on SQLite: submissions queue
/// here and a batch is whatever waits when the previous commit ends, up to `maxBatch`, written by
/// `PostgresIngestor` in one transaction on the writer's own connection. Completions run only after
/// COMMIT (or the failure), so an acknowledgement means the row is in the database. Rollups are
/// folded later, on another connection (`PostgresFolder`), so a commit never waits for a fold.
final class PostgresWriter: Sendable {
    private struct Pending: Sendable {
        let feedback: NewFeedback
        let receivedAt: Int64
        let completion: FeedbackWriter.Completion
    }

    private struct State {
        var pending: [Pending] = []
        var scheduled = false
        var closed = false
    }

    private let channel: PostgresChannel
    private let ingestor: IngestorBox
    private let folder: PostgresFolder
    private let state = Mutex(State())
    private let drops: DropCounter
    private let onCommit: FeedbackWriter.BatchObserver?
    private let completionScope: FeedbackWriter.CompletionScope?
    let maxPending: Int
    let maxBatch: Int

    init(channel: PostgresChannel, ingestor: PostgresIngestor, folder: PostgresFolder, drops: DropCounter, maxPending: Int, maxBatch: Int,
         onCommit: FeedbackWriter.BatchObserver?, completionScope: FeedbackWriter.CompletionScope?) {
        self.channel = channel
        self.ingestor = IngestorBox(value: ingestor)
        self.folder = folder
        self.drops = drops
        self.maxPending = maxPending
        self.maxBatch = max(1, maxBatch)
        self.onCommit = onCommit
        self.completionScope = completionScope
    }

    /// Queues one submission; `completion` runs on the writer's queue once it is committed or failed.
    func submit(_ feedback: NewFeedback, completion: @escaping FeedbackWriter.Completion) {
        let item = Pending(feedback: feedback, receivedAt: Timestamp.nowMilliseconds(), completion: completion)
        let refusal: WriteFailure?? = state.withLock { state in
            if state.closed { return .some(.closed) }
            if state.pending.count >= maxPending { return .some(.overloaded) }
            state.pending.append(item)
            if state.scheduled { return .some(nil) }
            state.scheduled = true
            return .none
        }
        switch refusal {
        case .some(.some(let failure)): completion(.failure(failure))
        case .some(.none): break
        case .none: channel.async { [self] session in drain(session) }
        }
    }

    /// Writes one batch, then queues the next turn: each batch takes the session anew, so one that
    /// lost the link reconnects before the next.
    private func drain(_ session: Result<PostgresSession, any Error>) {
        let batch: [Pending] = state.withLock { state in
            let count = min(state.pending.count, maxBatch)
            if count == 0 { state.scheduled = false }
            defer { state.pending.removeFirst(count) }
            return Array(state.pending.prefix(count))
        }
        if batch.isEmpty { return }
        let results = write(batch, session)
        let complete = {
            for (item, result) in zip(batch, results) {
                if case .success(let stored) = result, stored.duplicate, !stored.replayed { self.drops.count(.duplicate) }
                item.completion(result)
            }
        }
        if let completionScope { completionScope(complete) } else { complete() }
        // Not only for new rows: a duplicate vote may have taken a folded record out again.
        if results.contains(where: { if case .success = $0 { true } else { false } }) {
            folder.schedule()
        }
        channel.async { [self] session in drain(session) }
    }

    private func write(_ batch: [Pending], _ session: Result<PostgresSession, any Error>) -> [Result<StoredFeedback, WriteFailure>] {
        let connection: PostgresSession
        switch session {
        case .success(let value): connection = value
        case .failure(let error): return batch.map { _ in .failure(.storage("\(error)")) }
        }
        let started = DispatchTime.now().uptimeNanoseconds
        let results = ingestor.value.write(batch.map { PostgresIngestor.Submission($0.feedback, receivedAt: $0.receivedAt) },
                                           connection: connection.connection)
        let committed = results.reduce(0) { count, result in if case .success = result { count + 1 } else { count } }
        if committed > 0 { onCommit?(committed, DispatchTime.now().uptimeNanoseconds - started) }
        return results
    }

    /// Refuses new submissions and waits until everything queued has been written.
    func close() {
        state.withLock { $0.closed = true }
        while state.withLock({ $0.scheduled }) { channel.barrier() }
    }
}

/// Holds the ingestor, which is used only on the writer's serial queue.
private final class IngestorBox: @unchecked Sendable { // touched only on the writer queue
    let value: PostgresIngestor
    init(value: PostgresIngestor) { self.value = value }
}
