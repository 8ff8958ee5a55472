/// What `ChangeTallies` reads: rollup days, and the rows of the days a window starts or ends inside.
extension ChangeTallies {
    /// A scope's whole days from the rollups, all of them when `days` is nil.
    static func readDays(_ scope: Scope, _ days: Range<Int64>?, connection: any SQLSession) throws -> DaySums {
        let range = days ?? Int64.min..<Int64.max
        let rows: [(day: Int64, up: Int, total: Int)]
        switch scope {
        case .page(let page):
            rows = try connection.fetch("""
                SELECT day, up, up + down FROM rollup_page_daily
                WHERE page_id = (SELECT id FROM pages WHERE page_key = ?) AND day >= ? AND day < ? ORDER BY day
                """, [page, range.lowerBound, range.upperBound]) { ($0.int64(0), $0.int(1), $0.int(2)) }
        case .prefix(let prefix):
            rows = try connection.fetch("""
                SELECT d.day, sum(d.up), sum(d.up + d.down) FROM rollup_page_daily d JOIN pages p ON p.id = d.page_id
                WHERE p.page_key >= ? AND p.page_key < ? AND d.day >= ? AND d.day < ? GROUP BY d.day ORDER BY d.day
                """, [prefix, prefix + "\u{10FFFF}", range.lowerBound, range.upperBound]) { ($0.int64(0), $0.int(1), $0.int(2)) }
        }
        var sums = DaySums()
        for row in rows {
            sums.days.append(row.day)
            sums.up.append(sums.up[sums.up.count - 1] + row.up)
            sums.total.append(sums.total[sums.total.count - 1] + row.total)
        }
        return sums
    }

    /// Whether reading each page's own rows costs less than reading every page's rows of each day.
    /// SQLite has no index by page and time: all of a page's rows are read, through
    /// `feedback_page_rows`, scattered over the table, about twice the cost of a day's rows, which
    /// lie together (1.3 s by day against 2.2 s by page for 13,000 changes on a million rows).
    /// PostgreSQL's planner makes this choice itself, per page.
    func readsFewerByPage(_ pages: [String: Range<Int64>], _ days: Dictionary<Int64, (range: Range<Int64>, scopes: Set<Scope>)>.Keys,
                          connection: any SQLSession) throws -> Bool {
        guard !pages.isEmpty else { return false }
        guard connection.dialect == .sqlite else { return true }
        let byPage = pages.keys.reduce(0) { $0 + (daySums[.page($1)]?.total.last ?? 0) }
        guard let first = days.min(), let last = days.max() else { return false }
        let needed = Set(days)
        let byDay = try connection.fetch("SELECT hour / 24, sum(up + down) FROM rollup_hourly WHERE hour >= ? AND hour < ? GROUP BY 1",
                                         [first * 24, (last + 1) * 24]) { (day: $0.int64(0), votes: $0.int(1)) }
            .reduce(0) { needed.contains($1.day) ? $0 + $1.votes : $0 }
        return 2 * byPage < byDay
    }

    /// One page's rows received in `range`.
    mutating func readRows(of page: String, _ range: Range<Int64>, connection: any SQLSession) throws {
        let sql = connection.dialect == .sqlite
            ? """
              SELECT f.received_at, f.rating = 'up' FROM feedback_page_rows r JOIN feedback f ON f.id = r.feedback_id
              WHERE r.page_id = (SELECT id FROM pages WHERE page_key = ?) AND f.received_at >= ? AND f.received_at < ? AND f.status <> 'spam'
              ORDER BY f.received_at
              """
            : """
              SELECT received_at, (rating = 'up')::int FROM feedback
              WHERE page_key = ? AND received_at >= ? AND received_at < ? AND status <> 'spam' ORDER BY received_at
              """
        var days: [Int64: DayRows] = [:]
        _ = try connection.fetch(sql, [page, range.lowerBound, range.upperBound]) { row in
            let time = row.int64(0)
            days[Self.floorDay(time), default: DayRows()].append(time, up: row.int(1))
        }
        dayRows[.page(page)] = days
    }

    /// The rows received in `range` of `day`, kept for each of `scopes` they belong to.
    mutating func readRows(day: Int64, _ range: Range<Int64>, for scopes: Set<Scope>, connection: any SQLSession) throws {
        let prefixes = scopes.filter { if case .prefix = $0 { true } else { false } }
        var rows: [Scope: DayRows] = [:]
        _ = try connection.fetch("""
            SELECT page_key, received_at, \(connection.dialect.flag("rating = 'up'")) FROM feedback
            WHERE received_at >= ? AND received_at < ? AND status <> 'spam' ORDER BY received_at
            """, [range.lowerBound, range.upperBound]) { row in
                let pageKey = row.string(0), time = row.int64(1), up = row.int(2)
                let page = Scope.page(pageKey)
                if scopes.contains(page) { rows[page, default: DayRows()].append(time, up: up) }
                for prefix in prefixes where prefix.contains(pageKey) { rows[prefix, default: DayRows()].append(time, up: up) }
            }
        for (scope, dayRows) in rows { self.dayRows[scope, default: [:]][day] = dayRows }
    }
}
