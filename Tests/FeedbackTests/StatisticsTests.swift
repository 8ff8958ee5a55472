import Testing
import Analytics
@testable import Feedback

@Suite struct StatisticsTests {
    func close(_ a: Double, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(a - b) < tolerance }

    /// Reference values from the closed form computed separately (Python, z = 1.959964).
    @Test(arguments: [
        (0, 10, 0.0, 0.2775327998628892),
        (5, 10, 0.236593090512564, 0.7634069094874361),
        (8, 10, 0.49016247153664183, 0.9433178485456247),
        (81, 263, 0.2552885198782742, 0.36620957698280004),
        (1, 1, 0.20654931437723745, 1.0),
    ])
    func wilsonInterval(successes: Int, trials: Int, lower: Double, upper: Double) {
        let interval = Statistics.wilson(successes: successes, trials: trials)
        #expect(close(interval.lower, lower))
        #expect(close(interval.upper, upper))
    }

    @Test func wilsonWithoutVotesIsTheWholeRange() {
        #expect(Statistics.wilson(successes: 0, trials: 0) == (0, 1))
    }

    @Test func dropTestMatchesTheTextbookExample() {
        // 90/100 helpful before, 70/100 now: pooled 0.8, z = 0.2 / sqrt(0.8 * 0.2 * 0.02) = 3.5355.
        let test = Statistics.dropTest(baselineUp: 90, baselineTotal: 100, recentUp: 70, recentTotal: 100)
        #expect(close(test.z, 3.535533905932738))
        #expect(close(test.p, 0.00020347600872250293, 1e-9))
        // A rise is not a drop.
        #expect(Statistics.dropTest(baselineUp: 70, baselineTotal: 100, recentUp: 90, recentTotal: 100).p > 0.99)
        #expect(Statistics.dropTest(baselineUp: 0, baselineTotal: 0, recentUp: 1, recentTotal: 1).p == 1)
    }

    @Test func benjaminiHochbergAdjustsInOriginalOrder() {
        // Sorted 0.005, 0.01, 0.03, 0.04 with m = 4: 0.02, 0.02, 0.04, 0.04 after the running minimum.
        let q = Statistics.benjaminiHochberg([0.01, 0.04, 0.03, 0.005])
        #expect(zip(q, [0.02, 0.04, 0.04, 0.02]).allSatisfy { close($0, $1) })
        // m = 3 where the running minimum matters: sorted 0.01, 0.04, 0.041 give p·m/rank = 0.03, 0.06, 0.041;
        // from the largest rank down, min(0.06, 0.041) = 0.041 replaces the middle one. Without the running
        // minimum 0.04 would come back as 0.06, larger than the q of a larger p.
        // python3 -c "ps=[0.04,0.01,0.041];m=3;o=sorted(range(m),key=lambda i:ps[i]);q=[min(ps[o[j]]*m/(j+1) for j in range(k,m)) for k in range(m)];print([q[o.index(i)] for i in range(m)])"
        //   -> [0.041, 0.03, 0.041]
        let monotone = Statistics.benjaminiHochberg([0.04, 0.01, 0.041])
        #expect(monotone.count == 3 && zip(monotone, [0.041, 0.03, 0.041]).allSatisfy { close($0, $1) }, "\(monotone)")
        #expect(Statistics.benjaminiHochberg([]).isEmpty)
        #expect(Statistics.benjaminiHochberg([0.9, 0.8]).allSatisfy { $0 <= 1 })
    }

    @Test func poissonUpperTail() {
        // P(X >= 3 | 1) = 1 - e^-1 (1 + 1 + 1/2)
        #expect(close(Statistics.poissonUpperTail(3, lambda: 1), 1 - 2.5 * 0.36787944117144233))
        #expect(Statistics.poissonUpperTail(0, lambda: 2) == 1)
        #expect(Statistics.poissonUpperTail(2, lambda: 0) == 0)
    }

    @Test func normalCDF() {
        #expect(close(Statistics.normalCDF(0), 0.5))
        #expect(close(Statistics.normalCDF(1.959963984540054), 0.975))
    }

    @Test func sectionsOfPages() {
        #expect(AggregateQueries.section(of: "https://docs.example.com/a/b/c", depth: 2) == "https://docs.example.com/a/b")
        #expect(AggregateQueries.section(of: "https://docs.example.com/a", depth: 3) == "https://docs.example.com/a")
        #expect(AggregateQueries.section(of: "/guides/auth/tokens", depth: 1) == "/guides")
        // The byte-wise path for ASCII keys gives what splitting Characters gives.
        let keys = ["", "/", "//", "a", "/a", "a/b", "//a//b///c/", "https://h", "https://h/", "https://h//x/y", "http://h:8080/a/b?q=1",
                    "x://", "://a/b", "mailto:a/b", "/a:/b://c/d", "/p?next=https://x/y", "ftp://h/a///b/c/d"]
        for key in keys {
            for depth in 0...4 {
                #expect(AggregateQueries.asciiSection(of: key, depth: depth) == AggregateQueries.characterSection(of: key, depth: depth), "\(key) \(depth)")
            }
        }
        #expect(AggregateQueries.section(of: "/caf\u{E9}/men\u{FC}/x", depth: 2) == "/caf\u{E9}/men\u{FC}")
    }

    @Test func ftsQueriesAreQuotedWords() {
        #expect(FeedbackFilter.ftsQuery("token stale") == "\"token\" \"stale\"")
        #expect(FeedbackFilter.ftsQuery("exa* \"quoted\"") == "\"exa\"* \"\"\"quoted\"\"\"")
        #expect(FeedbackFilter.ftsQuery("   ") == nil)
    }
}
