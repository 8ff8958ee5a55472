import Foundation

/// The statistics behind page rankings and insights, small enough to check by hand.
public enum Statistics {
    /// z for a two-sided 95% interval.
    public static let z95 = 1.959963984540054

    /// Wilson score interval for `successes` out of `trials` (0...1 when there are no trials).
    public static func wilson(successes: Int, trials: Int, z: Double = z95) -> (lower: Double, upper: Double) {
        guard trials > 0 else { return (0, 1) }
        let n = Double(trials), p = Double(successes) / n, z2 = z * z
        let center = (p + z2 / (2 * n)) / (1 + z2 / n)
        let margin = (z / (1 + z2 / n)) * ((p * (1 - p) / n + z2 / (4 * n * n)).squareRoot())
        return (max(0, center - margin), min(1, center + margin))
    }

    /// Standard normal cumulative distribution.
    public static func normalCDF(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

    /// One-sided two-proportion z-test that the recent rate is lower than the baseline rate.
    /// Returns (z, p); p is 1 when either sample is empty or the pooled rate is 0 or 1.
    public static func dropTest(baselineUp: Int, baselineTotal: Int, recentUp: Int, recentTotal: Int) -> (z: Double, p: Double) {
        guard baselineTotal > 0, recentTotal > 0 else { return (0, 1) }
        let n1 = Double(baselineTotal), n2 = Double(recentTotal)
        let p1 = Double(baselineUp) / n1, p2 = Double(recentUp) / n2
        let pooled = Double(baselineUp + recentUp) / (n1 + n2)
        let variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
        guard variance > 0 else { return (0, 1) }
        let z = (p1 - p2) / variance.squareRoot()
        return (z, 1 - normalCDF(z))
    }

    /// Benjamini–Hochberg adjusted q-values, in the order of `pValues`.
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m - 1, through: 0, by: -1) {
            let index = order[rank]
            running = min(running, pValues[index] * Double(m) / Double(rank + 1))
            adjusted[index] = min(1, running)
        }
        return adjusted
    }

    /// P(X >= k) for X ~ Poisson(lambda).
    public static func poissonUpperTail(_ k: Int, lambda: Double) -> Double {
        guard k > 0 else { return 1 }
        guard lambda > 0 else { return 0 }
        var term = exp(-lambda), cumulative = 0.0
        for i in 0..<k {
            cumulative += term
            term *= lambda / Double(i + 1)
        }
        return max(0, 1 - cumulative)
    }
}
