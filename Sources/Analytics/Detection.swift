import Foundation

/// What changed on a page. Raw values are the API's `kind`.
public enum ChangeKind: String, Sendable, CaseIterable {
    case helpfulnessDrop = "helpfulness_drop"
    case slowDecline = "slow_decline"
    case reasonShift = "reason_shift"
    case commentBurst = "comment_burst"
}

/// One tested change on one page, with the numbers its summary quotes.
public struct Detection: Sendable, Equatable {
    public let kind: ChangeKind
    public private(set) var page: String
    /// The day the change began (days since 1970-01-01), when the method estimates one.
    public let onsetDay: Int?
    public var p: Double
    /// Benjamini–Hochberg over every test of the evaluation.
    public var q = 1.0
    /// Helpful votes and votes before and after the onset (drops, declines; bursts fill only votes).
    public var beforeUp = 0, beforeVotes = 0, afterUp = 0, afterVotes = 0
    /// Negative comments after the onset and how many the earlier rate per vote predicts (bursts).
    public var comments = 0
    public var expected = 0.0
    /// The reason whose share grew most, and its share of negative votes with a reason before and after.
    public var reason: String?
    public var reasonBefore = 0, reasonBeforeTotal = 0, reasonAfter = 0, reasonAfterTotal = 0
    /// Estimated change of the helpful ratio per week (slow declines).
    public var weeklyChange: Double?
    /// The likelihood-ratio statistic of the best onset: which of step and slope fits a page better.
    var fit = 0.0

    public init(kind: ChangeKind, page: String, onsetDay: Int?, p: Double) {
        self.kind = kind
        self.page = page
        self.onsetDay = onsetDay
        self.p = p
    }

    /// The same detection under another page name (series may be loaded under ids).
    public func named(_ page: String) -> Detection {
        var copy = self
        copy.page = page
        return copy
    }

    public var beforeRatio: Double? { beforeVotes > 0 ? Double(beforeUp) / Double(beforeVotes) : nil }
    public var afterRatio: Double? { afterVotes > 0 ? Double(afterUp) / Double(afterVotes) : nil }
    public var onset: String? { onsetDay.map(DayCalendar.date) }

    /// One sentence a person can act on.
    public var summary: String {
        func percent(_ x: Double?) -> String { x.map { "\(Int(($0 * 100).rounded()))%" } ?? "n/a" }
        let since = onset.map { " since \($0)" } ?? ""
        let qText = "q = " + Self.formatP(q)
        switch kind {
        case .helpfulnessDrop:
            return "helpfulness fell from \(percent(beforeRatio)) (\(beforeVotes) votes) to \(percent(afterRatio)) (\(afterVotes) votes)\(since); \(qText)"
        case .slowDecline:
            let weekly = Int((abs(weeklyChange ?? 0) * 100).rounded())
            return "helpfulness slid about \(weekly) points a week\(since), from \(percent(beforeRatio)) (\(beforeVotes) votes) to \(percent(afterRatio)) (\(afterVotes) votes in the last 14 days); \(qText)"
        case .reasonShift:
            let share = { (a: Int, b: Int) in b > 0 ? Double(a) / Double(b) : nil }
            return "\u{201C}\(reason ?? "")\u{201D} rose from \(percent(share(reasonBefore, reasonBeforeTotal))) to \(percent(share(reasonAfter, reasonAfterTotal))) of reasons given with negative votes (\(reasonAfter) of \(reasonAfterTotal))\(since); \(qText)"
        case .commentBurst:
            return "\(comments) negative comments\(since) where \(String(format: "%.1f", expected)) were expected from the page's earlier rate per vote; \(qText)"
        }
    }

    /// Two significant digits: 0.0003, 0.012, 1.2e-10.
    /// p and q as people read them; a value that underflowed to 0 (a change far beyond doubt) is
    /// shown as a bound, not as an impossible "q = 0".
    public static func formatP(_ p: Double) -> String { p > 0 ? String(format: "%.2g", p) : "< 1e-300" }
}

/// The outcome of one evaluation: every significant change, and how many tests the false-discovery
/// rate was controlled over.
public struct Evaluation: Sendable {
    public let asOfDay: Int
    public let pagesTested: Int
    public let tests: Int
    public let detections: [Detection]
}
