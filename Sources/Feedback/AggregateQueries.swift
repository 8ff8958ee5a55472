import SQLite

/// The filters every aggregate accepts. Windows are whole UTC days (rollups are daily):
/// `since` is rounded down to its day's start and `until` up to the next day's start.
public struct AggregateFilter: Sendable {
    public var since: Int64?
    public var until: Int64?
    public var source: String?
    public var pagePrefix: String?
    public var page: String?
    public var labels: [(key: String, value: String)] = []

    public init() {}

    var sinceDay: Int64? { since.map { Self.floorDiv($0, Rollups.dayMilliseconds) } }
    var untilDay: Int64? { until.map { Self.floorDiv($0 + Rollups.dayMilliseconds - 1, Rollups.dayMilliseconds) } }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : (a - b + 1) / b }

    /// The rows to aggregate: the daily rollup, or, when labels are filtered (rollups have no labels),
    /// the same columns computed from the feedback rows that carry those labels.
    func relation() -> (sql: String, values: [SQLValue]) {
        guard !labels.isEmpty else { return ("rollup_daily", []) }
        var values: [SQLValue] = []
        let exists = labels.map { label -> String in
            values += [.text(label.key), .text(label.value)]
            return "EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = f.id AND l.key = ? AND l.value = ?)"
        }.joined(separator: " AND ")
        let sql = """
            (SELECT f.received_at / 86400000 AS day, f.page_key AS page_key, f.source AS source, coalesce(f.reason, '') AS reason,
                    f.rating = 'up' AS up, f.rating = 'down' AS down, f.comment IS NOT NULL AS comments,
                    f.rating = 'down' AND f.comment IS NOT NULL AS down_comments, f.received_at AS first_at, f.received_at AS last_at
             FROM feedback f WHERE f.status <> 'spam' AND \(exists))
            """
        return (sql, values)
    }

    /// `FROM … WHERE …` over the relation, with every filter applied.
    func from() -> (sql: String, values: [SQLValue]) {
        var (relation, values) = relation()
        var parts: [String] = []
        if let day = sinceDay { parts.append("day >= ?"); values.append(.integer(day)) }
        if let day = untilDay { parts.append("day < ?"); values.append(.integer(day)) }
        if let source { parts.append("source = ?"); values.append(.text(source)) }
        if let page { parts.append("page_key = ?"); values.append(.text(page)) }
        if let pagePrefix {
            parts.append("page_key >= ? AND page_key < ?")
            values += [.text(pagePrefix), .text(pagePrefix + "\u{10FFFF}")]
        }
        return ("FROM \(relation) AS r WHERE " + (parts.isEmpty ? "1" : parts.joined(separator: " AND ")), values)
    }
}

/// Vote counts for one group: a page, section, source, reason or the whole set.
public struct VoteCounts: Sendable, Equatable {
    public var up = 0
    public var down = 0
    public var comments = 0
    public var downComments = 0
    public var firstAt: Int64?
    public var lastAt: Int64?

    public init() {}

    public var votes: Int { up + down }
    /// Share of votes that were helpful; nil without votes.
    public var helpfulRatio: Double? { votes > 0 ? Double(up) / Double(votes) : nil }
    public var wilson: (lower: Double, upper: Double) { Statistics.wilson(successes: up, trials: votes) }

    mutating func add(_ other: VoteCounts) {
        up += other.up
        down += other.down
        comments += other.comments
        downComments += other.downComments
        firstAt = [firstAt, other.firstAt].compactMap { $0 }.min()
        lastAt = [lastAt, other.lastAt].compactMap { $0 }.max()
    }

    static let sums = "sum(up), sum(down), sum(comments), sum(down_comments), min(first_at), max(last_at)"

    init(row: Row, from start: Int) {
        up = row.int(start)
        down = row.int(start + 1)
        comments = row.int(start + 2)
        downComments = row.int(start + 3)
        firstAt = row.isNull(start + 4) ? nil : row.int64(start + 4)
        lastAt = row.isNull(start + 5) ? nil : row.int64(start + 5)
    }
}

/// Aggregates answered from the rollups.
public enum AggregateQueries {
    /// Totals, distinct pages, and the same per source.
    public static func summary(_ filter: AggregateFilter, connection: Connection) throws
        -> (total: VoteCounts, pages: Int, bySource: [(source: String, counts: VoteCounts, pages: Int)]) {
        let (from, values) = filter.from()
        let total = try connection.prepare("SELECT \(VoteCounts.sums), count(DISTINCT page_key) \(from)").first(values) { row in
            (VoteCounts(row: row, from: 0), row.int(6))
        } ?? (VoteCounts(), 0)
        let bySource = try connection.prepare("SELECT source, \(VoteCounts.sums), count(DISTINCT page_key) \(from) GROUP BY source ORDER BY source")
            .query(values) { row in (source: row.string(0), counts: VoteCounts(row: row, from: 1), pages: row.int(7)) }
        return (total.0, total.1, bySource)
    }

    /// Rollup columns results can be grouped by.
    public enum GroupColumn: String, Sendable {
        case page = "page_key", source, reason
    }

    /// Counts per value of one rollup column.
    public static func grouped(_ group: GroupColumn, _ filter: AggregateFilter, connection: Connection) throws -> [(String, VoteCounts)] {
        let column = group.rawValue
        let (from, values) = filter.from()
        return try connection.prepare("SELECT \(column), \(VoteCounts.sums) \(from) GROUP BY \(column) ORDER BY \(column)").query(values) { row in
            (row.string(0), VoteCounts(row: row, from: 1))
        }
    }

    /// Per page, or per section: pages rolled up by their first `depth` path segments.
    public static func pages(_ filter: AggregateFilter, sectionDepth: Int?, connection: Connection) throws -> [(String, VoteCounts)] {
        let perPage = try grouped(.page, filter, connection: connection)
        guard let depth = sectionDepth else { return perPage }
        var sections: [String: VoteCounts] = [:]
        for (page, counts) in perPage { sections[section(of: page, depth: depth), default: VoteCounts()].add(counts) }
        return sections.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `https://host/a/b/c` at depth 2 is `https://host/a/b`; `/a/b/c` is `/a/b`.
    public static func section(of page: String, depth: Int) -> String {
        var prefix = ""
        var path = Substring(page)
        if let scheme = page.firstRange(of: "://") {
            let rest = page[scheme.upperBound...]
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            prefix = String(page[..<slash])
            path = rest[slash...]
        }
        let segments = path.split(separator: "/").prefix(depth)
        return prefix + "/" + segments.joined(separator: "/")
    }
}
