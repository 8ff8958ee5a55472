import Analytics
import Foundation

/// Deterministic random numbers (SplitMix64), so a seed always simulates the same traffic.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func uniform(_ a: Double, _ b: Double) -> Double { a + (b - a) * unit() }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
    /// Poisson draws: Knuth's product for small means, a rounded normal for large ones.
    mutating func poisson(_ mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean > 40 { return max(0, Int((mean + mean.squareRoot() * normal()).rounded())) }
        let limit = exp(-mean)
        var k = 0, product = unit()
        while product > limit { k += 1; product *= unit() }
        return k
    }
    mutating func binomial(_ n: Int, _ p: Double) -> Int {
        if n > 200 { return min(n, max(0, Int((Double(n) * p + (Double(n) * p * (1 - p)).squareRoot() * normal()).rounded()))) }
        var k = 0
        for _ in 0..<n where unit() < p { k += 1 }
        return k
    }
}

/// A change planted on one page.
struct PlantedChange {
    enum Kind { case drop, decline, reasonShift }
    let kind: Kind
    let page: Int
    let onset: Int
    /// Helpful-ratio points lost (drops, declines).
    let size: Double
    /// Weekday votes per day on the page.
    let volume: Double
}

/// Synthetic traffic: a long tail of pages with their own volume, helpfulness, weekend audience,
/// comment habits and reason mix; day-to-day swings beyond binomial noise; quiet (holiday) weeks;
/// and planted drops, slow declines and reason shifts on some pages.
struct Simulation {
    static let days = 140
    /// The evaluation runs once a day over the last `evaluationDays` days.
    static let evaluationDays = 35
    static let pageCount = 300
    static let reasons = ["inaccurate", "outdated", "missing-information", "hard-to-understand", "broken-example", "other"]

    let series: [PageSeries]
    let changes: [PlantedChange]
    var firstEvaluationDay: Int { Self.firstDay + Self.days - Self.evaluationDays }
    var lastDay: Int { Self.firstDay + Self.days - 1 }
    /// 2026-01-05, a Monday.
    static let firstDay = 20_458

    init(seed: UInt64, withChanges: Bool) {
        var random = SplitMix64(state: seed &* 0x1000_0001 &+ 17)
        let lastDay = Self.firstDay + Self.days - 1
        let evaluationStart = lastDay - Self.evaluationDays + 1
        // Quiet weeks: every page gets about a third of its traffic.
        let quietWeeks = (0..<2).map { _ in Self.firstDay + 7 * random.int(0...(Self.days / 7 - 1)) }
        var changes: [PlantedChange] = []
        if withChanges {
            var used = Set<Int>()
            func pick(_ top: Int) -> Int {
                while true { let p = random.int(0...(top - 1)); if used.insert(p).inserted { return p } }
            }
            for _ in 0..<6 {
                let page = pick(150)
                changes.append(PlantedChange(kind: .drop, page: page, onset: random.int((evaluationStart + 3)...(lastDay - 4)),
                                             size: random.uniform(0.15, 0.40), volume: Self.volume(page)))
            }
            for _ in 0..<4 {
                let page = pick(100)
                changes.append(PlantedChange(kind: .decline, page: page, onset: random.int((evaluationStart - 10)...(lastDay - 21)),
                                             size: 0.20, volume: Self.volume(page)))
            }
            for _ in 0..<4 {
                let page = pick(100)
                changes.append(PlantedChange(kind: .reasonShift, page: page, onset: random.int((evaluationStart + 3)...(lastDay - 7)),
                                             size: 0, volume: Self.volume(page)))
            }
        }
        var series: [PageSeries] = []
        for page in 0..<Self.pageCount {
            var s = PageSeries(page: "/docs/page-\(page)", firstDay: Self.firstDay, days: Self.days)
            let base = random.uniform(0.55, 0.92), weekendShift = random.uniform(-0.03, 0.10)
            let commentRate = random.uniform(0.15, 0.35)
            let weights = Self.reasons.map { _ in random.uniform(0.2, 1.0) }
            let change = changes.first { $0.page == page }
            for day in Self.firstDay...lastDay {
                let weekday = DayCalendar.weekday(day), weekend = weekday >= 5
                var mean = Self.volume(page) * (weekend ? 0.4 : 1)
                if quietWeeks.contains(where: { day >= $0 && day < $0 + 7 }) { mean *= 0.35 }
                var p = base + (weekend ? weekendShift : 0)
                if let change, day >= change.onset {
                    switch change.kind {
                    case .drop: p -= change.size
                    case .decline: p -= change.size * min(1, Double(day - change.onset + 1) / 42)
                    case .reasonShift: break // the reason mix changes below
                    }
                }
                p = min(0.98, max(0.02, p))
                // Day-to-day swings beyond binomial noise (sd 0.08 on the logit scale).
                let logit = log(p / (1 - p)) + 0.08 * random.normal()
                p = 1 / (1 + exp(-logit))
                let votes = random.poisson(mean)
                let up = random.binomial(votes, p), down = votes - up
                s.add(day: day, up: up, down: down, downComments: random.binomial(down, commentRate))
                // 60% of negative votes give a reason; a reason shift triples "outdated".
                let shifted = change?.kind == .reasonShift && day >= (change?.onset ?? Int.max)
                let mix = weights.enumerated().map { $0.offset == 1 && shifted ? $0.element * 3 : $0.element }
                let total = mix.reduce(0, +)
                for _ in 0..<random.binomial(down, 0.6) {
                    var u = random.unit() * total, r = 0
                    while r < mix.count - 1 && u >= mix[r] { u -= mix[r]; r += 1 }
                    s.addReason(Self.reasons[r], day: day)
                }
            }
            series.append(s)
        }
        self.series = series
        self.changes = changes
    }

    /// Weekday votes per day: a long tail from 600 a day down to about 7.
    static func volume(_ page: Int) -> Double { 600 * pow(Double(page + 1), -0.8) }
}
