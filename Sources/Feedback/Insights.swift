import Analytics

/// Settings of the insight evaluation; defaults as documented in docs/insights.md.
/// Hashable so `InsightCache` keys on the options whole: an option added later cannot be left out.
/// The defaults are the detector's own, so they are written in one place.
public struct InsightOptions: Sendable, Hashable {
    private static let defaults = DetectorOptions()
    /// Candidate onsets for drops, reason shifts and bursts: each of the last `recentDays` days.
    public var recentDays = Self.defaults.scanDays
    /// Days before the candidate onsets that give the rates "before".
    public var baselineDays = Self.defaults.baselineDays
    /// Days the slow-decline trend covers.
    public var trendDays = Self.defaults.trendDays
    /// Votes after an onset before it is a candidate.
    public var minVotes = Self.defaults.minVotes
    /// False discovery rate for Benjamini–Hochberg over every test of one evaluation.
    public var alpha = Self.defaults.alpha
    /// Negative comments after an onset before it is a candidate for a burst.
    public var minComments = Self.defaults.minComments
    /// Negative votes with a reason after an onset before it is a candidate for a reason shift.
    public var minReasonVotes = Self.defaults.minReasonVotes

    public init() {}

    var detector: DetectorOptions {
        var d = DetectorOptions()
        d.scanDays = recentDays
        d.baselineDays = baselineDays
        d.trendDays = trendDays
        d.minVotes = minVotes
        d.alpha = alpha
        d.minComments = minComments
        d.minReasonVotes = minReasonVotes
        return d
    }
}

/// One evaluation as the API reports it: the findings and the days they cover.
public struct InsightReport: Sendable {
    /// The day evaluated (days since 1970-01-01); data up to its end count.
    public let asOfDay: Int
    public let recentStart: Int64
    public let baselineStart: Int64
    public let end: Int64
    public let pagesTested: Int
    public let tests: Int
    /// Significant changes, most significant first, pages as stored keys.
    public let detections: [Detection]
}

/// Changes on pages: abrupt helpfulness drops with their onset, slow declines, shifts in the reasons
/// for negative votes and bursts of negative comments. The statistics live in the Analytics module;
/// this reads each page's daily counts (rollups, or feedback rows under label and source filters) and
/// the reasons of pages that could show a shift.
public enum Insights {
    /// Evaluations kept until the data changes (see `InsightCache`).
    static let cache = InsightCache()
    /// Each page's tests kept between evaluations (see `InsightPages`).
    static let pages = InsightPages()

    public static func evaluate(_ filter: AggregateFilter, options: InsightOptions, now: Int64, connection: any SQLSession) throws -> InsightReport {
        let today = Int(AggregateFilter.floorDiv(now, Rollups.dayMilliseconds))
        return try cache.report(.init(filter, options, asOfDay: today), connection: connection) {
            try evaluate(filter, options: options, today: today, connection: connection)
        }
    }

    static func evaluate(_ filter: AggregateFilter, options: InsightOptions, today: Int, connection: any SQLSession) throws -> InsightReport {
        let detector = options.detector
        let firstDay = today - detector.daysNeeded + 1
        var windowed = filter
        windowed.since = Int64(firstDay) * Rollups.dayMilliseconds
        windowed.until = Int64(today + 1) * Rollups.dayMilliseconds
        /// The daily series and reasons of these pages (nil: every page), in page order; named `#id`
        /// when read from the page-major rollup.
        func load(_ pageIDs: [Int64]?) throws -> InsightSeries {
            var loaded = try InsightSeries.daily(windowed, firstDay: firstDay, days: detector.daysNeeded, pageIDs: pageIDs, connection: connection)
            try InsightSeries.addReasons(&loaded, windowed, firstDay: firstDay, recentStart: today - options.recentDays + 1,
                                         minReasonVotes: options.minReasonVotes, connection: connection)
            return loaded
        }
        let evaluation: Evaluation
        if InsightPages.applies(filter, connection) {
            evaluation = try pages.evaluate(options, asOfDay: today, connection: connection) { ids in
                try load(ids).series.map { (id: Int64($0.page.dropFirst()) ?? -1, tests: Detector.tests($0, asOfDay: today, options: detector)) }
            }
        } else {
            evaluation = Detector.evaluate(try load(nil).series, asOfDay: today, options: detector)
        }
        var names = InsightSeries()
        names.byId = windowed.usesPageDaily
        let detections = try evaluation.detections.map { d in try d.named(names.key(d.page, connection)) }
        let recentStart = Int64(today - options.recentDays + 1)
        return InsightReport(asOfDay: today, recentStart: recentStart * Rollups.dayMilliseconds,
                             baselineStart: Int64(firstDay) * Rollups.dayMilliseconds, end: Int64(today + 1) * Rollups.dayMilliseconds,
                             pagesTested: evaluation.pagesTested, tests: evaluation.tests, detections: detections)
    }
}
