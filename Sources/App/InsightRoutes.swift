import Analytics
import Feedback
import HTTP

/// `GET /v1/insights`: helpfulness drops with their onset, slow declines, reason shifts and bursts of
/// negative comments (methods in docs/insights.md).
struct InsightRoutes {
    let access: TeamAccess
    let rules: FeedbackRules

    static let names: Set<String> = ["source", "page_prefix", "label.*", "format", "recent_days", "baseline_days", "trend_days", "min_votes",
                                     "alpha", "min_comments", "min_reason_votes", "as_of"]

    func register(in router: inout Router) {
        router.get("/v1/insights", access.read(.read) { request, _, db in try insights(request, db) })
    }

    private func insights(_ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: Self.names)
        let format = try OutputFormat.choose(request)
        let filter = try params.aggregateFilter(rules: rules)
        var options = InsightOptions()
        options.recentDays = try params.integer("recent_days", default: options.recentDays, range: 1...90)
        options.baselineDays = try params.integer("baseline_days", default: options.baselineDays, range: 1...365)
        options.trendDays = try params.integer("trend_days", default: options.trendDays, range: 28...365)
        options.minVotes = try params.integer("min_votes", default: options.minVotes, range: 1...1_000_000)
        options.alpha = try params.number("alpha", default: options.alpha, range: 0.0001...0.5)
        options.minComments = try params.integer("min_comments", default: options.minComments, range: 1...1_000_000)
        options.minReasonVotes = try params.integer("min_reason_votes", default: options.minReasonVotes, range: 1...1_000_000)
        let report = try db.insights(filter, options: options, now: try asOf(params))
        let columns = ["kind", "page", "onset", "summary", "recent_votes", "recent_helpful_ratio", "baseline_votes", "baseline_helpful_ratio", "drop",
                       "recent_negative_comments", "baseline_negative_comments", "expected_negative_comments", "reason", "p", "q"]
        let rows: [[Cell]] = report.detections.map { d in
            let helpfulness = d.kind == .helpfulnessDrop || d.kind == .slowDecline
            let drop = helpfulness ? d.beforeRatio.flatMap { before in d.afterRatio.map { before - $0 } } : nil
            return [.text(d.kind.rawValue), .text(d.page), .text(d.onset), .text(d.summary),
                    .int(helpfulness ? d.afterVotes : nil), .number(helpfulness ? d.afterRatio : nil),
                    .int(helpfulness ? d.beforeVotes : nil), .number(helpfulness ? d.beforeRatio : nil), .number(drop),
                    .int(d.kind == .commentBurst ? d.comments : nil), .int(nil), .number(d.kind == .commentBurst ? d.expected : nil),
                    .text(d.reason), .number(d.p), .number(d.q)]
        }
        return format.render(ResultTable(columns: columns, rows: rows), envelope: [
            ("as_of", "\"\(DayCalendar.date(report.asOfDay))\""),
            ("recent_since", Cell.time(report.recentStart).json), ("baseline_since", Cell.time(report.baselineStart).json),
            ("until", Cell.time(report.end).json), ("pages_tested", String(report.pagesTested)), ("tests", String(report.tests)),
            ("alpha", Cell.format(options.alpha)),
        ])
    }

    /// `as_of=YYYY-MM-DD` evaluates as of the end of that UTC day (backtesting); the default is now.
    private func asOf(_ params: QueryParameters) throws(APIError) -> Int64 {
        guard let text = params.string("as_of") else { return params.now }
        guard text.count == 10, let start = QueryParameters.parseTime(text, now: params.now) else {
            throw APIError.parameter("as_of", "must be a date YYYY-MM-DD")
        }
        guard start <= params.now else { throw APIError.parameter("as_of", "must not be in the future") }
        return start + 86_400_000 - 1
    }
}
