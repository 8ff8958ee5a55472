import SQLite

/// The rollup changes of one transaction, merged by group so each group is written once when the
/// batch is flushed: a group-commit batch or a seeding transaction touches each hot page, hour and
/// reason once instead of once per row.
struct RollupBatch {
    struct Delta {
        var up = 0, down = 0, comments = 0, downComments = 0
        var firstAt = Int64.max, lastAt = Int64.min

        mutating func add(_ other: Delta) {
            up += other.up
            down += other.down
            comments += other.comments
            downComments += other.downComments
            firstAt = min(firstAt, other.firstAt)
            lastAt = max(lastAt, other.lastAt)
        }

        var counts: [any SQLBindable] { [up, down, comments, downComments, firstAt, lastAt] }
    }

    private struct PageDay: Hashable { let page: String, day: Int64 }
    private struct DayPageSource: Hashable { let day: Int64, page: String, source: String }
    private struct LabelDay: Hashable { let key: String, value: String, day: Int64, page: String, source: String }
    private struct LabelTotal: Hashable { let key: String, value: String, page: String, source: String }
    private struct PageSource: Hashable { let page: String, source: String }
    private struct DaySourceReason: Hashable { let day: Int64, source: String, reason: String }
    private struct HourSource: Hashable { let hour: Int64, source: String }
    private struct PageHour: Hashable { let page: String, hour: Int64 }

    private var pageDaily: [PageDay: Delta] = [:]
    private var daily: [DayPageSource: Delta] = [:]
    private var labelDaily: [LabelDay: Delta] = [:]
    private var labelTotal: [LabelTotal: Delta] = [:]
    private var pageTotal: [PageSource: Delta] = [:]
    private var reasonDaily: [DaySourceReason: Delta] = [:]
    private var hourly: [HourSource: Delta] = [:]
    private var pageHourly: [PageHour: Delta] = [:]

    var isEmpty: Bool { pageDaily.isEmpty }

    /// Counts one new row.
    mutating func add(receivedAt: Int64, pageKey: String, source: String, reason: String?, rating: Rating, hasComment: Bool,
                      labels: [(key: String, value: String)]) {
        let down = rating == .down ? 1 : 0, comments = hasComment ? 1 : 0
        let delta = Delta(up: 1 - down, down: down, comments: comments, downComments: down * comments, firstAt: receivedAt, lastAt: receivedAt)
        let day = receivedAt / Rollups.dayMilliseconds
        pageDaily[PageDay(page: pageKey, day: day), default: Delta()].add(delta)
        daily[DayPageSource(day: day, page: pageKey, source: source), default: Delta()].add(delta)
        for label in labels {
            labelDaily[LabelDay(key: label.key, value: label.value, day: day, page: pageKey, source: source), default: Delta()].add(delta)
            labelTotal[LabelTotal(key: label.key, value: label.value, page: pageKey, source: source), default: Delta()].add(delta)
        }
        pageTotal[PageSource(page: pageKey, source: source), default: Delta()].add(delta)
        reasonDaily[DaySourceReason(day: day, source: source, reason: reason ?? ""), default: Delta()].add(delta)
        let hour = receivedAt / Rollups.hourMilliseconds
        hourly[HourSource(hour: hour, source: source), default: Delta()].add(delta)
        pageHourly[PageHour(page: pageKey, hour: hour), default: Delta()].add(delta)
    }

    private static let merge = """
        ON CONFLICT DO UPDATE SET
            up = up + excluded.up, down = down + excluded.down, comments = comments + excluded.comments,
            down_comments = down_comments + excluded.down_comments,
            first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)
        """
    private static let mergeCounts = """
        ON CONFLICT DO UPDATE SET up = up + excluded.up, down = down + excluded.down, comments = comments + excluded.comments
        """

    // Whole statements as constants, so an upsert does not build its SQL text anew for the
    // statement-cache lookup.
    private static let pageDailySQL = "INSERT INTO rollup_page_daily(page_id, day, up, down, comments, down_comments, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " + merge
    private static let dailySQL = "INSERT INTO rollup_daily(day, page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " + merge
    private static let labelDailySQL = "INSERT INTO rollup_label_daily(key, value, day, page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " + merge
    private static let labelTotalSQL = "INSERT INTO rollup_label_total(key, value, page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " + merge
    private static let pageTotalSQL = "INSERT INTO rollup_page_total(page_key, source, up, down, comments, down_comments, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " + merge
    private static let reasonDailySQL = "INSERT INTO rollup_reason_daily(day, source, reason, up, down, comments) VALUES (?, ?, ?, ?, ?, ?) " + mergeCounts
    private static let hourlySQL = "INSERT INTO rollup_hourly(hour, source, up, down, comments) VALUES (?, ?, ?, ?, ?) " + mergeCounts
    private static let pageHourlySQL = "INSERT INTO rollup_page_hourly(page_id, hour, up, down, comments) VALUES (?, ?, ?, ?, ?) " + mergeCounts

    /// Writes every merged group; call inside the transaction that inserted the rows. `pageIDs` holds
    /// the ids of pages already looked up; any other is looked up (or added) here.
    mutating func flush(_ connection: Connection, pageIDs: [String: Int64] = [:]) throws {
        for (key, delta) in pageDaily {
            let id = try pageIDs[key.page] ?? Rollups.pageID(key.page, connection: connection)
            try connection.run(Self.pageDailySQL, [id, key.day] + delta.counts)
        }
        for (key, delta) in daily {
            try connection.run(Self.dailySQL, [key.day, key.page, key.source] + delta.counts)
        }
        for (key, delta) in labelDaily {
            try connection.run(Self.labelDailySQL, [key.key, key.value, key.day, key.page, key.source] + delta.counts)
        }
        for (key, delta) in labelTotal {
            try connection.run(Self.labelTotalSQL, [key.key, key.value, key.page, key.source] + delta.counts)
        }
        for (key, delta) in pageTotal {
            try connection.run(Self.pageTotalSQL, [key.page, key.source] + delta.counts)
        }
        for (key, delta) in reasonDaily {
            try connection.run(Self.reasonDailySQL, [key.day, key.source, key.reason, delta.up, delta.down, delta.comments])
        }
        for (key, delta) in hourly {
            try connection.run(Self.hourlySQL, [key.hour, key.source, delta.up, delta.down, delta.comments])
        }
        // In key order (page id, hour): a page's hours are one range, written leaf by leaf.
        let byID = try pageHourly.map { (id: try pageIDs[$0.key.page] ?? Rollups.pageID($0.key.page, connection: connection), hour: $0.key.hour, delta: $0.value) }
        for group in byID.sorted(by: { ($0.id, $0.hour) < ($1.id, $1.hour) }) {
            try connection.run(Self.pageHourlySQL, [group.id, group.hour, group.delta.up, group.delta.down, group.delta.comments])
        }
        self = RollupBatch()
    }
}
