
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
