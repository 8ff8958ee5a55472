import SQLite

/// Settings of the early-warning analysis; defaults as documented in the README.
public struct InsightOptions: Sendable {
    /// Days in the recent window, today included.
    public var recentDays = 7
    /// Days in the baseline window just before the recent one.
    public var baselineDays = 28
    /// Votes a page needs in each window to be tested.
    public var minVotes = 10
    /// False discovery rate for Benjamini–Hochberg.
    public var alpha = 0.05
    /// Negative comments in the recent window before a page can count as a burst.
    public var minComments = 3

    public init() {}
}

public struct HelpfulnessDrop: Sendable, Equatable {
    public let page: String
    public let recentUp: Int
    public let recentVotes: Int
    public let baselineUp: Int
    public let baselineVotes: Int
    public var recentRatio: Double { Double(recentUp) / Double(recentVotes) }
    public var baselineRatio: Double { Double(baselineUp) / Double(baselineVotes) }
    public var drop: Double { baselineRatio - recentRatio }
    public let z: Double
    public let p: Double
    public let q: Double
}

public struct CommentBurst: Sendable, Equatable {
    public let page: String
    public let recentNegativeComments: Int
    public let baselineNegativeComments: Int
    /// Negative comments the baseline rate predicts for the recent window.
    public let expected: Double
    public let p: Double
    public let q: Double
}

public struct InsightReport: Sendable {
    public let recentStart: Int64
    public let baselineStart: Int64
    public let end: Int64
    public let pagesTested: Int
    public let drops: [HelpfulnessDrop]
    public let bursts: [CommentBurst]
}

/// Pages whose helpfulness dropped recently, and pages with a burst of negative comments.
///
/// Per page: recent window vs. the baseline before it, a one-sided two-proportion z-test on the
/// helpful ratio, Benjamini–Hochberg across all tested pages; bursts compare recent negative
/// comments with a Poisson expectation from the baseline rate (plus half a comment, so a page
/// with a quiet baseline still needs several comments), again with Benjamini–Hochberg.
public enum Insights {
    /// A page as the query found it: its key, or the id of its row in `pages` (looked up only for reported pages).
    enum PageRef {
        case key(String)
        case id(Int64)

        func key(_ connection: Connection) throws -> String {
            switch self {
            case .key(let key): return key
            case .id(let id): return try connection.first("SELECT page_key FROM pages WHERE id = ?", [id]) { $0.string(0) } ?? ""
            }
        }
    }

    struct PageWindows {
        let page: PageRef
        var recentUp = 0, recentVotes = 0, baselineUp = 0, baselineVotes = 0, recentComments = 0, baselineComments = 0
    }

    /// Both windows of every page from the per-page daily rollup, summed here rather than in SQL: six
    /// conditional sums cost SQLite more per row than reading the row, and rows come in page order.
    static func pageDailyWindows(_ filter: AggregateFilter, recentStart: Int64, connection: Connection) throws -> [PageWindows] {
        let (clause, values) = filter.pageDailyWhere()
        var pages: [PageWindows] = []
        var current: Int64 = -1
        _ = try connection.prepare("SELECT page_id, day, up, down, down_comments FROM rollup_page_daily WHERE \(clause) ORDER BY page_id")
            .query(values) { row in
                let id = row.int64(0)
                if id != current {
                    pages.append(PageWindows(page: .id(id)))
                    current = id
                }
                let up = row.int(2), votes = up + row.int(3), comments = row.int(4)
                if row.int64(1) >= recentStart {
                    pages[pages.count - 1].recentUp += up
                    pages[pages.count - 1].recentVotes += votes
                    pages[pages.count - 1].recentComments += comments
                } else {
                    pages[pages.count - 1].baselineUp += up
                    pages[pages.count - 1].baselineVotes += votes
                    pages[pages.count - 1].baselineComments += comments
                }
            }
        return pages
    }

    public static func analyze(_ filter: AggregateFilter, options: InsightOptions, now: Int64, connection: Connection) throws -> InsightReport {
        let today = AggregateFilter.floorDiv(now, Rollups.dayMilliseconds)
        let recentStart = today - Int64(options.recentDays) + 1
        let baselineStart = recentStart - Int64(options.baselineDays)
        var windowed = filter
        windowed.since = baselineStart * Rollups.dayMilliseconds
        windowed.until = (today + 1) * Rollups.dayMilliseconds
        let rows: [PageWindows]
        if windowed.usesPageDaily {
            rows = try pageDailyWindows(windowed, recentStart: recentStart, connection: connection)
        } else {
            let sums = """
                sum(CASE WHEN day >= ?1 THEN up ELSE 0 END), sum(CASE WHEN day >= ?1 THEN up + down ELSE 0 END),
                sum(CASE WHEN day < ?1 THEN up ELSE 0 END), sum(CASE WHEN day < ?1 THEN up + down ELSE 0 END),
                sum(CASE WHEN day >= ?1 THEN down_comments ELSE 0 END), sum(CASE WHEN day < ?1 THEN down_comments ELSE 0 END)
                """
            let (from, relation) = windowed.from()
            rows = try connection.prepare("SELECT page_key, \(sums) \(from) GROUP BY page_key").query([SQLValue.integer(recentStart)] + relation) { row in
                PageWindows(page: .key(row.string(0)), recentUp: row.int(1), recentVotes: row.int(2), baselineUp: row.int(3), baselineVotes: row.int(4),
                            recentComments: row.int(5), baselineComments: row.int(6))
            }
        }

        let tested = rows.filter { $0.recentVotes >= options.minVotes && $0.baselineVotes >= options.minVotes }
        let tests = tested.map { Statistics.dropTest(baselineUp: $0.baselineUp, baselineTotal: $0.baselineVotes, recentUp: $0.recentUp, recentTotal: $0.recentVotes) }
        let dropQ = Statistics.benjaminiHochberg(tests.map(\.p))
        var drops: [HelpfulnessDrop] = []
        for (i, row) in tested.enumerated() where dropQ[i] <= options.alpha && tests[i].z > 0 {
            drops.append(HelpfulnessDrop(page: try row.page.key(connection), recentUp: row.recentUp, recentVotes: row.recentVotes, baselineUp: row.baselineUp,
                                         baselineVotes: row.baselineVotes, z: tests[i].z, p: tests[i].p, q: dropQ[i]))
        }
        drops.sort { ($0.q, -$0.drop, $0.page) < ($1.q, -$1.drop, $1.page) }

        let scale = Double(options.recentDays) / Double(options.baselineDays)
        let candidates = rows.filter { $0.recentComments >= options.minComments }
        let burstP = candidates.map { Statistics.poissonUpperTail($0.recentComments, lambda: (Double($0.baselineComments) + 0.5) * scale) }
        let burstQ = Statistics.benjaminiHochberg(burstP)
        var bursts: [CommentBurst] = []
        for (i, row) in candidates.enumerated() where burstQ[i] <= options.alpha {
            bursts.append(CommentBurst(page: try row.page.key(connection), recentNegativeComments: row.recentComments, baselineNegativeComments: row.baselineComments,
                                       expected: Double(row.baselineComments) * scale, p: burstP[i], q: burstQ[i]))
        }
        bursts.sort { ($0.q, -$0.recentNegativeComments, $0.page) < ($1.q, -$1.recentNegativeComments, $1.page) }
        return InsightReport(recentStart: recentStart * Rollups.dayMilliseconds, baselineStart: baselineStart * Rollups.dayMilliseconds,
                             end: (today + 1) * Rollups.dayMilliseconds, pagesTested: tested.count, drops: drops, bursts: bursts)
    }
}
