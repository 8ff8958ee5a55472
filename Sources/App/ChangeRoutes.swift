import Feedback
import Foundation
import HTTP

/// `GET /v1/changes`: for each annotation (and each page's resolutions of a day), helpfulness before
/// and after, the difference with its 95% interval and p-value, and a verdict.
struct ChangeRoutes {
    let access: TeamAccess
    let rules: FeedbackRules
    let options: Changes.Options

    static let columns = ["change", "origin", "annotation_id", "feedback_ids", "at", "page", "page_prefix", "note", "url", "window_days",
                          "before_votes", "before_up", "before_helpful_ratio", "after_votes", "after_up", "after_helpful_ratio",
                          "difference", "ci_lower", "ci_upper", "p", "verdict", "complete", "completes_at"]

    func register(in router: inout Router) {
        router.get("/v1/changes", access.read(.read) { request, _, db in
            let params = try QueryParameters(request, allowed: ["page", "page_prefix", "since", "until", "window_days", "min_votes", "verdict", "format"])
            let format = try OutputFormat.choose(request)
            let (page, prefix) = try params.pageFilters(rules: rules)
            var options = self.options
            options.window = Int64(try params.integer("window_days", default: Int(options.window / 86_400_000), range: 1...365)) * 86_400_000
            options.minVotes = try params.integer("min_votes", default: options.minVotes, range: 1...1_000_000)
            let verdict = try params.choice("verdict", FixVerification.Verdict.self)
            var changes = try db.changes(since: try params.time("since"), until: try params.time("until"), now: params.now, options: options,
                                         page: page, pagePrefix: prefix)
            if let verdict { changes = changes.filter { $0.verdict == verdict } }
            return format.render(ResultTable(columns: Self.columns, rows: changes.map(Self.row)))
        })
    }

    static func row(_ c: Change) -> [Cell] {
        let s = c.subject
        return [.text(s.key), .text(s.origin.rawValue), .int(s.annotationID.map(Int.init)), .list(s.feedbackIDs.map(String.init)), .time(s.at),
                .text(s.page), .text(s.pagePrefix), .text(s.note), .text(s.url), .number(Double(c.window) / 86_400_000),
                .int(c.before.total), .int(c.before.up), .number(c.before.ratio), .int(c.after.total), .int(c.after.up), .number(c.after.ratio),
                .number(c.comparison?.difference), .number(c.comparison?.lower), .number(c.comparison?.upper), .number(c.comparison?.p),
                .text(c.verdict.rawValue), .bool(c.complete), .time(c.completesAt)]
    }
}
