/// The method `GET /v1/insights` used before the change detector, kept so the simulator can compare:
/// the last `recentDays` days against the `baselineDays` before them, a one-sided two-proportion z-test
/// per page, and negative comments against a Poisson expectation from the baseline count per day
/// (plus half a comment); Benjamini–Hochberg separately over drops and over bursts.
/// It uses today's corrected tails; the uncorrected ones only ever hid bursts on busy pages.
public enum LegacyDetector {
    public static func evaluate(_ pages: [PageSeries], asOfDay: Int, recentDays: Int = 7, baselineDays: Int = 28,
                                minVotes: Int = 10, minComments: Int = 3, alpha: Double = 0.05) -> Evaluation {
        var drops: [Detection] = [], bursts: [Detection] = []
        var zs: [Double] = []
        for page in pages {
            let window = page.window(endingAt: asOfDay, length: recentDays + baselineDays)
            let base = 0..<baselineDays, recent = baselineDays..<window.count
            var d = Detection(kind: .helpfulnessDrop, page: page.page, onsetDay: nil, p: 1)
            d.beforeUp = window.sum(window.up, base)
            d.beforeVotes = window.sum(window.votes, base)
            d.afterUp = window.sum(window.up, recent)
            d.afterVotes = window.sum(window.votes, recent)
            if d.beforeVotes >= minVotes && d.afterVotes >= minVotes {
                let test = Statistics.dropTest(baselineUp: d.beforeUp, baselineTotal: d.beforeVotes, recentUp: d.afterUp, recentTotal: d.afterVotes)
                d.p = test.p
                drops.append(d)
                zs.append(test.z)
            }
            let comments = window.sum(window.downComments, recent)
            if comments >= minComments {
                let scale = Double(recentDays) / Double(baselineDays)
                var b = Detection(kind: .commentBurst, page: page.page, onsetDay: nil,
                                  p: Statistics.poissonUpperTail(comments, lambda: (Double(window.sum(window.downComments, base)) + 0.5) * scale))
                b.comments = comments
                b.expected = Double(window.sum(window.downComments, base)) * scale
                bursts.append(b)
            }
        }
        let dropQ = Statistics.benjaminiHochberg(drops.map(\.p)), burstQ = Statistics.benjaminiHochberg(bursts.map(\.p))
        for i in drops.indices { drops[i].q = dropQ[i] }
        for i in bursts.indices { bursts[i].q = burstQ[i] }
        let found = drops.indices.filter { drops[$0].q <= alpha && zs[$0] > 0 }.map { drops[$0] } + bursts.filter { $0.q <= alpha }
        return Evaluation(asOfDay: asOfDay, pagesTested: drops.count, tests: drops.count + bursts.count,
                          detections: found.sorted { ($0.q, $0.page) < ($1.q, $1.page) })
    }
}
