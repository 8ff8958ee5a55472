import Foundation

/// A shift in why readers vote a page down: one reason's share of the negative votes that gave a
/// reason grew after a candidate onset. Per reason, given how often it was given in the whole window,
/// its count after the onset is binomial with the after-share of all reasons if nothing changed
/// (conditional on the margins, as Fisher's exact test; the binomial is slightly conservative). An exact
/// tail rather than chi-square: sparse cells (6 of 10 where 0.3 were expected) gave chi-square
/// p-values near 1e-6 on unchanged pages in the simulator. Bonferroni over reasons and onsets.
enum ReasonShift {
    static func test(_ page: PageSeries, _ asOfDay: Int, _ options: DetectorOptions) -> Detection? {
        guard page.reasons.count >= 2 else { return nil }
        let length = options.baselineDays + options.scanDays
        let categories = page.reasonWindow(endingAt: asOfDay, length: length).filter { $0.counts.contains { $0 > 0 } }
        guard categories.count >= 2 else { return nil }
        var total = [Int](repeating: 0, count: length)
        for c in categories { for i in 0..<length { total[i] += c.counts[i] } }
        let grand = total.reduce(0, +)

        var bestP = 1.0, best: Detection?, candidates = 0
        for onset in options.baselineDays..<length {
            let after = total[onset...].reduce(0, +), before = grand - after
            guard after >= options.minReasonVotes, before >= 2 * options.minReasonVotes else { continue }
            for c in categories {
                candidates += 1
                let a = c.counts[onset...].reduce(0, +), b = c.counts[..<onset].reduce(0, +)
                // Only a larger share after is a shift worth reporting.
                guard Double(a) * Double(before) > Double(b) * Double(after) else { continue }
                let p = Statistics.binomialUpperTail(a, n: a + b, p: Double(after) / Double(grand))
                if p < bestP || best == nil {
                    bestP = p
                    var d = Detection(kind: .reasonShift, page: page.page, onsetDay: asOfDay - length + 1 + onset, p: p)
                    d.reason = c.reason
                    d.reasonBefore = b
                    d.reasonBeforeTotal = before
                    d.reasonAfter = a
                    d.reasonAfterTotal = after
                    best = d
                }
            }
        }
        guard candidates > 0 else { return nil }
        guard var d = best else { return Detection(kind: .reasonShift, page: page.page, onsetDay: nil, p: 1) }
        d.p = min(1, bestP * Double(candidates))
        return d
    }
}
