import Analytics
import Foundation

// Measures both insight methods on simulated traffic and prints Markdown tables (docs/insights.md).
// Usage: insight-eval [seeds] (default 20). Each seed simulates 140 days on 300 pages and evaluates
// once a day over the last 35 days, as a daily scheduled evaluation would.

@main
struct InsightEval {
    static func main() {
        let seeds = CommandLine.arguments.count > 1 ? max(1, Int(CommandLine.arguments[1]) ?? 20) : 20

        func rate(_ hits: Int, _ total: Int) -> String {
            total == 0 ? "–" : String(format: "%.1f%% (%d/%d)", 100 * Double(hits) / Double(total), hits, total)
        }

        print("Simulated: \(seeds) seeds × \(Simulation.pageCount) pages × \(Simulation.days) days, evaluated daily over the last \(Simulation.evaluationDays) days.\n")
        print("| measure | " + Method.allCases.map(\.rawValue).joined(separator: " | ") + " |")
        print("|---|" + Method.allCases.map { _ in "---|" }.joined())

        var rows: [(String, [String])] = []
        func row(_ name: String, _ values: [String]) { rows.append((name, values)) }

        var results: [Method: [SeedScore]] = [:]
        var nullFinal: [Method: Int] = [:], nullAny: [Method: Int] = [:], nullEvaluationsWithFinding: [Method: Int] = [:]
        for method in Method.allCases {
            for seed in 0..<seeds {
                let simulation = Simulation(seed: UInt64(seed), withChanges: true)
                results[method, default: []].append(Scoring.score(simulation, method))
                let quiet = Simulation(seed: UInt64(seed) + 1_000, withChanges: false)
                var flaggedDays = 0
                for day in quiet.firstEvaluationDay...quiet.lastDay where !method.evaluate(quiet.series, asOfDay: day).detections.isEmpty {
                    flaggedDays += 1
                    if day == quiet.lastDay { nullFinal[method, default: 0] += 1 }
                }
                if flaggedDays > 0 { nullAny[method, default: 0] += 1 }
                nullEvaluationsWithFinding[method, default: 0] += flaggedDays
            }
        }

        func share(_ method: Method, _ kind: PlantedChange.Kind, _ filter: (PlantedChange) -> Bool, within: Int, declineKind: Bool = false) -> String {
            let all = (results[method] ?? []).flatMap(\.delays).filter { $0.change.kind == kind && filter($0.change) }
            let hits = all.filter { entry in
                guard let delay = declineKind ? entry.asDecline : entry.delay else { return false }
                return delay <= within
            }
            return rate(hits.count, all.count)
        }

        let big = { (c: PlantedChange) in c.size >= 0.20 && c.volume >= 20 }
        for within in [2, 3] {
            row("drops ≥ 20 points, ≥ 20 votes/day: flagged within \(within) days", Method.allCases.map { share($0, .drop, big, within: within) })
        }
        row("drops ≥ 20 points, ≥ 20 votes/day: flagged within 7 days", Method.allCases.map { share($0, .drop, big, within: 7) })
        row("all drops (15–40 points, any volume): within 3 days", Method.allCases.map { share($0, .drop, { _ in true }, within: 3) })
        row("all drops: within 7 days", Method.allCases.map { share($0, .drop, { _ in true }, within: 7) })
        row("slow declines (20 points over 6 weeks): within 3 weeks", Method.allCases.map { share($0, .decline, { _ in true }, within: 21) })
        row("slow declines ≥ 20 votes/day: within 3 weeks", Method.allCases.map { share($0, .decline, { $0.volume >= 20 }, within: 21) })
        row("slow declines ≥ 50 votes/day: within 3 weeks", Method.allCases.map { share($0, .decline, { $0.volume >= 50 }, within: 21) })
        row("slow declines: within 6 weeks", Method.allCases.map { share($0, .decline, { _ in true }, within: 42) })
        row("slow declines reported as slow_decline within 3 weeks", Method.allCases.map { share($0, .decline, { _ in true }, within: 21, declineKind: true) })
        row("reason shifts (\u{201C}outdated\u{201D} ×3): within 7 days", Method.allCases.map { share($0, .reasonShift, { _ in true }, within: 7) })
        row("reason shifts on pages ≥ 50 votes/day: within 7 days", Method.allCases.map { share($0, .reasonShift, { $0.volume >= 50 }, within: 7) })
        row("reason shifts: within 14 days", Method.allCases.map { share($0, .reasonShift, { _ in true }, within: 14) })
        row("false discovery proportion, mean over evaluations and seeds", Method.allCases.map { m in
            let fdp = (results[m] ?? []).flatMap(\.fdp)
            return String(format: "%.2f%%", 100 * fdp.reduce(0, +) / Double(max(1, fdp.count)))
        })
        row("false findings / all findings", Method.allCases.map { m in
            let r = results[m] ?? []
            return rate(r.map(\.falseFindings).reduce(0, +), r.map(\.findings).reduce(0, +))
        })
        row("no-change traffic: seeds without a finding on the last day", Method.allCases.map { rate(seeds - (nullFinal[$0] ?? 0), seeds) })
        row("no-change traffic: seeds without a finding on any of the \(Simulation.evaluationDays) days", Method.allCases.map { rate(seeds - (nullAny[$0] ?? 0), seeds) })
        row("no-change traffic: evaluations with a finding", Method.allCases.map { rate(nullEvaluationsWithFinding[$0] ?? 0, seeds * Simulation.evaluationDays) })
        for (name, values) in rows { print("| \(name) | " + values.joined(separator: " | ") + " |") }
    }
}
