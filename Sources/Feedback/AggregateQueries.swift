import Analytics

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

    /// What is being counted: page-level counts, or counts per reason (which page rollups do not keep).
    enum Shape { case pages, reasons, sources }

    /// The rows to aggregate, the smallest that can answer: all-time page totals, daily page rollups,
    /// daily reason rollups, or, for label filters (rollups have no labels) and reasons of some pages,
    /// the same columns computed from the feedback rows themselves.
    func relation(_ shape: Shape, dialect: SQLDialect = .sqlite) -> (sql: String, values: [DatabaseValue]) {
        // One label filter on page counts has its own rollup; more labels, or labels with reasons, read rows.
        if labels.count == 1, shape != .reasons, let label = labels.first {
            let table = since == nil && until == nil ? "rollup_label_total" : "rollup_label_daily"
            return ("(SELECT * FROM \(table) WHERE key = ? AND value = ?)", [.text(label.key), .text(label.value)])
        }
        let needsRows = !labels.isEmpty || (shape == .reasons && (page != nil || pagePrefix != nil))
        guard needsRows else {
            // Per-source counts without page filters come from the small reason rollup as well.
            if shape == .reasons || (shape == .sources && page == nil && pagePrefix == nil) { return ("rollup_reason_daily", []) }
            return (since == nil && until == nil ? "rollup_page_total" : "rollup_daily", [])
        }
        var values: [DatabaseValue] = []
        var conditions = ["f.status <> 'spam'"]
        for label in labels {
            conditions.append("EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = f.id AND l.key = ? AND l.value = ?)")
            values += [.text(label.key), .text(label.value)]
        }
        // On SQLite, rows of the filtered pages come through the rows by page (feedback has no page
        // index there, migrations/0009); PostgreSQL filters the outer query through its own index.
        var from = "feedback f"
        if dialect == .sqlite, page != nil || pagePrefix != nil {
            from = "feedback_page_rows r JOIN feedback f ON f.id = r.feedback_id"
            if let page { conditions.append(FeedbackFilter.pageCondition); values.append(.text(page)) }
            if let pagePrefix {
                conditions.append(FeedbackFilter.prefixCondition)
                values += [.text(pagePrefix), .text(pagePrefix + "\u{10FFFF}")]
            }
        }
        // Bound the scan by time too, through the received_at index.
        if let day = sinceDay { conditions.append("f.received_at >= ?"); values.append(.integer(day * Rollups.dayMilliseconds)) }
        if let day = untilDay { conditions.append("f.received_at < ?"); values.append(.integer(day * Rollups.dayMilliseconds)) }
        let sql = """
            (SELECT f.received_at / 86400000 AS day, f.page_key AS page_key, f.source AS source, coalesce(f.reason, '') AS reason,
                    \(dialect.flag("f.rating = 'up'")) AS up, \(dialect.flag("f.rating = 'down'")) AS down,
                    \(dialect.flag("f.comment IS NOT NULL")) AS comments,
                    \(dialect.flag("f.rating = 'down' AND f.comment IS NOT NULL")) AS down_comments,
                    f.received_at AS first_at, f.received_at AS last_at
             FROM \(from) WHERE \(conditions.joined(separator: " AND ")))
            """
        return (sql, values)
    }

    /// A time window without source or label filters: the page-major integer rollup answers it.
    var usesPageDaily: Bool { (since != nil || until != nil) && source == nil && labels.isEmpty }

    /// The WHERE clause over `rollup_page_daily` (window and page filters).
    func pageDailyWhere() -> (sql: String, values: [DatabaseValue]) {
        var parts: [String] = []
        var values: [DatabaseValue] = []
        if let day = sinceDay { parts.append("day >= ?"); values.append(.integer(day)) }
        if let day = untilDay { parts.append("day < ?"); values.append(.integer(day)) }
        if let page { parts.append("page_id = (SELECT id FROM pages WHERE page_key = ?)"); values.append(.text(page)) }
        if let pagePrefix {
            parts.append("page_id IN (SELECT id FROM pages WHERE page_key >= ? AND page_key < ?)")
            values += [.text(pagePrefix), .text(pagePrefix + "\u{10FFFF}")]
        }
        return (parts.isEmpty ? "TRUE" : parts.joined(separator: " AND "), values)
    }

    /// `FROM … WHERE …` over the relation, with every filter applied.
    func from(_ shape: Shape = .pages, dialect: SQLDialect = .sqlite) -> (sql: String, values: [DatabaseValue]) {
        var (relation, values) = relation(shape, dialect: dialect)
        var parts: [String] = []
        if let day = sinceDay { parts.append("day >= ?"); values.append(.integer(day)) }
        if let day = untilDay { parts.append("day < ?"); values.append(.integer(day)) }
        if let source { parts.append("source = ?"); values.append(.text(source)) }
        if let page { parts.append("page_key = ?"); values.append(.text(page)) }
        if let pagePrefix {
            parts.append("page_key >= ? AND page_key < ?")
            values += [.text(pagePrefix), .text(pagePrefix + "\u{10FFFF}")]
        }
        return ("FROM \(relation) AS r WHERE " + (parts.isEmpty ? "TRUE" : parts.joined(separator: " AND ")), values)
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
        // Without arrays: sections add up every page of a window.
        if let first = other.firstAt { firstAt = Swift.min(firstAt ?? first, first) }
        if let last = other.lastAt { lastAt = Swift.max(lastAt ?? last, last) }
    }

    static let sums = "sum(up), sum(down), sum(comments), sum(down_comments), min(first_at), max(last_at)"

    init(row: any SQLRow, from start: Int) {
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
    public static func summary(_ filter: AggregateFilter, connection: any SQLSession) throws
        -> (total: VoteCounts, pages: Int, bySource: [(source: String, counts: VoteCounts, pages: Int)]) {
        let (from, values) = filter.from(dialect: connection.dialect)
        guard filter.usesPageDaily else { return try summaryInOnePass(from, values, connection: connection) }
        let (clause, daily) = filter.pageDailyWhere()
        let total = try connection.fetchFirst("SELECT \(VoteCounts.sums), count(DISTINCT page_id) FROM rollup_page_daily WHERE \(clause)", daily, reuse: false) { row in
            (VoteCounts(row: row, from: 0), row.int(6))
        } ?? (VoteCounts(), 0)
        let bySource = try connection.fetch("SELECT source, \(VoteCounts.sums), count(DISTINCT page_key) \(from) GROUP BY source ORDER BY source",
                                            values, reuse: false) { row in (source: row.string(0), counts: VoteCounts(row: row, from: 1), pages: row.int(7)) }
        return (total.0, total.1, bySource)
    }

    /// The summary from one relation in one scan, counted here: as two statements SQLite read the rows
    /// twice and sorted them into temporary B-trees for `GROUP BY source` and `count(DISTINCT page_key)`
    /// (8 + 15 ms for a label over 7 days at 1M rows, 7,600 rollup rows).
    static func summaryInOnePass(_ from: String, _ values: [DatabaseValue], connection: any SQLSession) throws
        -> (total: VoteCounts, pages: Int, bySource: [(source: String, counts: VoteCounts, pages: Int)]) {
        var total = VoteCounts(), pages = Set<String>()
        var sources: [String: (counts: VoteCounts, pages: Set<String>)] = [:]
        _ = try connection.fetch("SELECT source, page_key, up, down, comments, down_comments, first_at, last_at \(from)", values, reuse: false) { row in
            let counts = VoteCounts(row: row, from: 2), source = row.string(0), page = row.string(1)
            total.add(counts)
            pages.insert(page)
            sources[source, default: (VoteCounts(), [])].counts.add(counts)
            sources[source, default: (VoteCounts(), [])].pages.insert(page)
        }
        return (total, pages.count, sources.sorted { $0.key < $1.key }.map { (source: $0.key, counts: $0.value.counts, pages: $0.value.pages.count) })
    }

    /// Rollup columns results can be grouped by.
    public enum GroupColumn: String, Sendable {
        case page = "page_key", source, reason
    }

    /// Counts per value of one rollup column.
    public static func grouped(_ group: GroupColumn, _ filter: AggregateFilter, connection: any SQLSession) throws -> [(String, VoteCounts)] {
        let column = group.rawValue
        let shape: AggregateFilter.Shape = group == .reason ? .reasons : group == .source ? .sources : .pages
        let (from, values) = filter.from(shape, dialect: connection.dialect)
        // The reason rollup has no per-page columns; those counts come out as zero and unknown.
        let sums = from.hasPrefix("FROM rollup_reason_daily") ? "sum(up), sum(down), sum(comments), 0, NULL, NULL" : VoteCounts.sums
        return try connection.fetch("SELECT \(column), \(sums) \(from) GROUP BY \(column) ORDER BY \(column)", values, reuse: false) { row in
            (row.string(0), VoteCounts(row: row, from: 1))
        }
    }

    /// Per page, or per section: pages rolled up by their first `depth` path segments.
    public static func pages(_ filter: AggregateFilter, sectionDepth: Int?, connection: any SQLSession) throws -> [(String, VoteCounts)] {
        let perPage: [(String, VoteCounts)]
        if filter.usesPageDaily {
            // Group by integer id first; page keys are joined to the (few) groups afterwards.
            let (clause, values) = filter.pageDailyWhere()
            perPage = try connection.fetch("""
                SELECT p.page_key, g.* FROM (
                    SELECT sum(up), sum(down), sum(comments), sum(down_comments), min(first_at), max(last_at), page_id
                    FROM rollup_page_daily WHERE \(clause) GROUP BY page_id) AS g
                JOIN pages p ON p.id = g.page_id
                """, values, reuse: false) { row in (row.string(0), VoteCounts(row: row, from: 1)) }
        } else {
            perPage = try grouped(.page, filter, connection: connection)
        }
        guard let depth = sectionDepth else { return perPage }
        var sections: [String: VoteCounts] = [:]
        for (page, counts) in perPage { sections[section(of: page, depth: depth), default: VoteCounts()].add(counts) }
        return sections.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// `https://host/a/b/c` at depth 2 is `https://host/a/b`; `/a/b/c` is `/a/b`.
    public static func section(of page: String, depth: Int) -> String {
        page.utf8.allSatisfy({ $0 < 0x80 }) ? asciiSection(of: page, depth: depth) : characterSection(of: page, depth: depth)
    }

    /// Segments are split on the Character `/`, which a combining mark after it would change.
    static func characterSection(of page: String, depth: Int) -> String {
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

    /// `section(of:depth:)` for ASCII keys (nearly all), on bytes: ranking sections groups every page
    /// of a window (2,000 at 1M rows), and splitting each into an array cost more than its query.
    static func asciiSection(of page: String, depth: Int) -> String {
        let bytes = Array(page.utf8)
        let slash = UInt8(ascii: "/")
        var index = 0
        var section: [UInt8] = []
        section.reserveCapacity(bytes.count + 1)
        // Scheme and host stay whole: `https://host` up to the path's first slash.
        if let scheme = (0..<max(0, bytes.count - 2)).first(where: { bytes[$0] == UInt8(ascii: ":") && bytes[$0 + 1] == slash && bytes[$0 + 2] == slash }) {
            index = scheme + 3
            while index < bytes.count && bytes[index] != slash { index += 1 }
            section += bytes[0..<index]
        }
        section.append(slash)
        var taken = 0
        while taken < depth {
            while index < bytes.count && bytes[index] == slash { index += 1 }
            guard index < bytes.count else { break }
            let start = index
            while index < bytes.count && bytes[index] != slash { index += 1 }
            if taken > 0 { section.append(slash) }
            section += bytes[start..<index]
            taken += 1
        }
        return String(decoding: section, as: UTF8.self)
    }
}
