import Testing
@testable import App

@Suite struct TimeParsingTests {
    let now: Int64 = 1_795_426_628_738 // 2026-11-23T09:37:08.738Z

    @Test(arguments: [
        ("2026-11-01T08:00:00Z", 1_793_491_200_000 + 8 * 3_600_000),
        ("2026-11-01T08:00:00+02:00", 1_793_491_200_000 + 6 * 3_600_000),
        ("2026-11-01T08:00:00.250Z", 1_793_491_200_000 + 8 * 3_600_000 + 250),
        ("2026-11-01", 1_793_491_200_000),
    ] as [(String, Int64)])
    func absoluteTimes(_ text: String, _ expected: Int64) {
        #expect(QueryParameters.parseTime(text, now: now) == expected)
    }

    @Test func relativeTimes() {
        #expect(QueryParameters.parseTime("90m", now: now) == now - 90 * 60_000)
        #expect(QueryParameters.parseTime("24h", now: now) == now - 86_400_000)
        #expect(QueryParameters.parseTime("7d", now: now) == now - 7 * 86_400_000)
        #expect(QueryParameters.parseTime("2w", now: now) == now - 14 * 86_400_000)
    }

    @Test(arguments: ["yesterday", "2026-13-01", "2026-02-30", "7y", "-3d", "2026-11-01T25:00:00Z", ""])
    func invalidTimes(_ text: String) {
        #expect(QueryParameters.parseTime(text, now: now) == nil)
    }
}
