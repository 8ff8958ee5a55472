import Foundation

/// Settings of the change detector; defaults as documented in docs/insights.md.
public struct DetectorOptions: Sendable {
    /// False discovery rate (Benjamini–Hochberg over every test of one evaluation).
    public var alpha = 0.05
    /// Candidate onsets for drops, reason shifts and bursts: each of the last `scanDays` days.
    public var scanDays = 14
    /// Days before the scanned ones that give the rates "before" (and the overdispersion).
    public var baselineDays = 42
    /// Days the slow-decline trend looks at.
    public var trendDays = 84
    /// Days between the trend's candidate onsets.
    public var trendStep = 14
    /// Votes after an onset before it is a candidate.
    public var minVotes = 10
    /// Negative comments after an onset before it is a candidate.
    public var minComments = 3
    /// Negative votes with a reason after an onset before it is a candidate.
    public var minReasonVotes = 10

    public init() {}

    /// Days of data one evaluation reads, ending with the day evaluated.
    public var daysNeeded: Int { max(trendDays, baselineDays + scanDays) }
}

/// Finds helpfulness drops (with their onset), slow declines, reason shifts and comment bursts in pages'
/// daily series. Each test scans candidate onsets and takes the smallest p-value times the number of
/// candidates (Bonferroni, so the scan itself cannot manufacture significance); then one
/// Benjamini–Hochberg pass runs over all tests of the evaluation.
public enum Detector {
    public static func evaluate(_ pages: [PageSeries], asOfDay: Int, options: DetectorOptions = DetectorOptions()) -> Evaluation {
        combine(pages.map { tests($0, asOfDay: asOfDay, options: options) }, asOfDay: asOfDay, options: options)
    }

    /// One page's tests, before the false-discovery rate over all pages: they depend on that page's
    /// series alone, so an evaluation may keep them for pages whose data did not change.
    public static func tests(_ page: PageSeries, asOfDay: Int, options: DetectorOptions = DetectorOptions()) -> [Detection] {
        [drop(page, asOfDay, options), decline(page, asOfDay, options), ReasonShift.test(page, asOfDay, options), burst(page, asOfDay, options)]
            .compactMap { $0 }
    }

    /// The evaluation from every page's tests, in page order (`evaluate`'s order: ties between a page's
    /// findings are broken by it).
    public static func combine(_ pages: [[Detection]], asOfDay: Int, options: DetectorOptions = DetectorOptions()) -> Evaluation {
        var tests = pages.flatMap { $0 }
        let tested = pages.count(where: { !$0.isEmpty })
        let q = Statistics.benjaminiHochberg(tests.map(\.p))
        for i in tests.indices { tests[i].q = q[i] }
        var significant = tests.filter { $0.q <= options.alpha }
        // A page reports one helpfulness finding. A slope that starts within the scanned days is a drop
        // by another name (with few days after it, step and slope fit about equally), so the step wins
        // there; otherwise the better fit wins (same null and parameter count: the larger likelihood ratio).
        let helpfulness: Set<ChangeKind> = [.helpfulnessDrop, .slowDecline]
        let recentStart = asOfDay - options.scanDays + 1
        func rank(_ d: Detection) -> Double {
            d.kind == .slowDecline && (d.onsetDay ?? 0) >= recentStart ? -1 : d.fit
        }
        var best: [String: Double] = [:]
        for d in significant where helpfulness.contains(d.kind) { best[d.page] = max(best[d.page] ?? -2, rank(d)) }
        significant.removeAll { helpfulness.contains($0.kind) && rank($0) < (best[$0.page] ?? -2) }
        var seen = Set<String>()
        significant = significant.filter { !helpfulness.contains($0.kind) || seen.insert($0.page).inserted }
        significant.sort { ($0.q, $0.page, $0.kind.rawValue) < ($1.q, $1.page, $1.kind.rawValue) }
        return Evaluation(asOfDay: asOfDay, pagesTested: tested, tests: tests.count, detections: significant)
    }

