import Foundation

/// A shift in why readers vote a page down: the mix of reasons given with negative votes after a
/// candidate onset against before it, Pearson's chi-square on the 2 × k table, Bonferroni over onsets.
/// Small counts: per onset, the rarest reasons are pooled until every category expects at least 5 votes
/// after the onset (Cochran's rule); with fewer than two categories left the onset is not tested. (Without
/// pooling, sparse cells such as 6 of 10 where 0.3 were expected gave p near 1e-6 on unchanged pages.)
enum ReasonShift {
    static let minimumExpected = 5.0

    static func test(_ page: PageSeries, _ asOfDay: Int, _ options: DetectorOptions) -> Detection? {
        guard page.reasons.count >= 2 else { return nil }
        let length = options.baselineDays + options.scanDays
        let categories = page.reasonWindow(endingAt: asOfDay, length: length).filter { $0.counts.contains { $0 > 0 } }
        guard categories.count >= 2 else { return nil }
        var total = [Int](repeating: 0, count: length)
        for c in categories { for i in 0..<length { total[i] += c.counts[i] } }
        let grand = total.reduce(0, +)
        // Rarest first, so pooling takes the smallest categories.
        let byTotal = categories.map { (reason: $0.reason, counts: $0.counts, sum: $0.counts.reduce(0, +)) }.sorted { $0.sum < $1.sum }

        var bestP = 1.0, best: Detection?, candidates = 0
        for onset in options.baselineDays..<length {
            let after = total[onset...].reduce(0, +), before = grand - after
            guard after >= options.minReasonVotes, before >= 2 * options.minReasonVotes else { continue }
            let share = Double(after) / Double(grand)
            var cells: [(reason: String, a: Int, b: Int)] = []
            var pool = (a: 0, b: 0, pooled: 0)
            for c in byTotal {
                let a = c.counts[onset...].reduce(0, +), b = c.sum - a
                if Double(c.sum) * share < minimumExpected || Double(pool.a + pool.b) * share < minimumExpected && pool.pooled > 0 {
                    pool = (pool.a + a, pool.b + b, pool.pooled + 1)
                } else {
                    cells.append((c.reason, a, b))
                }
            }
            if pool.pooled > 0 {
                if Double(pool.a + pool.b) * share >= minimumExpected || cells.isEmpty {
                    cells.append(("other reasons", pool.a, pool.b))
                } else if let smallest = cells.indices.first {
                    // Still too small: merge the pool into the smallest named category.
                    cells[smallest] = ("other reasons", cells[smallest].a + pool.a, cells[smallest].b + pool.b)
                }
            }
            guard cells.count >= 2, cells.allSatisfy({ Double($0.a + $0.b) * share >= minimumExpected }) else { continue }
            candidates += 1
            var x2 = 0.0
            for cell in cells {
                let n = Double(cell.a + cell.b), ea = n * share, eb = n * (1 - share)
                x2 += (Double(cell.a) - ea) * (Double(cell.a) - ea) / ea + (Double(cell.b) - eb) * (Double(cell.b) - eb) / eb
            }
            // Only a reason whose share grew is reported (the mix can also shift by one shrinking).
            guard let rising = cells.max(by: { Double($0.a) / Double(after) - Double($0.b) / Double(before) < Double($1.a) / Double(after) - Double($1.b) / Double(before) }),
                  Double(rising.a) * Double(before) > Double(rising.b) * Double(after) else { continue }
            let p = Statistics.chiSquareUpperTail(x2, df: cells.count - 1)
            if p < bestP || best == nil {
                bestP = p
                var d = Detection(kind: .reasonShift, page: page.page, onsetDay: asOfDay - length + 1 + onset, p: p)
                d.reason = rising.reason
                d.reasonBefore = rising.b
                d.reasonBeforeTotal = before
                d.reasonAfter = rising.a
                d.reasonAfterTotal = after
                best = d
            }
        }
        guard candidates > 0 else { return nil }
        guard var d = best else { return Detection(kind: .reasonShift, page: page.page, onsetDay: nil, p: 1) }
        d.p = min(1, bestP * Double(candidates))
        return d
    }
}
