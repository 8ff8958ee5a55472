import Dispatch
import SQLite
import Synchronization

/// The row a successful write produced.
public struct StoredFeedback: Sendable, Equatable {
    public let id: Int64
    public let receivedAt: Int64
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
    private let state = Mutex(State())
    private let hasher = HasherBox()
    public let maxPending: Int
    public let maxBatch: Int

    init(database: DatabaseQueue, maxPending: Int, maxBatch: Int) {
        self.database = database
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
            for (item, result) in zip(batch, results) { item.completion(result) }
        }
    }

    private func write(_ batch: [Pending], _ connection: Connection) -> [Result<StoredFeedback, WriteFailure>] {
        do {
            return try connection.transaction(.immediate) {
                var rollups = RollupBatch()
                let results: [Result<StoredFeedback, WriteFailure>] = try batch.map { item in .success(try insert(item, &rollups, connection)) }
                try rollups.flush(connection)
                return results
            }
        } catch let error as SQLiteError where error.isFull || error.isBusy {
            hasher.value.reset()
            let failure: WriteFailure = error.isFull ? .storageFull : .storage(error.description)
            return batch.map { _ in .failure(failure) }
        } catch {
            // One bad row must not fail its neighbours: retry each alone.
            hasher.value.reset()
            guard batch.count > 1 else { return [.failure(.storage("\(error)"))] }
            return batch.map { item in
                do {
                    return .success(try connection.transaction(.immediate) {
                        var rollups = RollupBatch()
                        let stored = try insert(item, &rollups, connection)
                        try rollups.flush(connection)
                        return stored
                    })
                } catch {
                    hasher.value.reset()
                    return .failure((error as? SQLiteError)?.isFull == true ? .storageFull : .storage("\(error)"))
                }
            }
        }
    }

    private func insert(_ item: Pending, _ rollups: inout RollupBatch, _ connection: Connection) throws -> StoredFeedback {
        let f = item.feedback
        let clientHash = try hasher.value.hash(
            address: f.clientAddress, userAgent: f.userAgent, pageHost: PageNormalizer.host(ofNormalized: f.pageKey),
            day: Timestamp.day(milliseconds: item.receivedAt), connection: connection
        )
        let id = try FeedbackRows.insert(f, receivedAt: item.receivedAt, clientHash: clientHash, rollups: &rollups, connection: connection)
        return StoredFeedback(id: id, receivedAt: item.receivedAt)
    }

    /// Refuses new submissions and waits until everything queued has been written.
    func close() {
        state.withLock { $0.closed = true }
        database.sync { _ in }
    }
}

/// Holds the hasher, which is used only inside `drain` on the writer's serial queue.
private final class HasherBox: @unchecked Sendable { // touched only on the writer queue
    let value = ClientHasher()
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
