import Analytics

/// What an insight evaluation found on one page: the contract between detection (which produces
/// findings) and alerting, the API and the dashboard (which consume them).
public enum FindingKind: String, Sendable, CaseIterable, Codable {
    case helpfulnessDrop = "helpfulness_drop"
    case slowDecline = "slow_decline"
    case reasonShift = "reason_shift"
    case commentBurst = "comment_burst"
}

public struct Finding: Sendable, Equatable {
    public let kind: FindingKind
    public let page: String
    /// The day the change began, `YYYY-MM-DD` (UTC), when the method can tell.
    public let onset: String?
    /// One sentence a person can act on, e.g. "helpfulness fell from 78% (412 votes) to 41% (96 votes) since 2026-11-26; q = 0.0003".
    public let summary: String
    public let p: Double
    /// Benjamini–Hochberg q-value over every finding of the same evaluation.
    public let q: Double

    public init(kind: FindingKind, page: String, onset: String?, summary: String, p: Double, q: Double) {
        self.kind = kind
        self.page = page
        self.onset = onset
        self.summary = summary
        self.p = p
        self.q = q
    }
}

extension FindingKind {
    init(_ kind: ChangeKind) {
        switch kind {
        case .helpfulnessDrop: self = .helpfulnessDrop
        case .slowDecline: self = .slowDecline
        case .reasonShift: self = .reasonShift
        case .commentBurst: self = .commentBurst
        }
    }
}

extension Insights {
    /// Every finding of one evaluation as of `now`, most significant first. Detection may replace how
    /// these are found; callers depend only on this signature and on `Finding`.
    public static func findings(_ filter: AggregateFilter, options: InsightOptions, now: Int64, connection: any SQLSession) throws -> [Finding] {
        try evaluate(filter, options: options, now: now, connection: connection).detections.map { d in
            Finding(kind: FindingKind(d.kind), page: d.page, onset: d.onset, summary: d.summary, p: d.p, q: d.q)
        }
    }
}
