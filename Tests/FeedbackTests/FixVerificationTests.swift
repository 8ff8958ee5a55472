import Foundation
import Testing
@testable import Feedback

@Suite struct FixVerificationTests {
    /// Newcombe (1998), "Interval estimation for the difference between independent proportions",
    /// Statistics in Medicine 17:873-890, example (a): 56/70 − 48/80, method 10 gives 0.0524 to 0.3339.
    @Test func newcombeHybridScoreIntervalMatchesThePaper() throws {
        let c = try #require(FixVerification.compare(beforeUp: 48, beforeTotal: 80, afterUp: 56, afterTotal: 70))
        #expect(abs(c.difference - 0.2) < 1e-12)
        #expect(abs(c.lower - 0.0524) < 0.00005)
        #expect(abs(c.upper - 0.3339) < 0.00005)
    }

    /// python3 -c "import math; p=104/150; se=math.sqrt(p*(1-p)*(1/80+1/70)); print(math.erfc(abs(56/70-48/80)/se/math.sqrt(2)))"
    @Test func pValueIsThePooledTwoProportionTest() throws {
        let c = try #require(FixVerification.compare(beforeUp: 48, beforeTotal: 80, afterUp: 56, afterTotal: 70))
        #expect(abs(c.p - 0.008045081368196568) < 1e-12)
        // Far in the tail the p-value keeps its digits instead of rounding to 0 as 1 − Φ(z) does:
        // python3 -c "import math; p=0.5; se=math.sqrt(p*(1-p)*(2/1000)); print(math.erfc(0.4/se/math.sqrt(2)))"
        let extreme = try #require(FixVerification.compare(beforeUp: 300, beforeTotal: 1000, afterUp: 700, afterTotal: 1000))
        #expect(abs(extreme.p / 1.4484424372737968e-71 - 1) < 1e-9)
    }

    @Test func verdicts() throws {
        let better = FixVerification.compare(beforeUp: 40, beforeTotal: 100, afterUp: 80, afterTotal: 100)
        #expect(FixVerification.verdict(better, beforeVotes: 100, afterVotes: 100, minVotes: 20) == .improved)
        let worse = FixVerification.compare(beforeUp: 80, beforeTotal: 100, afterUp: 40, afterTotal: 100)
        #expect(FixVerification.verdict(worse, beforeVotes: 100, afterVotes: 100, minVotes: 20) == .worse)
        let same = FixVerification.compare(beforeUp: 60, beforeTotal: 100, afterUp: 62, afterTotal: 100)
        #expect(FixVerification.verdict(same, beforeVotes: 100, afterVotes: 100, minVotes: 20) == .noChange)
        let few = FixVerification.compare(beforeUp: 60, beforeTotal: 100, afterUp: 10, afterTotal: 10)
        #expect(FixVerification.verdict(few, beforeVotes: 100, afterVotes: 10, minVotes: 20) == .tooEarly)
        #expect(FixVerification.compare(beforeUp: 0, beforeTotal: 0, afterUp: 1, afterTotal: 1) == nil)
    }
}
