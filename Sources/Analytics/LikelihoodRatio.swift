import Foundation

/// The likelihood-ratio test for one covariate in a logistic model of daily helpful votes with one
/// rate per weekday (so a weekend audience or a quiet week is not a change): logit p_d = a_w(d) + δ·x_d,
/// with x_d = 1 from an onset on (a step) or the days since it (a hinge). Its signed root
/// r = sign(δ̂)·√(G / dispersion) is close to normal even when an onset leaves only a few skewed votes
/// after it, where the score z's tail is far too thin (a chance dip on a 90%-helpful page looked like
/// p = 1e-6). The weekday rates are profiled out by Newton's method on the arrow-shaped information
/// matrix (seven weekday terms plus δ).
struct LikelihoodRatio {
    let r: Double
    let delta: Double

    static func run(_ window: DayWindow, x: (Int) -> Double, dispersion: Double) -> LikelihoodRatio? {
        let n = window.count
        let xs = (0..<n).map(x)
        let weekdays = (0..<n).map(window.weekday)
        var up = [Double](repeating: 0, count: 7), votes = up
        for i in 0..<n { up[weekdays[i]] += Double(window.up[i]); votes[weekdays[i]] += Double(window.votes[i]) }
        var a = (0..<7).map { w in votes[w] > 0 ? logit((up[w] + 0.5) / (votes[w] + 1)) : 0 }
        func logLikelihood(_ a: [Double], _ delta: Double) -> Double {
            var sum = 0.0
            for i in 0..<n where window.votes[i] > 0 {
                let eta = a[weekdays[i]] + delta * xs[i], u = Double(window.up[i]), d = Double(window.votes[i] - window.up[i])
                sum -= u * softplus(-eta) + d * softplus(eta)
            }
            return sum
        }
        // Under "no change" each weekday's rate is its pooled share (the smoothed start above is close
        // but not the maximum, so the null log-likelihood uses the exact shares).
        var null = 0.0
        for w in 0..<7 where votes[w] > 0 {
            let p = up[w] / votes[w]
            if p > 0 { null += up[w] * log(p) }
            if p < 1 { null += (votes[w] - up[w]) * log1p(-p) }
        }
        var delta = 0.0
        for _ in 0..<25 {
            var g = [Double](repeating: 0, count: 7), aw = g, bw = g
            var gd = 0.0, c = 0.0
            for i in 0..<n where window.votes[i] > 0 {
                let w = weekdays[i], nd = Double(window.votes[i])
                let pi = sigmoid(a[w] + delta * xs[i]), v = nd * pi * (1 - pi), resid = Double(window.up[i]) - nd * pi
                g[w] += resid; aw[w] += v; bw[w] += xs[i] * v
                gd += xs[i] * resid; c += xs[i] * xs[i] * v
            }
            var schur = c, rhs = gd
            for w in 0..<7 where aw[w] > 1e-12 { schur -= bw[w] * bw[w] / aw[w]; rhs -= bw[w] * g[w] / aw[w] }
            guard schur > 1e-12 else { return nil }
            let step = max(-2, min(2, rhs / schur))
            delta += step
            for w in 0..<7 where aw[w] > 1e-12 { a[w] = max(-15, min(15, a[w] + max(-2, min(2, (g[w] - bw[w] * step) / aw[w])))) }
            if abs(step) < 1e-9 { break }
        }
        let g = max(0, 2 * (logLikelihood(a, delta) - null))
        return LikelihoodRatio(r: (delta < 0 ? -1 : 1) * (g / dispersion).squareRoot(), delta: delta)
    }

    static func logit(_ p: Double) -> Double { log(p / (1 - p)) }
    static func sigmoid(_ eta: Double) -> Double { 1 / (1 + exp(-eta)) }
    /// log(1 + e^x) without overflow.
    static func softplus(_ x: Double) -> Double { x > 30 ? x : log1p(exp(x)) }
}
