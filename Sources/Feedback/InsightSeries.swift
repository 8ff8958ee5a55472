import Analytics

/// Loads the daily series insights test: counts from the per-page daily rollup (or, under source and
/// label filters, from the rollup or rows those filters need), and negative votes per reason and day
/// from the non-spam negative votes with a reason the fold keeps by page and time (migration 0009).
struct InsightSeries {
    var series: [PageSeries] = []
    /// Page keys by series name when series are named by page id (`#17`).
    var keys: [String: String] = [:]
    var byId: Bool = false

    /// The stored page key of a series name.
    func key(_ name: String, _ connection: any SQLSession) throws -> String {
        guard byId, name.hasPrefix("#"), let id = Int64(name.dropFirst()) else { return name }
        return try connection.fetchFirst("SELECT page_key FROM pages WHERE id = ?", [id]) { $0.string(0) } ?? name
    }

    /// `pageIDs`: only these pages (an incremental evaluation, `InsightPages`); filters must then read `rollup_page_daily`.
    static func daily(_ filter: AggregateFilter, firstDay: Int, days: Int, pageIDs: [Int64]? = nil, connection: any SQLSession) throws -> InsightSeries {
        var loaded = InsightSeries()
        if filter.usesPageDaily {
            // Rows come in page order (the table is page-major), one per page and day; a page's name
            // is made once per page, not per row.
            loaded.byId = true
            var current: Int64 = -1
            var (clause, values) = filter.pageDailyWhere()
            if let pageIDs {
                clause += " AND page_id IN (\(Array(repeating: "?", count: pageIDs.count).joined(separator: ", ")))"
                values += pageIDs.map(DatabaseValue.integer)
            }
            _ = try connection.fetch("SELECT page_id, day, up, down, down_comments FROM rollup_page_daily WHERE \(clause) ORDER BY page_id",
                                     values, reuse: false) { row in
                    let id = row.int64(0)
                    if id != current {
                        loaded.series.append(PageSeries(page: "#\(id)", firstDay: firstDay, days: days))
                        current = id
                    }
                    loaded.series[loaded.series.count - 1].add(day: Int(row.int64(1)), up: row.int(2), down: row.int(3), downComments: row.int(4))
                }
        } else {
            var current = ""
            let (from, values) = filter.from()
            _ = try connection.fetch("SELECT page_key, day, sum(up), sum(down), sum(down_comments) \(from) GROUP BY page_key, day ORDER BY page_key",
                                     values, reuse: false) { row in
                    let key = row.string(0)
                    if key != current || loaded.series.isEmpty {
                        loaded.series.append(PageSeries(page: key, firstDay: firstDay, days: days))
                        current = key
                    }
                    loaded.series[loaded.series.count - 1].add(day: Int(row.int64(1)), up: row.int(2), down: row.int(3), downComments: row.int(4))
                }
        }
        return loaded
    }

    /// Reasons only for pages with enough negative votes lately to be a candidate at all.
    static func addReasons(_ loaded: inout InsightSeries, _ filter: AggregateFilter, firstDay: Int, recentStart: Int,
                           minReasonVotes: Int, connection: any SQLSession) throws {
        // SQLite reads the negative votes with a reason the fold keeps (migrations/0009); PostgreSQL
        // reads them from `feedback` through its partial index.
        let sqlite = connection.dialect == .sqlite
        var conditions = sqlite ? ["page_id = (SELECT id FROM pages WHERE page_key = ?1)", "received_at >= ?2", "received_at < ?3"]
            : ["page_key = ?1", "received_at >= ?2", "received_at < ?3", "rating = 'down'", "reason IS NOT NULL", "status <> 'spam'"]
        var extra: [DatabaseValue] = []
        if let source = filter.source { conditions.append("source = ?\(4 + extra.count)"); extra.append(.text(source)) }
        for label in filter.labels {
            conditions.append("EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = \(sqlite ? "d.feedback_id" : "d.id") AND l.key = ?\(4 + extra.count) AND l.value = ?\(5 + extra.count))")
            extra += [.text(label.key), .text(label.value)]
        }
        // Counted here rather than by GROUP BY: SQLite sorts the groups in a temporary B-tree, which cost
        // about four times the index scan itself (80 against 20 ms for all pages of the 1M-row bench).
        // Kept prepared (`reuse`): run once per candidate page with the same text. Not with labels: their
        // number is the client's choice, and each count would be one more statement kept for good.
        let sql = """
            SELECT received_at, reason FROM \(sqlite ? "feedback_down_reasons" : "feedback") d
            WHERE \(conditions.joined(separator: " AND "))
            """
        let since = Int64(firstDay) * Rollups.dayMilliseconds, until = (filter.until ?? Int64.max)
        for i in loaded.series.indices {
            let s = loaded.series[i]
            let recentDowns = s.down[max(0, recentStart - s.firstDay)...].reduce(0, +)
            guard recentDowns >= minReasonVotes else { continue }
            let key = try loaded.key(s.page, connection)
            _ = try connection.fetch(sql, [DatabaseValue.text(key), .integer(since), .integer(until)] + extra, reuse: filter.labels.isEmpty) { row in
                loaded.series[i].addReason(row.string(1), day: Int(AggregateFilter.floorDiv(row.int64(0), Rollups.dayMilliseconds)))
            }
        }
    }
}
