import Postgres

/// PostgreSQL's fold of derived data: the rollups, counted from the rows in the fold queue
/// (`feedback_unfolded`, migrations/postgres/0002). Search needs no fold there (a generated
/// `tsvector` column), nor do rows by page (PostgreSQL keeps indexes by page).
///
/// One instance folds at a time, under a session advisory lock; the others skip. A fold deletes the
/// ids it counts from the queue in the transaction that changes the rollups, so a fold cut short
/// counts nothing and the next one counts those rows again: exactly once. The queue holds only
/// rows whose transaction committed, in whatever order they committed, so no row is skipped.
public enum PostgresFold {
    /// The advisory lock only a folding session holds.
    public static let lockKey: Int64 = 0x6865_6172_6B65_6E46 // "hearkenF"
    /// Rows per fold transaction at most, as on SQLite.
    public static let foldRows = DerivedData.foldRows

    /// Folds queued rows, `limit` per transaction, at most `maxPasses` transactions: under steady
    /// inserts the queue may never empty, and the lock must come free for the next fold's caller.
    /// Nil when another session is folding (its fold will count what is queued, or the next one will).
    @discardableResult
    public static func foldAll(_ connection: Postgres.Connection, limit: Int = foldRows, maxPasses: Int = 20) throws -> Int? {
        try connection.withAdvisoryLock(lockKey) {
            var total = 0
            for _ in 0..<max(1, maxPasses) {
                let folded = try connection.transaction { try fold(limit: limit, connection) }
                total += folded
                if folded < limit { break }
            }
            return total
        }
    }

    /// Rows waiting to be folded (committed ones only).
    public static func pendingRows(_ connection: Postgres.Connection) throws -> Int {
        try connection.cached("SELECT count(*) FROM feedback_unfolded").first { $0.int(0) } ?? 0
    }

    /// One fold: takes up to `limit` ids off the queue and counts their rows. Call inside a transaction,
    /// holding `lockKey`.
    static func fold(limit: Int, _ connection: Postgres.Connection) throws -> Int {
        let queued = try connection.cached("SELECT feedback_id FROM feedback_unfolded ORDER BY feedback_id LIMIT $1").query([limit]) { $0.int64(0) }
        guard !queued.isEmpty else { return 0 }
        // The rows first, in id order, as every writer that changes stored rows locks them (the
        // ingestor's repeated votes, triage, erasure, follow-ups): whichever waits for the other then
        // sees the row as the other left it. Only a writer holding a row changes its queue entry, so
        // the queue entries are taken after the rows, never the other way round.
        // Not prepared, like every read of `feedback` here: prepared on a new, nearly empty table,
        // PostgreSQL kept a generic sequential scan as the table grew (17 ms a fold at 200,000 rows)
        // until autovacuum's ANALYZE; planned for its values, it is an index scan.
        _ = try connection.run("SELECT 1 FROM feedback WHERE id = ANY($1::bigint[]) ORDER BY id FOR SHARE", [idList(queued)])
        // Ids erased meanwhile left the queue with their row: only those still queued are counted.
        let ids = try connection.cached("DELETE FROM feedback_unfolded WHERE feedback_id = ANY($1::bigint[]) RETURNING feedback_id")
            .query([idList(queued)]) { $0.int64(0) }
        guard !ids.isEmpty else { return 0 }
        let list = idList(ids)
        try connection.run("""
            INSERT INTO pages(page_key) SELECT DISTINCT page_key FROM feedback WHERE id = ANY($1::bigint[]) ORDER BY 1
            ON CONFLICT (page_key) DO NOTHING
            """, [list])
        try count(list, sign: 1, connection)
        return ids.count
    }

    /// An array literal of ids for `= ANY($1::bigint[])`.
    static func idList(_ ids: [Int64]) -> String {
        "{" + ids.map(String.init).joined(separator: ",") + "}"
    }

    /// Adds (`sign` 1) or takes away (`sign` -1) the rows' votes in every rollup. Spam is not counted.
    static func count(_ list: String, sign: Int64, _ connection: Postgres.Connection) throws {
        for statement in statements {
            try connection.run(statement, [list, sign])
        }
    }

    /// The rows of `$1`, with what each adds to a rollup group.
    static let rows = """
        WITH r AS (
            SELECT f.id, f.received_at, f.page_key, f.source, coalesce(f.reason, '') AS reason,
                   f.received_at / \(Rollups.dayMilliseconds) AS day, f.received_at / \(Rollups.hourMilliseconds) AS hour,
                   (f.rating = 'up')::int AS up, (f.rating = 'down')::int AS down, (f.comment IS NOT NULL)::int AS comments,
                   (f.rating = 'down' AND f.comment IS NOT NULL)::int AS down_comments
            FROM feedback f WHERE f.id = ANY($1::bigint[]) AND f.status <> 'spam')
        """

    struct Target {
        let table: String
        let columns: [String]
        let expressions: [String]
        var from = "r"
        /// Whether the table has down_comments, first_at and last_at besides up, down and comments.
        var full = true
    }

    static let targets = [
        Target(table: "rollup_page_daily", columns: ["page_id", "day"], expressions: ["p.id", "r.day"],
               from: "r JOIN pages p ON p.page_key = r.page_key"),
        Target(table: "rollup_daily", columns: ["day", "page_key", "source"], expressions: ["r.day", "r.page_key", "r.source"]),
        Target(table: "rollup_label_daily", columns: ["key", "value", "day", "page_key", "source"],
               expressions: ["l.key", "l.value", "r.day", "r.page_key", "r.source"], from: "r JOIN feedback_labels l ON l.feedback_id = r.id"),
        Target(table: "rollup_label_total", columns: ["key", "value", "page_key", "source"],
               expressions: ["l.key", "l.value", "r.page_key", "r.source"], from: "r JOIN feedback_labels l ON l.feedback_id = r.id"),
        Target(table: "rollup_page_total", columns: ["page_key", "source"], expressions: ["r.page_key", "r.source"]),
        Target(table: "rollup_reason_daily", columns: ["day", "source", "reason"], expressions: ["r.day", "r.source", "r.reason"], full: false),
        Target(table: "rollup_hourly", columns: ["hour", "source"], expressions: ["r.hour", "r.source"], full: false),
        Target(table: "rollup_page_hourly", columns: ["page_id", "hour"], expressions: ["p.id", "r.hour"],
               from: "r JOIN pages p ON p.page_key = r.page_key", full: false),
    ]

    /// One upsert per rollup table, each group once, in key order so that concurrent writers of the
    /// same groups lock them in the same order.
    private static let statements: [String] = targets.map { t in
        let counts = t.full ? ["up", "down", "comments", "down_comments"] : ["up", "down", "comments"]
        let sums = counts.map { "$2 * sum(r.\($0))" } + (t.full ? ["min(r.received_at)", "max(r.received_at)"] : [])
        let updates = counts.map { "\($0) = \(t.table).\($0) + excluded.\($0)" }
            + (t.full ? ["first_at = least(\(t.table).first_at, excluded.first_at)", "last_at = greatest(\(t.table).last_at, excluded.last_at)"] : [])
        let groups = (1...t.expressions.count).map(String.init).joined(separator: ", ")
        return rows + """
             INSERT INTO \(t.table)(\((t.columns + counts + (t.full ? ["first_at", "last_at"] : [])).joined(separator: ", ")))
            SELECT \((t.expressions + sums).joined(separator: ", ")) FROM \(t.from) GROUP BY \(groups) ORDER BY \(groups)
            ON CONFLICT (\(t.columns.joined(separator: ", "))) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }
}
