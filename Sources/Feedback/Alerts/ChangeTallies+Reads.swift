/// What `ChangeTallies` reads: a scope's days or hours from the page rollups, and the folded rows of
/// an hour, once for every scope that needs them.
extension ChangeTallies {
    /// A page rollup, and the column that numbers its days or hours.
    enum PageRollup {
        case daily, hourly

        var table: String { self == .daily ? "rollup_page_daily" : "rollup_page_hourly" }
        var column: String { self == .daily ? "day" : "hour" }
    }

    /// One scope's votes per day or hour in `range`, keys ascending.
    static func read(_ rollup: PageRollup, _ range: Range<Int64>, of scope: Scope, connection: any SQLSession) throws -> Sums {
        let (table, column) = (rollup.table, rollup.column)
        let found: [(key: Int64, up: Int, total: Int)]
        switch scope {
        case .page(let page):
            found = try connection.fetch("""
                SELECT \(column), up, up + down FROM \(table)
                WHERE page_id = (SELECT id FROM pages WHERE page_key = ?) AND \(column) >= ? AND \(column) < ? ORDER BY \(column)
                """, [page, range.lowerBound, range.upperBound]) { ($0.int64(0), $0.int(1), $0.int(2)) }
        case .prefix(let prefix):
            found = try connection.fetch("""
                SELECT r.\(column), sum(r.up), sum(r.up + r.down) FROM \(table) r JOIN pages p ON p.id = r.page_id
                WHERE p.page_key >= ? AND p.page_key < ? AND r.\(column) >= ? AND r.\(column) < ? GROUP BY r.\(column) ORDER BY r.\(column)
                """, [prefix, prefix + "\u{10FFFF}", range.lowerBound, range.upperBound]) { ($0.int64(0), $0.int(1), $0.int(2)) }
        }
        var sums = Sums()
        for row in found { sums.append(row.key, up: row.up, total: row.total) }
        return sums
    }

    /// The folded rows received in `read.range` (through the `received_at` index), kept for each of
    /// `read.scopes` they belong to. Folded only, as the rollups: on SQLite those at or below the
    /// watermark, on PostgreSQL those no longer queued for the fold.
    static func readRows(_ read: RowRead, connection: any SQLSession) throws -> [Scope: Rows] {
        let folded = connection.dialect == .sqlite
            ? "id <= (SELECT value FROM server_state WHERE name = 'derived_through')"
            : "NOT EXISTS (SELECT 1 FROM feedback_unfolded u WHERE u.feedback_id = feedback.id)"
        let prefixes = read.scopes.filter { if case .prefix = $0 { true } else { false } }
        var found: [Scope: Rows] = [:]
        _ = try connection.fetch("""
            SELECT page_key, received_at, \(connection.dialect.flag("rating = 'up'")) FROM feedback
            WHERE received_at >= ? AND received_at < ? AND status <> 'spam' AND \(folded) ORDER BY received_at
            """, [read.range.lowerBound, read.range.upperBound]) { row in
                let pageKey = row.string(0), time = row.int64(1), up = row.int(2)
                let page = Scope.page(pageKey)
                if read.scopes.contains(page) { found[page, default: Rows()].append(time, up: up) }
                for prefix in prefixes where prefix.contains(pageKey) { found[prefix, default: Rows()].append(time, up: up) }
            }
        return found
    }
}
