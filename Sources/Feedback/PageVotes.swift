
extension AggregateQueries {
    /// Per page, like `pages(_:sectionDepth:connection:)` but only `up`, `down` and `comments`
    /// (`downComments` 0, `firstAt` and `lastAt` nil), for views that show no more: the three sums
    /// cost half of the six over a 90-day window. Windows seek each page's days in the daily page
    /// rollup; anything else is answered by `pages`.
    public static func pageVotes(_ filter: AggregateFilter, connection: any SQLSession) throws -> [(String, VoteCounts)] {
        guard filter.usesPageDaily, filter.page == nil, filter.pagePrefix == nil else {
            return try pages(filter, sectionDepth: nil, connection: connection).map { page, counts in
                var votes = VoteCounts()
                (votes.up, votes.down, votes.comments) = (counts.up, counts.down, counts.comments)
                return (page, votes)
            }
        }
        if let outside = try pageVotesOutside(filter, connection: connection) { return outside }
        var conditions: [String] = []
        var values: [DatabaseValue] = []
        if let day = filter.sinceDay { conditions.append("r.day >= ?"); values.append(.integer(day)) }
        if let day = filter.untilDay { conditions.append("r.day < ?"); values.append(.integer(day)) }
        return try connection.fetch("""
            SELECT p.page_key, sum(r.up), sum(r.down), sum(r.comments)
            FROM pages p JOIN rollup_page_daily r ON r.page_id = p.id
            WHERE \(conditions.joined(separator: " AND ")) GROUP BY p.id
            """, values, reuse: false) { row in
            var votes = VoteCounts()
            (votes.up, votes.down, votes.comments) = (row.int(1), row.int(2), row.int(3))
            return (row.string(0), votes)
        }
    }

    /// The same answer as the window's read, from the all-time totals less the days outside the window,
    /// when those are fewer: the dashboard's 90 days on a database holding 90 days would otherwise read
    /// the whole daily page rollup (118,000 rows at 1M votes) to sum what the totals already hold.
    /// Nil when the window is the smaller read. Exact: totals are rebuilt from the same daily rows
    /// whenever those change (`Rollups.recompute`), and a daily row exists only while it counts a vote,
    /// so a page is in the window's answer exactly when it has votes in the window.
    static func pageVotesOutside(_ filter: AggregateFilter, connection: any SQLSession) throws -> [(String, VoteCounts)]? {
        guard filter.sinceDay != nil || filter.untilDay != nil else { return nil }
        // Which read is smaller, from the first and last hour holding votes (two seeks; a stale bound
        // after spam only makes the choice less good, never the answer wrong).
        let hours = Rollups.dayMilliseconds / Rollups.hourMilliseconds
        let span = try connection.fetchFirst("SELECT min(hour), max(hour) FROM rollup_hourly", [], reuse: true) { row -> (Int64, Int64)? in
            row.isNull(0) ? nil : (AggregateFilter.floorDiv(row.int64(0), hours), AggregateFilter.floorDiv(row.int64(1), hours))
        }
        guard let (first, last) = span ?? nil else { return nil }
        let since = filter.sinceDay ?? first, until = filter.untilDay ?? (last + 1)
        let inside = min(until, last + 1) - max(since, first)
        let before = max(0, min(since, last + 1) - first), after = max(0, last + 1 - max(until, first))
        guard before + after < inside else { return nil }
        var totals: [String: VoteCounts] = [:]
        _ = try connection.fetch("SELECT page_key, up, down, comments FROM rollup_page_total", [], reuse: true) { row in
            // One row per page and source, in page order.
            totals[row.string(0), default: VoteCounts()].up += row.int(1)
            totals[row.string(0), default: VoteCounts()].down += row.int(2)
            totals[row.string(0), default: VoteCounts()].comments += row.int(3)
        }
        // Each range seeks every page's days before or after the window (the rollup is page-major).
        for (condition, day, needed) in [("r.day < ?", since, before > 0), ("r.day >= ?", until, after > 0)] where needed {
            _ = try connection.fetch("""
                SELECT p.page_key, sum(r.up), sum(r.down), sum(r.comments) FROM pages p JOIN rollup_page_daily r ON r.page_id = p.id
                WHERE \(condition) GROUP BY p.id
                """, [DatabaseValue.integer(day)], reuse: true) { row in
                let key = row.string(0)
                totals[key]?.up -= row.int(1); totals[key]?.down -= row.int(2); totals[key]?.comments -= row.int(3)
            }
        }
        return totals.filter { $0.value.up + $0.value.down > 0 }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Counts of each of `pages` in consecutive slices of `daysPerSlice` whole UTC days, slice `i`
    /// holding the days `first + i * daysPerSlice ..< first + (i + 1) * daysPerSlice` of the filter's
    /// window (`first` its first day). One read of the daily page rollup for all pages and slices:
    /// a query per page and slice cost more in statements than in rows.
    /// Only the window of `filter` applies; a slice without rows is absent.
    public static func pageSlices(_ pages: [String], _ filter: AggregateFilter, daysPerSlice: Int64, connection: any SQLSession) throws -> [String: [Int: VoteCounts]] {
        guard !pages.isEmpty, let first = filter.sinceDay, daysPerSlice > 0 else { return [:] }
        var conditions = ["p.page_key IN (\(Array(repeating: "?", count: pages.count).joined(separator: ", ")))", "r.day >= ?"]
        var values: [DatabaseValue] = pages.map { .text($0) } + [.integer(first)]
        if let end = filter.untilDay { conditions.append("r.day < ?"); values.append(.integer(end)) }
        let rows = try connection.fetch("""
            SELECT p.page_key, (r.day - ?) / ?, sum(r.up), sum(r.down), sum(r.comments), sum(r.down_comments), min(r.first_at), max(r.last_at)
            FROM pages p JOIN rollup_page_daily r ON r.page_id = p.id
            WHERE \(conditions.joined(separator: " AND ")) GROUP BY p.id, 2
            """, [.integer(first), .integer(daysPerSlice)] + values, reuse: false) { row in
            (row.string(0), row.int(1), VoteCounts(row: row, from: 2))
        }
        var slices: [String: [Int: VoteCounts]] = [:]
        for (page, slice, counts) in rows { slices[page, default: [:]][slice] = counts }
        return slices
    }
}
