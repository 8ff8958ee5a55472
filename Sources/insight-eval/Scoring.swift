import Analytics
import Foundation

/// What one method achieved on one seed.
struct SeedScore {
    /// Per planted change: days from onset to the first evaluation that flagged its page (nil: never).
    var delays: [(change: PlantedChange, delay: Int?, asDecline: Int?)] = []
    /// False discovery proportion of each evaluation with at least one finding (0 when it had none).
    var fdp: [Double] = []
    var findings = 0
    var falseFindings = 0
    /// Per planted slow decline (new method only): the known-onset test's p three weeks in, and the
    /// largest p that would have joined that evaluation's findings under its Benjamini–Hochberg
    /// (alpha × (findings on other pages + 1) / tests: the step-up rule with one more rejection).
    var oracle: [(change: PlantedChange, p: Double?, fdrBound: Double)] = []
    /// CPU seconds spent in the method's evaluations, and how many there were.
    var cpu = 0.0
    var evaluations = 0
}

/// CPU time of this thread, in seconds: the simulator is single-threaded, and wall time on a shared
/// machine says more about the neighbours than about the detector.
func cpuSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

enum Method: String, CaseIterable {
    case legacy = "today (7-day vs 28-day z-test, Poisson burst)"
    case detector = "new (scan + trend + reasons, one BH)"

    /// Evaluates, adding the CPU time it took to `cpu`.
    func evaluate(_ series: [PageSeries], asOfDay: Int, cpu: inout Double) -> Evaluation {
        let start = cpuSeconds()
        defer { cpu += cpuSeconds() - start }
        return evaluate(series, asOfDay: asOfDay)
    }

    /// The new method's settings: the defaults, but for alpha from the command line (the second argument).
    static let options: DetectorOptions = {
        var options = DetectorOptions()
        if CommandLine.arguments.count > 2, let alpha = Double(CommandLine.arguments[2]), alpha > 0, alpha < 1 { options.alpha = alpha }
        return options
    }()

    func evaluate(_ series: [PageSeries], asOfDay: Int) -> Evaluation {
        switch self {
        case .legacy: LegacyDetector.evaluate(series, asOfDay: asOfDay)
        case .detector: Detector.evaluate(series, asOfDay: asOfDay, options: Self.options)
        }
    }
}

enum Scoring {
    /// Whether a finding of `kind` on a page with `change` (by `day`) is a true discovery.
    static func isTrue(_ kind: ChangeKind, _ change: PlantedChange?, day: Int) -> Bool {
        guard let change, change.onset <= day else { return false }
        switch change.kind {
        case .drop, .decline: return kind != .reasonShift
        case .reasonShift: return kind == .reasonShift
        }
    }

    static func score(_ simulation: Simulation, _ method: Method) -> SeedScore {
        var score = SeedScore()
        var firstFlag: [Int: Int] = [:], firstDecline: [Int: Int] = [:]
        let byPage = Dictionary(simulation.changes.map { ($0.page, $0) }, uniquingKeysWith: { a, _ in a })
        for day in simulation.firstEvaluationDay...simulation.lastDay {
            let evaluation = method.evaluate(simulation.series, asOfDay: day, cpu: &score.cpu)
            score.evaluations += 1
            if method == .detector { score.oracle += oracle(simulation, evaluation, day: day) }
            var falses = 0
            for d in evaluation.detections {
                let page = Int(d.page.split(separator: "-").last ?? "") ?? -1
                let change = byPage[page]
                if isTrue(d.kind, change, day: day) {
                    let wanted: Bool
                    switch change?.kind {
                    case .reasonShift: wanted = d.kind == .reasonShift
                    default: wanted = d.kind == .helpfulnessDrop || d.kind == .slowDecline
                    }
                    if wanted && firstFlag[page] == nil { firstFlag[page] = day }
                    if d.kind == .slowDecline && firstDecline[page] == nil { firstDecline[page] = day }
                } else {
                    falses += 1
                }
            }
            score.findings += evaluation.detections.count
            score.falseFindings += falses
            score.fdp.append(evaluation.detections.isEmpty ? 0 : Double(falses) / Double(evaluation.detections.count))
        }
        for change in simulation.changes {
            score.delays.append((change, firstFlag[change.page].map { $0 - change.onset }, firstDecline[change.page].map { $0 - change.onset }))
        }
        return score
    }

    /// The known-onset test for each slow decline whose third week ends on `day`.
    static func oracle(_ simulation: Simulation, _ evaluation: Evaluation, day: Int) -> [(change: PlantedChange, p: Double?, fdrBound: Double)] {
        simulation.changes.filter { $0.kind == .decline && $0.onset + 21 == day }.map { change in
            let page = simulation.series[change.page]
            let others = evaluation.detections.filter { $0.page != page.page }.count
            let bound = Method.options.alpha * Double(others + 1) / Double(max(1, evaluation.tests))
            return (change, KnownOnset.declineP(page, onsetDay: change.onset, asOfDay: day), bound)
        }
    }
}
