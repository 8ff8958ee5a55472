import Analytics
import Foundation

// Measures both insight methods on simulated traffic and prints Markdown tables (docs/insights.md).
// Usage: insight-eval [seeds [alpha]] (default 20 seeds; the new method's alpha, default 0.05). Each
// seed simulates 140 days on 300 pages and evaluates once a day over the last 35 days, as a daily
// scheduled evaluation would.

@main
struct InsightEval {
    /// Traffic bands (weekday votes a day) for slow declines, where power depends on little else.
    static let bands: [(name: String, range: Range<Double>)] = [("< 20", 0..<20), ("20–50", 20..<50), ("≥ 50", 50..<Double.infinity)]

    static func main() {
        let seeds = CommandLine.arguments.count > 1 ? max(1, Int(CommandLine.arguments[1]) ?? 20) : 20

        func rate(_ hits: Int, _ total: Int) -> String {
            total == 0 ? "–" : String(format: "%.1f%% (%d/%d)", 100 * Double(hits) / Double(total), hits, total)
        }

        var results: [Method: [SeedScore]] = [:]
        var nullFinal: [Method: Int] = [:], nullAny: [Method: Int] = [:], nullEvaluationsWithFinding: [Method: Int] = [:]
        var nullKinds: [Method: [ChangeKind: Int]] = [:]
        var nullCPU: [Method: Double] = [:]
        for method in Method.allCases {
            for seed in 0..<seeds {
                let simulation = Simulation(seed: UInt64(seed), withChanges: true)
                results[method, default: []].append(Scoring.score(simulation, method))
                let quiet = Simulation(seed: UInt64(seed) + 1_000, withChanges: false)
                var flaggedDays = 0
                for day in quiet.firstEvaluationDay...quiet.lastDay {
                    let found = method.evaluate(quiet.series, asOfDay: day, cpu: &nullCPU[method, default: 0]).detections
                    for d in found { nullKinds[method, default: [:]][d.kind, default: 0] += 1 }
                    guard !found.isEmpty else { continue }
                    flaggedDays += 1
                    if day == quiet.lastDay { nullFinal[method, default: 0] += 1 }
                }
                if flaggedDays > 0 { nullAny[method, default: 0] += 1 }
                nullEvaluationsWithFinding[method, default: 0] += flaggedDays
            }
        }

        var rows: [(String, [String])] = []
        /// A row for both methods; the oracle columns only apply to slow declines.
        func row(_ name: String, _ value: (Method) -> String, oracle: [String] = ["–", "–"]) {
            rows.append((name, Method.allCases.map(value) + oracle))
        }
        func share(_ method: Method, _ kind: PlantedChange.Kind, _ filter: (PlantedChange) -> Bool, within: Int, declineKind: Bool = false) -> String {
            let all = (results[method] ?? []).flatMap(\.delays).filter { $0.change.kind == kind && filter($0.change) }
            let hits = all.filter { entry in
                guard let delay = declineKind ? entry.asDecline : entry.delay else { return false }
                return delay <= within
            }
            return rate(hits.count, all.count)
        }
        /// The known-onset test three weeks in: at alpha 0.05 alone, and as one more p in that evaluation's BH.
        func oracle(_ filter: (PlantedChange) -> Bool) -> [String] {
            let all = (results[.detector] ?? []).flatMap(\.oracle).filter { filter($0.change) }
            return [rate(all.filter { ($0.p ?? 1) <= 0.05 }.count, all.count),
                    rate(all.filter { ($0.p ?? 1) <= $0.fdrBound }.count, all.count)]
        }

        let big = { (c: PlantedChange) in c.size >= 0.20 && c.volume >= 20 }
        for within in [2, 3, 7] {
            row("drops ≥ 20 points, ≥ 20 votes/day: flagged within \(within) days") { share($0, .drop, big, within: within) }
        }
        row("all drops (15–40 points, any volume): within 3 days") { share($0, .drop, { _ in true }, within: 3) }
        row("all drops: within 7 days") { share($0, .drop, { _ in true }, within: 7) }
        row("slow declines (20 points over 6 weeks): within 3 weeks", { share($0, .decline, { _ in true }, within: 21) }, oracle: oracle { _ in true })
        for band in bands {
            row("slow declines \(band.name) votes/day: within 3 weeks", { share($0, .decline, { band.range.contains($0.volume) }, within: 21) },
                oracle: oracle { band.range.contains($0.volume) })
        }
        row("slow declines ≥ 20 votes/day: within 3 weeks", { share($0, .decline, { $0.volume >= 20 }, within: 21) }, oracle: oracle { $0.volume >= 20 })
        row("slow declines: within 6 weeks") { share($0, .decline, { _ in true }, within: 42) }
        row("slow declines reported as slow_decline within 3 weeks") { share($0, .decline, { _ in true }, within: 21, declineKind: true) }
        row("reason shifts (\u{201C}outdated\u{201D} ×3): within 7 days") { share($0, .reasonShift, { _ in true }, within: 7) }
        row("reason shifts on pages ≥ 50 votes/day: within 7 days") { share($0, .reasonShift, { $0.volume >= 50 }, within: 7) }
        row("reason shifts: within 14 days") { share($0, .reasonShift, { _ in true }, within: 14) }
        row("false discovery proportion, mean over evaluations and seeds") { m in
            let fdp = (results[m] ?? []).flatMap(\.fdp)
            return String(format: "%.2f%%", 100 * fdp.reduce(0, +) / Double(max(1, fdp.count)))
        }
        row("false findings / all findings") { m in
            let r = results[m] ?? []
            return rate(r.map(\.falseFindings).reduce(0, +), r.map(\.findings).reduce(0, +))
        }
        row("no-change traffic: seeds without a finding on the last day") { rate(seeds - (nullFinal[$0] ?? 0), seeds) }
        row("no-change traffic: seeds without a finding on any of the \(Simulation.evaluationDays) days") { rate(seeds - (nullAny[$0] ?? 0), seeds) }
        row("no-change traffic: evaluations with a finding") { rate(nullEvaluationsWithFinding[$0] ?? 0, seeds * Simulation.evaluationDays) }
        row("no-change traffic: findings by kind") { m in
            let kinds = nullKinds[m] ?? [:]
            return ChangeKind.allCases.compactMap { k in kinds[k].map { "\(k.rawValue) \($0)" } }.joined(separator: ", ")
        }
        row("CPU per evaluation of \(Simulation.pageCount) pages (µs per page)") { m in
            let r = results[m] ?? []
            let seconds = r.map(\.cpu).reduce(0, +) + (nullCPU[m] ?? 0), evaluations = r.map(\.evaluations).reduce(0, +) + seeds * Simulation.evaluationDays
            let perEvaluation = seconds / Double(max(1, evaluations))
            return String(format: "%.1f ms (%.0f µs)", 1000 * perEvaluation, 1e6 * perEvaluation / Double(Simulation.pageCount))
        }

        print("Simulated: \(seeds) seeds × \(Simulation.pageCount) pages × \(Simulation.days) days, evaluated daily over the last \(Simulation.evaluationDays) days; new method at alpha = \(Method.options.alpha).\n")
        let columns = Method.allCases.map(\.rawValue) + ["oracle: true onset, one test, α = 0.05", "oracle under the evaluation's FDR"]
        print("| measure | " + columns.joined(separator: " | ") + " |")
        print("|---|" + columns.map { _ in "---|" }.joined())
        for (name, values) in rows { print("| \(name) | " + values.joined(separator: " | ") + " |") }
    }
}
