/// What each submission of an ingest batch comes to, decided in memory from what the batch's few
/// queries read, in the batch's order, exactly as storing them one after another would: a known
/// idempotency key replays the first answer (also one an earlier submission of this batch gave), a
/// repeated vote adds its details to the newest record it repeats (also one this batch inserts), and
/// everything else becomes a new row. The rows, updates and keys are then written set-based.
struct PostgresBatchPlan {
    /// A record a submission ends at: one stored before the batch, or the batch's `index`th new row.
    enum Target: Hashable {
        case stored(Int64)
        case new(Int)
    }

    struct Outcome {
        let target: Target
        let receivedAt: Int64
        let duplicate: Bool
        let replayed: Bool
    }

    /// A row to insert, with the details later repeats of the batch merged into it.
    struct NewRow {
        var feedback: NewFeedback
        let receivedAt: Int64
        let clientHash: String?
    }

    /// A stored record's details as locked, and as the batch's repeats leave them.
    struct StoredDetails {
        var reason: String?
        var comment: String?
        var email: String?
        var changed = false
    }

    /// An idempotency key's record: the answer it replays and when it was stored.
    struct KeyRecord {
        let target: Target
        let receivedAt: Int64
        let status: Int
        let createdAt: Int64
    }

    /// A submission's newest earlier record in the database, found before the batch.
    struct Earlier {
        let id: Int64
        let receivedAt: Int64
    }

    let duplicateWindow: Int64
    let maxCommentLength: Int
    private(set) var outcomes: [Outcome] = []
    private(set) var newRows: [NewRow] = []
    /// Locked stored records repeats may attach to, by id; gone ones are missing.
    private(set) var stored: [Int64: StoredDetails]
    /// Every key as the batch leaves it (hex of its hash), in the order they were last written.
    private(set) var keys: [String: KeyRecord]
    private(set) var keysWritten: [String] = []

    init(duplicateWindow: Int64, maxCommentLength: Int, stored: [Int64: StoredDetails], keys: [String: KeyRecord]) {
        self.duplicateWindow = duplicateWindow
        self.maxCommentLength = maxCommentLength
        self.stored = stored
        self.keys = keys
    }

    /// Decides the next submission. `key` is its idempotency key's hash in hex; `earlier` the stored
    /// record it repeats, if the query found one.
    mutating func add(_ f: NewFeedback, receivedAt: Int64, clientHash: String?, key: String?, earlier: Earlier?) {
        if let key, let known = keys[key], known.createdAt > receivedAt - Ingestor.idempotencyWindow {
            outcomes.append(Outcome(target: known.target, receivedAt: known.receivedAt, duplicate: known.status != 201, replayed: true))
            return
        }
        let outcome: Outcome
        if let (target, at) = repeated(f, receivedAt: receivedAt, clientHash: clientHash, earlier: earlier) {
            attach(FeedbackDetails(reason: f.reason, comment: f.comment, email: f.email), to: target)
            outcome = Outcome(target: target, receivedAt: at, duplicate: true, replayed: false)
        } else {
            newRows.append(NewRow(feedback: f, receivedAt: receivedAt, clientHash: clientHash))
            outcome = Outcome(target: .new(newRows.count - 1), receivedAt: receivedAt, duplicate: false, replayed: false)
        }
        outcomes.append(outcome)
        if let key {
            keys[key] = KeyRecord(target: outcome.target, receivedAt: outcome.receivedAt, status: outcome.duplicate ? 200 : 201, createdAt: receivedAt)
            keysWritten.removeAll { $0 == key }
            keysWritten.append(key)
        }
    }

    /// The newest record the vote repeats within the window on either side: latest `received_at`,
    /// then highest id. The batch's new rows get ids above every stored one (the identity only
    /// grows), and in the batch's order.
    private func repeated(_ f: NewFeedback, receivedAt: Int64, clientHash: String?, earlier: Earlier?) -> (Target, Int64)? {
        guard let clientHash, duplicateWindow > 0 else { return nil }
        var best: (target: Target, at: Int64)?
        if let earlier, stored[earlier.id] != nil { best = (.stored(earlier.id), earlier.receivedAt) }
        for (index, row) in newRows.enumerated()
        where row.clientHash == clientHash && row.feedback.pageKey == f.pageKey && row.feedback.rating == f.rating
            && row.receivedAt > receivedAt - duplicateWindow && row.receivedAt < receivedAt + duplicateWindow
            && row.receivedAt >= (best?.at ?? .min) {
            best = (.new(index), row.receivedAt)
        }
        return best
    }

    private mutating func attach(_ details: FeedbackDetails, to target: Target) {
        if details.isEmpty { return }
        switch target {
        case .stored(let id):
            guard var before = stored[id] else { return }
            let merged = Followups.merge(details, reason: before.reason, comment: before.comment, email: before.email, maxCommentLength: maxCommentLength)
            before.reason = merged.reason
            before.comment = merged.comment
            before.email = merged.email
            before.changed = true
            stored[id] = before
        case .new(let index):
            let row = newRows[index].feedback
            let merged = Followups.merge(details, reason: row.reason, comment: row.comment, email: row.email, maxCommentLength: maxCommentLength)
            newRows[index].feedback.reason = merged.reason
            newRows[index].feedback.comment = merged.comment
            newRows[index].feedback.email = merged.email
        }
    }
}
