import SQLite

/// One fold in two steps: `read` takes the rows above the watermark from a snapshot and works out
/// everything the fold writes (rollup deltas per group, rows by page, negative votes with a reason),
/// and `apply` writes it and moves the watermark. Reading and grouping were about half of a fold's
/// time on the writer's queue, and batches waited behind it (issue 14's p99 at half rate), so the
/// writer reads on a read-only connection of its own (`FeedbackWriter`) and holds its queue only to apply.
///
/// Between the two steps the rows may change: a fold from a read, triage, erasure, a follow-up or
/// a duplicate's reason. `isCurrent` checks, inside the apply's write transaction, that the
/// watermark is still where the snapshot found it and that no row above it was changed or erased
/// since (migration 0010 counts those in `server_state` `unfolded_changes`); otherwise the plan is
/// dropped and the fold is read again on the writer's queue.
struct FoldPlan: Sendable {
    /// The watermark the snapshot read.
    let from: Int64
    /// The last id the plan folds.
    let through: Int64
    /// `unfolded_changes` in the snapshot.
    let changes: Int64
    let rows: Int
    private var rollups: RollupBatch
    /// Page ids the snapshot knew; a page keeps its id for good. Pages first seen here are added by `apply`.
    private let knownPages: [String: Int64]
    /// Pages first seen by this fold; row `slot` -1 is the first of them, -2 the second, …
    private let newPages: [String]
    /// Every row under its page, page-major so each page's leaf is written once per fold (migrations/0009).
    private let pageRows: [PageRow]
    /// Non-spam negative votes with a reason, for insights (migrations/0009), in the same order.
    private let downReasons: [DownReason]

    /// `slot`: the page's id, or for a page first seen by this fold minus its place in `newPages`
    /// plus one. Integers, so that sorting and applying compare no strings.
    private struct PageRow: Sendable { let slot: Int64, id: Int64 }
    private struct DownReason: Sendable { let slot: Int64, receivedAt: Int64, id: Int64, reason: String, source: String }

    static let changesSQL = "SELECT value FROM server_state WHERE name = 'unfolded_changes'"
    private static let pageSQL = "SELECT id FROM pages WHERE page_key = ?"
    private static let pageRowSQL = "INSERT INTO feedback_page_rows(page_id, feedback_id) VALUES (?, ?)"
    private static let downReasonSQL = "INSERT INTO feedback_down_reasons(page_id, received_at, feedback_id, reason, source) VALUES (?, ?, ?, ?, ?)"

    /// Reads up to `limit` rows above the watermark; nil when there are none. Call inside one
    /// transaction (a read snapshot or the writer's own), so the watermark, the change count and the rows agree.
    static func read(limit: Int, connection: Connection) throws -> FoldPlan? {
        let from = try DerivedData.watermark(connection)
        let changes = try connection.first(changesSQL) { $0.int64(0) } ?? 0
        struct Row { let id: Int64, receivedAt: Int64, pageKey: String, source: String, reason: String?, rating: Rating, comment: Bool, spam: Bool }
        let rows = try connection.cached(DerivedData.rowsSQL).query([from, Int64(limit)]) { row in
            Row(id: row.int64(0), receivedAt: row.int64(1), pageKey: row.string(2), source: row.string(3), reason: row.optionalString(4),
                rating: Rating(rawValue: row.string(5)) ?? .up, comment: row.int(6) != 0, spam: row.int(7) != 0)
        }
        guard let through = rows.last?.id else { return nil }
        var labels: [Int64: [(key: String, value: String)]] = [:]
        _ = try connection.cached(DerivedData.labelsSQL).query([from, through]) { row in
            labels[row.int64(0), default: []].append((row.string(1), row.string(2)))
        }
        var rollups = RollupBatch()
        var knownPages: [String: Int64] = [:], newPages: [String] = [], slots: [String: Int64] = [:]
        var pageRows: [PageRow] = [], downReasons: [DownReason] = []
        pageRows.reserveCapacity(rows.count)
        for row in rows {
            let slot: Int64
            if let known = slots[row.pageKey] {
                slot = known
            } else if let id = try connection.first(pageSQL, [row.pageKey], { $0.int64(0) }) {
                knownPages[row.pageKey] = id
                slot = id
            } else {
                newPages.append(row.pageKey)
                slot = -Int64(newPages.count)
            }
            slots[row.pageKey] = slot
            // Every row, spam too (listings show it), under its page.
            pageRows.append(PageRow(slot: slot, id: row.id))
            // Spam is left out of every rollup; a row marked spam before its fold is simply not counted.
            guard !row.spam else { continue }
            rollups.add(receivedAt: row.receivedAt, pageKey: row.pageKey, source: row.source, reason: row.reason, rating: row.rating,
                        hasComment: row.comment, labels: labels[row.id] ?? [])
            if row.rating == .down, let reason = row.reason {
                downReasons.append(DownReason(slot: slot, receivedAt: row.receivedAt, id: row.id, reason: reason, source: row.source))
            }
        }
        // Key order of each table (pages not known yet first), so the inserts walk each B-tree once.
        pageRows.sort { ($0.slot, $0.id) < ($1.slot, $1.id) }
        downReasons.sort { ($0.slot, $0.receivedAt, $0.id) < ($1.slot, $1.receivedAt, $1.id) }
        return FoldPlan(from: from, through: through, changes: changes, rows: rows.count, rollups: rollups, knownPages: knownPages,
                        newPages: newPages, pageRows: pageRows, downReasons: downReasons)
    }

    /// Whether the rows the plan read are still unfolded and unchanged. Call inside the apply's write transaction.
    func isCurrent(_ connection: Connection) throws -> Bool {
        try DerivedData.watermark(connection) == from && (try connection.first(Self.changesSQL) { $0.int64(0) } ?? 0) == changes
    }

    /// Writes the fold and moves the watermark to `through`. Call inside a write transaction, after `isCurrent`.
    func apply(_ connection: Connection) throws {
        var pageIDs = knownPages, added: [Int64] = []
        for page in newPages {
            let id = try Rollups.pageID(page, connection: connection)
            pageIDs[page] = id
            added.append(id)
        }
        let id = { (slot: Int64) in slot >= 0 ? slot : added[Int(-slot) - 1] }
        var rollups = self.rollups
        try rollups.flush(connection, pageIDs: pageIDs)
        // One statement for the whole range: FTS5 writes a segment per statement (see migrations/0004).
        try connection.run(DerivedData.indexSQL, [from, through])
        let pageRow = try connection.cached(Self.pageRowSQL)
        for row in pageRows {
            try pageRow.run([id(row.slot), row.id])
        }
        let downReason = try connection.cached(Self.downReasonSQL)
        for row in downReasons {
            try downReason.run([id(row.slot), row.receivedAt, row.id, row.reason, row.source])
        }
        try connection.run(DerivedData.advanceSQL, [through])
    }
}