    /// Whether an onset deserves the likelihood ratio (Newton iterations). Nothing with a one-sided p
    /// above 0.00625 (z above -2.5) can survive the scan's Bonferroni factor (8 at the least) at alpha = 0.05; the score
    /// z, one pass over the days, is close to the signed root where counts are large and more extreme
    /// where they are small, so a score above -2 leaves a margin and hides no significant drop.
    /// The slow decline's latest onset has a factor of only 7/3 (p ≤ 0.021, z ≤ -2.03 at the most
    /// lenient), so it is screened at `below: -1.5` for the same margin.
    static func screen(_ window: DayWindow, rates: ScoreTest.WeekdayRates, x: (Int) -> Double, dispersion: Double, below: Double = -2) -> Bool {
        guard let score = ScoreTest.run(window, rates: rates, x: x, dispersion: dispersion) else { return false }
        return score.z < below
    }

    /// An abrupt drop: a step in the helpful ratio at one of the last `scanDays` days.
    static func drop(_ page: PageSeries, _ asOfDay: Int, _ options: DetectorOptions) -> Detection? {
        let window = page.window(endingAt: asOfDay, length: options.baselineDays + options.scanDays)
        let base = 0..<options.baselineDays
        guard window.sum(window.votes, base) >= 2 * options.minVotes else { return nil }
        let dispersion = ScoreTest.dispersion(window, base)
        let rates = ScoreTest.WeekdayRates(window, 0..<window.count)
        // Weighted Bonferroni over onsets, fixed before looking at the votes: the last four days weigh
        // 2.5 times the others. A drop is to be seen two or three days in, when its onset is among them;
        // older onsets have had more days to gather evidence and can afford the smaller weight.
        let tested = (options.baselineDays..<window.count).filter { window.sum(window.votes, $0..<window.count) >= options.minVotes }
        guard !tested.isEmpty else { return nil }
        func weight(_ onset: Int) -> Double { onset >= window.count - 4 ? 2.5 : 1 }
        let totalWeight = tested.reduce(0) { $0 + weight($1) }
        var bestP = 1.0, bestOnset = -1, fit = 0.0
        for onset in tested {
            guard screen(window, rates: rates, x: { $0 >= onset ? 1 : 0 }, dispersion: dispersion),
                  let test = LikelihoodRatio.run(window, x: { $0 >= onset ? 1 : 0 }, dispersion: dispersion), test.r < 0 else { continue }
            let p = Statistics.normalUpperTail(-test.r) * totalWeight / weight(onset)
            if p < bestP || bestOnset < 0 { bestP = p; bestOnset = onset; fit = test.r * test.r }
        }
        guard bestOnset >= 0 else { return Detection(kind: .helpfulnessDrop, page: page.page, onsetDay: nil, p: 1) }
        var d = Detection(kind: .helpfulnessDrop, page: page.page, onsetDay: window.firstDay + bestOnset, p: min(1, bestP))
        d.beforeUp = window.sum(window.up, 0..<bestOnset)
        d.beforeVotes = window.sum(window.votes, 0..<bestOnset)
        d.afterUp = window.sum(window.up, bestOnset..<window.count)
        d.afterVotes = window.sum(window.votes, bestOnset..<window.count)
        d.fit = fit
        return d
    }

