import Postgres

/// Taking folded rows out of the rollups again, before a change moves their counts (a repeated vote's
/// reason or comment, spam, erasure, a follow-up). The caller holds the rows (`FOR UPDATE`, in id
/// order) and has seen that they are not queued, i.e. that a fold counted them.
extension PostgresFold {
    /// Subtracts the rows' votes, queues them again (the next fold counts them as they are then, or,
    /// erased, not at all), and leaves the rollups as a fold of the other folded rows would have made
    /// them: groups left without votes go, and first and last times are those of the rows still
    /// counted. Rollup rows are changed in the fold's order (table by table, groups sorted).
    static func takeOut(_ ids: [Int64], _ connection: Postgres.Connection) throws {
        guard !ids.isEmpty else { return }
        let list = idList(ids.sorted())
        try count(list, sign: -1, connection)
        try connection.cached("INSERT INTO feedback_unfolded(feedback_id) SELECT unnest($1::bigint[]) ORDER BY 1 ON CONFLICT DO NOTHING").run([list])
        // Separate statements, so each sees the previous one's changes; the rollup rows they change
        // are those `count` has locked, so no fold changes them in between.
        for statement in emptyGroups + bounds {
            try connection.run(statement, [list])
        }
    }

    /// Deletes, in every rollup, the groups of the rows of `$1` that no vote is left in.
    private static let emptyGroups: [String] = targets.map { t in
        let matches = t.columns.enumerated().map { "t.\($1) = g.c\($0)" }.joined(separator: " AND ")
        let expressions = t.expressions.enumerated().map { "\($1) AS c\($0)" }.joined(separator: ", ")
        return rows + " DELETE FROM \(t.table) t USING (SELECT DISTINCT \(expressions) FROM \(t.from)) g WHERE \(matches) AND t.up = 0 AND t.down = 0"
    }

    /// Rows of a group that a fold has counted: not spam, not queued.
    private static let counted = "f.status <> 'spam' AND NOT EXISTS (SELECT 1 FROM feedback_unfolded u WHERE u.feedback_id = f.id)"
    private static let day = "f.received_at >= t.day * \(Rollups.dayMilliseconds) AND f.received_at < (t.day + 1) * \(Rollups.dayMilliseconds)"
    /// Whether a group's first or last time was that of a row taken out: only then can it change.
    private static let touched = "(t.first_at = r.received_at OR t.last_at = r.received_at)"

    /// First and last times: daily groups from the rows, all-time groups from the daily ones (as SQLite rebuilds them).
    private static let bounds: [String] = [
        rows + """
             UPDATE rollup_page_daily t SET (first_at, last_at) = (
                SELECT coalesce(min(f.received_at), t.first_at), coalesce(max(f.received_at), t.last_at) FROM feedback f
                WHERE f.page_key = p.page_key AND \(day) AND \(counted))
            FROM r JOIN pages p ON p.page_key = r.page_key WHERE t.page_id = p.id AND t.day = r.day AND \(touched)
            """,
        rows + """
             UPDATE rollup_daily t SET (first_at, last_at) = (
                SELECT coalesce(min(f.received_at), t.first_at), coalesce(max(f.received_at), t.last_at) FROM feedback f
                WHERE f.page_key = t.page_key AND f.source = t.source AND \(day) AND \(counted))
            FROM r WHERE t.day = r.day AND t.page_key = r.page_key AND t.source = r.source AND \(touched)
            """,
        rows + """
             UPDATE rollup_label_daily t SET (first_at, last_at) = (
                SELECT coalesce(min(f.received_at), t.first_at), coalesce(max(f.received_at), t.last_at) FROM feedback f
                JOIN feedback_labels fl ON fl.feedback_id = f.id AND fl.key = t.key AND fl.value = t.value
                WHERE f.page_key = t.page_key AND f.source = t.source AND \(day) AND \(counted))
            FROM r JOIN feedback_labels l ON l.feedback_id = r.id
            WHERE t.key = l.key AND t.value = l.value AND t.day = r.day AND t.page_key = r.page_key AND t.source = r.source AND \(touched)
            """,
        rows + """
             UPDATE rollup_page_total t SET (first_at, last_at) = (
                SELECT coalesce(min(d.first_at), t.first_at), coalesce(max(d.last_at), t.last_at) FROM rollup_daily d
                WHERE d.page_key = t.page_key AND d.source = t.source AND (d.up <> 0 OR d.down <> 0))
            FROM r WHERE t.page_key = r.page_key AND t.source = r.source AND \(touched)
            """,
        rows + """
             UPDATE rollup_label_total t SET (first_at, last_at) = (
                SELECT coalesce(min(d.first_at), t.first_at), coalesce(max(d.last_at), t.last_at) FROM rollup_label_daily d
                WHERE d.key = t.key AND d.value = t.value AND d.page_key = t.page_key AND d.source = t.source AND (d.up <> 0 OR d.down <> 0))
            FROM r JOIN feedback_labels l ON l.feedback_id = r.id
            WHERE t.key = l.key AND t.value = l.value AND t.page_key = r.page_key AND t.source = r.source AND \(touched)
            """,
    ]
}
