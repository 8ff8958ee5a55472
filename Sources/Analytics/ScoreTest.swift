import Foundation

/// The score test for one covariate in a binomial model of daily helpful votes with one rate per
/// weekday: under "no change" every Monday shares a rate, every Sunday another, and so on, so a
/// weekend with its own audience, or a quiet week, cannot look like a change. The covariate is 1 from
/// an onset on (a step: an abrupt drop) or the days since an onset (a hinge: a slow decline).
///
/// Score U = Σ x_d (up_d − n_d p̂_w(d)); its variance under no change, with the weekday rates estimated,
/// is Σ_w p̂_w(1 − p̂_w) [Σ x² n − (Σ x n)² / N_w], inflated by the overdispersion `dispersion`
/// (day-to-day swings beyond binomial noise, measured on days before any candidate onset).
struct ScoreTest {
    let z: Double
    /// Helpful-ratio change per unit of the covariate (a one-step estimate): per day for a hinge, in total for a step.
    let effect: Double

    /// Per weekday: up votes, votes, and Pearson residuals on `range`.
    struct WeekdayRates {
        var up = [Int](repeating: 0, count: 7)
        var votes = [Int](repeating: 0, count: 7)

        init(_ window: DayWindow, _ range: Range<Int>) {
            for i in range {
                up[window.weekday(i)] += window.up[i]
                votes[window.weekday(i)] += window.votes[i]
            }
        }

        func rate(_ w: Int) -> Double { votes[w] > 0 ? Double(up[w]) / Double(votes[w]) : 0 }
    }

    /// Pearson X² / degrees of freedom over `range` with one rate per weekday, at least 1.
    static func dispersion(_ window: DayWindow, _ range: Range<Int>) -> Double {
        let rates = WeekdayRates(window, range)
        var x2 = 0.0, days = 0
        for i in range where window.votes[i] > 0 {
            let p = rates.rate(window.weekday(i)), n = Double(window.votes[i])
            let v = n * p * (1 - p)
            guard v > 0 else { continue }
            let r = Double(window.up[i]) - n * p
            x2 += r * r / v
            days += 1
        }
        let strata = rates.votes.filter { $0 > 0 }.count
        let df = days - strata
        guard df >= 5 else { return 1 }
        return max(1, x2 / Double(df))
    }

    /// The test of covariate `x` (one value per day of `window`); nil when nothing varies.
    /// `rates` are the window's weekday rates (the same for every onset, so callers compute them once).
    static func run(_ window: DayWindow, rates: WeekdayRates, x: (Int) -> Double, dispersion: Double) -> ScoreTest? {
        var score = 0.0
        var sxxn = [Double](repeating: 0, count: 7), sxn = sxxn
        for i in 0..<window.count where window.votes[i] > 0 {
            let w = window.weekday(i), n = Double(window.votes[i]), xi = x(i)
            score += xi * (Double(window.up[i]) - n * rates.rate(w))
            sxxn[w] += xi * xi * n
            sxn[w] += xi * n
        }
        var variance = 0.0, information = 0.0
        for w in 0..<7 where rates.votes[w] > 0 {
            let p = rates.rate(w)
            let spread = sxxn[w] - sxn[w] * sxn[w] / Double(rates.votes[w])
            variance += p * (1 - p) * spread
            information += spread
        }
        guard variance > 1e-12, information > 1e-12 else { return nil }
        return ScoreTest(z: score / (variance * dispersion).squareRoot(), effect: score / information)
    }
}
