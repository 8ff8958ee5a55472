import Feedback
import HTTP
import SQLite

/// `GET /v1/insights`: significant helpfulness drops and bursts of negative comments.
struct InsightRoutes {
    let access: TeamAccess
    let rules: FeedbackRules

    static let names: Set<String> = ["source", "page_prefix", "label.*", "format", "recent_days", "baseline_days", "min_votes", "alpha", "min_comments"]

    func register(in router: inout Router) {
        router.get("/v1/insights", access.read(.read) { request, _, db in try insights(request, db) })
    }

    private func insights(_ request: Request, _ db: Connection) throws -> Response {
        let params = try QueryParameters(request, allowed: Self.names)
        let format = try OutputFormat.choose(request)
        let filter = try params.aggregateFilter(rules: rules)
        var options = InsightOptions()
        options.recentDays = try params.integer("recent_days", default: options.recentDays, range: 1...90)
        options.baselineDays = try params.integer("baseline_days", default: options.baselineDays, range: 1...365)
        options.minVotes = try params.integer("min_votes", default: options.minVotes, range: 1...1_000_000)
        options.alpha = try params.number("alpha", default: options.alpha, range: 0.0001...0.5)
        options.minComments = try params.integer("min_comments", default: options.minComments, range: 1...1_000_000)
        let report = try Insights.analyze(filter, options: options, now: params.now, connection: db)
        let columns = ["kind", "page", "recent_votes", "recent_helpful_ratio", "baseline_votes", "baseline_helpful_ratio", "drop",
                       "recent_negative_comments", "baseline_negative_comments", "expected_negative_comments", "p", "q"]
        let drops: [[Cell]] = report.drops.map { d in
            [.text("helpfulness_drop"), .text(d.page), .int(d.recentVotes), .number(d.recentRatio), .int(d.baselineVotes), .number(d.baselineRatio),
             .number(d.drop), .int(nil), .int(nil), .number(nil), .number(d.p), .number(d.q)]
        }
        let bursts: [[Cell]] = report.bursts.map { b in
            [.text("comment_burst"), .text(b.page), .int(nil), .number(nil), .int(nil), .number(nil), .number(nil),
             .int(b.recentNegativeComments), .int(b.baselineNegativeComments), .number(b.expected), .number(b.p), .number(b.q)]
        }
        return format.render(ResultTable(columns: columns, rows: drops + bursts), envelope: [
            ("recent_since", Cell.time(report.recentStart).json), ("baseline_since", Cell.time(report.baselineStart).json),
            ("until", Cell.time(report.end).json), ("pages_tested", String(report.pagesTested)), ("alpha", Cell.format(options.alpha)),
        ])
    }
}