    /// A slow decline: the helpful ratio falling linearly from an onset on (a hinge), onsets `trendStep` days apart
    /// over the trend window, each at least three weeks back (a change of the last two weeks is a drop's
    /// to report; a slope fitted to a few days after a step would call it "slow").
    static func decline(_ page: PageSeries, _ asOfDay: Int, _ options: DetectorOptions) -> Detection? {
        let window = page.window(endingAt: asOfDay, length: options.trendDays)
        let recent = 14
        guard window.count > 3 * recent, window.sum(window.votes, 0..<window.count) >= 4 * options.minVotes,
              window.sum(window.votes, (window.count - recent)..<window.count) >= options.minVotes else { return nil }
        let dispersion = ScoreTest.dispersion(window, 0..<(window.count - 3 * 7))
        let rates = ScoreTest.WeekdayRates(window, 0..<window.count)
        // Weighted Bonferroni over onsets, fixed before looking at the votes: the latest onset, three
        // weeks back, weighs 3 times each older one. A decline is to be seen three weeks in, when its
        // onset is that one; older onsets have had more days to gather evidence and can afford the
        // smaller weight. (Measured in the simulator: 32.5% → 40% of slow declines within three weeks.)
        let onsets = Array(stride(from: window.count - 3 * 7, through: 0, by: -options.trendStep))
        func weight(_ onset: Int) -> Double { onset == onsets.first ? 3 : 1 }
        let totalWeight = onsets.reduce(0) { $0 + weight($1) }
        var bestP = 1.0, bestOnset = -1, fit = 0.0
        for onset in onsets {
            guard screen(window, rates: rates, x: { Double(max(0, $0 - onset)) }, dispersion: dispersion, below: weight(onset) > 1 ? -1.5 : -2),
                  let test = LikelihoodRatio.run(window, x: { Double(max(0, $0 - onset)) }, dispersion: dispersion), test.r < 0 else { continue }
            let p = Statistics.normalUpperTail(-test.r) * totalWeight / weight(onset)
            if p < bestP || bestOnset < 0 { bestP = p; bestOnset = onset; fit = test.r * test.r }
        }
        guard bestOnset >= 0 else { return Detection(kind: .slowDecline, page: page.page, onsetDay: nil, p: 1) }
        var d = Detection(kind: .slowDecline, page: page.page, onsetDay: window.firstDay + bestOnset, p: min(1, bestP))
        let span = bestOnset > 0 ? max(0, bestOnset - 28)..<bestOnset : 0..<recent
        d.beforeUp = window.sum(window.up, span)
        d.beforeVotes = window.sum(window.votes, span)
        d.afterUp = window.sum(window.up, (window.count - recent)..<window.count)
        d.afterVotes = window.sum(window.votes, (window.count - recent)..<window.count)
        // Points a week, read off the two ends rather than the logit slope.
        if let before = d.beforeRatio, let after = d.afterRatio {
            let days = Double(window.count - recent / 2) - Double(span.lowerBound + span.upperBound) / 2
            d.weeklyChange = (after - before) / max(1, days / 7)
        }
        d.fit = fit
        return d
    }

    /// A burst of negative comments: more after an onset than the page's rate per vote before predicts
    /// (per vote, so a traffic spike or a quiet week is not a burst). Given all comments of the window,
    /// those after the onset are binomial with the after-share of votes if the rate did not change: an
    /// exact test that also accounts for the uncertainty of the earlier rate (a Poisson test against a
    /// rate estimated from a few dozen comments raised false alarms in the simulator).
    static func burst(_ page: PageSeries, _ asOfDay: Int, _ options: DetectorOptions) -> Detection? {
        let window = page.window(endingAt: asOfDay, length: options.baselineDays + options.scanDays)
        let base = 0..<options.baselineDays
        let baseVotes = window.sum(window.votes, base)
        guard baseVotes >= 2 * options.minVotes else { return nil }
        // Half a comment more than seen, so a page whose baseline had none still needs several.
        let rate = (Double(window.sum(window.downComments, base)) + 0.5) / Double(baseVotes)
        var bestP = 1.0, best: Detection?, candidates = 0
        for onset in options.baselineDays..<window.count {
            let comments = window.sum(window.downComments, onset..<window.count)
            guard comments >= options.minComments else { continue }
            candidates += 1
            let votes = window.sum(window.votes, onset..<window.count)
            let expected = rate * Double(votes)
            let baseComments = window.sum(window.downComments, base)
            let p = Statistics.binomialUpperTail(comments, n: comments + baseComments, p: Double(votes) / Double(votes + baseVotes))
            if p < bestP || best == nil {
                bestP = p
                var d = Detection(kind: .commentBurst, page: page.page, onsetDay: window.firstDay + onset, p: p)
                d.comments = comments
                d.expected = expected
                d.afterVotes = votes
                best = d
            }
        }
        guard var d = best else { return nil }
        d.p = min(1, bestP * Double(candidates))
        return d
    }
}
