import Foundation

/// The statistics behind page rankings and insights, small enough to check by hand.
/// Tails are computed directly (erfc, regularized incomplete gamma), never as `1 - cdf`, so small
/// p-values stay accurate instead of rounding to 0 or 1.
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

    /// P(Z >= z) for a standard normal Z, accurate in the far tail (erfc reaches z = 37 without underflow).
    public static func normalUpperTail(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// log P(Z >= z); past z = 37 (where erfc nears the smallest double) from the asymptotic series.
    public static func logNormalUpperTail(_ z: Double) -> Double {
        if z < 37 { return log(normalUpperTail(z)) }
        // Mills ratio: Q(z) = φ(z)/z · (1 - 1/z² + 3/z⁴ - 15/z⁶ …).
        let z2 = z * z
        let series = 1 - 1 / z2 + 3 / (z2 * z2) - 15 / (z2 * z2 * z2)
        return -z2 / 2 - log(z) - 0.5 * log(2 * Double.pi) + log(series)
    }

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
        return (z, normalUpperTail(z))
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

    /// P(X >= k) for X ~ Poisson(lambda): the regularized lower incomplete gamma P(k, lambda).
    public static func poissonUpperTail(_ k: Int, lambda: Double) -> Double {
        guard k > 0 else { return 1 }
        guard lambda > 0 else { return 0 }
        return exp(logPoissonUpperTail(k, lambda: lambda))
    }

    /// log P(X >= k) for X ~ Poisson(lambda), finite even where the tail itself underflows.
    public static func logPoissonUpperTail(_ k: Int, lambda: Double) -> Double {
        guard k > 0 else { return 0 }
        guard lambda > 0 else { return -Double.infinity }
        return IncompleteGamma.logLower(a: Double(k), x: lambda)
    }

    /// P(X <= k) for X ~ Poisson(lambda): the regularized upper incomplete gamma Q(k + 1, lambda).
    public static func poissonLowerTail(_ k: Int, lambda: Double) -> Double {
        guard k >= 0 else { return 0 }
        guard lambda > 0 else { return 1 }
        return exp(IncompleteGamma.logUpper(a: Double(k + 1), x: lambda))
    }

    /// P(X >= x) for X ~ chi-square with `df` degrees of freedom.
    public static func chiSquareUpperTail(_ x: Double, df: Int) -> Double {
        guard df > 0 else { return 1 }
        guard x > 0 else { return 1 }
        return exp(IncompleteGamma.logUpper(a: Double(df) / 2, x: x / 2))
    }
}

/// Regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x), in log space: the series
/// where x < a + 1 and Lentz's continued fraction elsewhere (Numerical Recipes §6.2), each returning the
/// side it converges for directly; the other side is taken as log1p(-e^side) only when that side is not tiny.
enum IncompleteGamma {
    /// log of x^a e^-x / Γ(a), the factor both expansions share.
    static func logPrefactor(a: Double, x: Double) -> Double { a * log(x) - x - lgamma(a) }

    /// log P(a, x) by the series Σ x^n / (a (a+1) … (a+n)); converges fast for x < a + 1.
    static func logSeries(a: Double, x: Double) -> Double {
        var term = 1 / a, sum = term, n = a
        for _ in 0..<1_000_000 {
            n += 1
            term *= x / n
            sum += term
            if term < sum * 1e-16 { break }
        }
        return logPrefactor(a: a, x: x) + log(sum)
    }

    /// log Q(a, x) by the continued fraction; converges fast for x > a + 1.
    static func logContinuedFraction(a: Double, x: Double) -> Double {
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<1_000_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return logPrefactor(a: a, x: x) + log(h)
    }

    static func logLower(a: Double, x: Double) -> Double {
        guard x > 0 else { return -Double.infinity }
        if x < a + 1 { return logSeries(a: a, x: x) }
        return log1mexp(logContinuedFraction(a: a, x: x))
    }

    static func logUpper(a: Double, x: Double) -> Double {
        guard x > 0 else { return 0 }
        if x < a + 1 { return log1mexp(logSeries(a: a, x: x)) }
        return logContinuedFraction(a: a, x: x)
    }

    /// log(1 - e^l) for l <= 0 without cancellation (Mächler 2012).
    static func log1mexp(_ l: Double) -> Double {
        if l >= 0 { return -Double.infinity }
        return l > -0.6931471805599453 ? log(-expm1(l)) : log1p(-exp(l))
    }
}

extension Statistics {
    /// P(X >= k) for X ~ Binomial(n, p), summed in log space from whichever side converges: terms
    /// from k up when k lies above the mean (the tail itself, however small), else 1 − P(X <= k − 1)
    /// with terms from k − 1 down (then the answer is not small, so the subtraction loses nothing).
    public static func binomialUpperTail(_ k: Int, n: Int, p: Double) -> Double {
        guard k > 0 else { return 1 }
        guard k <= n, p > 0 else { return 0 }
        guard p < 1 else { return 1 }
        func logPMF(_ j: Int) -> Double {
            lgamma(Double(n + 1)) - lgamma(Double(j + 1)) - lgamma(Double(n - j + 1)) + Double(j) * log(p) + Double(n - j) * log1p(-p)
        }
        let odds = p / (1 - p)
        if Double(k) >= Double(n) * p {
            var term = 1.0, sum = 1.0
            for j in k..<n {
                term *= Double(n - j) / Double(j + 1) * odds
                sum += term
                if term < sum * 1e-17 { break }
            }
            return min(1, exp(logPMF(k) + log(sum)))
        }
        var term = 1.0, sum = 1.0
        for j in stride(from: k - 1, to: 0, by: -1) {
            term *= Double(j) / Double(n - j + 1) / odds
            sum += term
            if term < sum * 1e-17 { break }
        }
        return max(0, 1 - exp(logPMF(k - 1) + log(sum)))
    }
}
