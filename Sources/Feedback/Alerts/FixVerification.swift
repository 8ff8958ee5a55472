import Foundation

/// The difference between two proportions (after minus before), for telling whether a fix helped.
/// Pure functions; kept apart from `Statistics` so detection can move that into its own module.
public enum FixVerification {
    public static let z95 = 1.959963984540054

    public struct Comparison: Sendable, Equatable {
        /// after − before, as a fraction.
        public let difference: Double
        /// 95% interval of the difference: Newcombe's hybrid score interval (method 10), which keeps
        /// its coverage for small counts and proportions near 0 or 1, where the Wald interval does not.
        public let lower: Double
        public let upper: Double
        /// Two-sided p-value of the pooled two-proportion z-test.
        public let p: Double
    }

    /// Nil when either side has no trials.
    public static func compare(beforeUp: Int, beforeTotal: Int, afterUp: Int, afterTotal: Int) -> Comparison? {
        guard beforeTotal > 0, afterTotal > 0, (0...beforeTotal).contains(beforeUp), (0...afterTotal).contains(afterUp) else { return nil }
        let p1 = Double(beforeUp) / Double(beforeTotal)
        let p2 = Double(afterUp) / Double(afterTotal)
        let w1 = wilson(successes: beforeUp, trials: beforeTotal)
        let w2 = wilson(successes: afterUp, trials: afterTotal)
        let difference = p2 - p1
        let lower = difference - ((p2 - w2.lower) * (p2 - w2.lower) + (w1.upper - p1) * (w1.upper - p1)).squareRoot()
        let upper = difference + ((w2.upper - p2) * (w2.upper - p2) + (p1 - w1.lower) * (p1 - w1.lower)).squareRoot()
        return Comparison(difference: difference, lower: lower, upper: upper,
                          p: twoProportionP(up1: beforeUp, n1: beforeTotal, up2: afterUp, n2: afterTotal))
    }

    /// Wilson score interval of one proportion at 95%.
    public static func wilson(successes: Int, trials: Int) -> (lower: Double, upper: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials), p = Double(successes) / n, z2 = z95 * z95
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z95 * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (max(0, centre - half), min(1, centre + half))
    }

    /// Two-sided p of the pooled z-test, from `erfc` so tiny values do not round to 0.
    public static func twoProportionP(up1: Int, n1: Int, up2: Int, n2: Int) -> Double {
        let pooled = Double(up1 + up2) / Double(n1 + n2)
        let variance = pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))
        guard variance > 0 else { return 1 }
        let z = abs(Double(up2) / Double(n2) - Double(up1) / Double(n1)) / variance.squareRoot()
        return erfc(z / 2.0.squareRoot())
    }

    public enum Verdict: String, Sendable, CaseIterable {
        case improved, worse
        case noChange = "no_change"
        case tooEarly = "too_early"
    }

    /// `too_early` under `minVotes` on either side; otherwise improved or worse when the interval
    /// leaves out zero, no_change when it does not.
    public static func verdict(_ comparison: Comparison?, beforeVotes: Int, afterVotes: Int, minVotes: Int) -> Verdict {
        guard let comparison, beforeVotes >= minVotes, afterVotes >= minVotes else { return .tooEarly }
        if comparison.lower > 0 { return .improved }
        if comparison.upper < 0 { return .worse }
        return .noChange
    }
}
