import Testing
@testable import Analytics

/// The detector on constructed series: known onsets, trends, reason mixes and calendar patterns.
@Suite struct DetectorTests {
    /// 2026-01-05, a Monday; series run 100 days from here.
    static let start = 20_458
    static let days = 100

    /// A page whose day `i` gets `votes(i)` votes of which `ratio(i)` are helpful (rounded), with a
    /// small alternating wobble so nothing is exactly constant.
    func page(_ name: String = "/p", votes: (Int) -> Int, ratio: (Int) -> Double) -> PageSeries {
        var s = PageSeries(page: name, firstDay: Self.start, days: Self.days)
        for i in 0..<Self.days {
            let n = votes(i)
            let up = min(n, max(0, Int((Double(n) * ratio(i)).rounded()) + (i % 2 == 0 ? 1 : -1)))
            s.add(day: Self.start + i, up: up, down: n - up, downComments: (n - up) / 4)
        }
        return s
    }

    func quietPages(_ count: Int) -> [PageSeries] {
        (0..<count).map { k in page("/quiet-\(k)", votes: { _ in 30 }, ratio: { _ in 0.6 + 0.01 * Double(k % 20) }) }
    }

    @Test func summariesNeverSayQIsZero() {
        #expect(Detection.formatP(0.00031) == "0.00031")
        #expect(Detection.formatP(0) == "< 1e-300")
    }

    @Test func anAbruptDropIsFoundWithItsOnsetWithinThreeDays() {
        let onset = 90
        let dropped = page("/dropped", votes: { _ in 30 }, ratio: { $0 >= onset ? 0.5 : 0.8 })
        let evaluation = Detector.evaluate(quietPages(50) + [dropped], asOfDay: Self.start + onset + 2)
        #expect(evaluation.detections.map(\.page) == ["/dropped"])
        let d = evaluation.detections.first
        #expect(d?.kind == .helpfulnessDrop)
        #expect(d?.onsetDay == Self.start + onset)
        #expect(d?.afterVotes == 90)
        #expect(d?.summary.hasPrefix("helpfulness fell from 80% (") == true)
        #expect(d?.summary.contains("since 2026-04-05; q = ") == true)
        // Before the drop there is nothing to find.
        #expect(Detector.evaluate(quietPages(50) + [dropped], asOfDay: Self.start + onset - 1).detections.isEmpty)
    }

    @Test func weekendsWithTheirOwnAudienceAreNotADrop() {
        // Weekdays: 200 votes at 60%; weekends: 200 votes at 90%. The days since a Monday have a lower
        // pooled ratio than the weeks before them, but no weekday changed.
        let weekly = page("/weekly", votes: { _ in 200 }, ratio: { DayCalendar.weekday(Self.start + $0) >= 5 ? 0.9 : 0.6 })
        for asOf in 84..<Self.days {
            #expect(Detector.evaluate([weekly], asOfDay: Self.start + asOf).detections.isEmpty, "as of day \(asOf)")
        }
    }

    @Test func aDropOnAPageWithAWeekendAudienceIsSeenWithinTwoDays() {
        // Modeled per weekday, the weekend swing is neither a change nor noise: unmodeled, it would
        // count as overdispersion (Pearson X² per day near 17) and hide a 12-point drop for days.
        let onset = 93 // a Thursday
        let weekly = page("/weekly", votes: { _ in 200 },
                          ratio: { (DayCalendar.weekday(Self.start + $0) >= 5 ? 0.9 : 0.6) - ($0 >= onset ? 0.12 : 0) })
        // (More negative votes bring more negative comments per vote: a burst may come with it.)
        let found = Detector.evaluate([weekly], asOfDay: Self.start + onset + 1).detections.filter { $0.kind != .commentBurst }
        #expect(found.map(\.kind) == [.helpfulnessDrop])
        #expect(found.first?.onsetDay == Self.start + onset)
    }

    @Test func aQuietWeekIsNotAChange() {
        let quiet = page("/holiday", votes: { $0 >= 92 ? 6 : 40 }, ratio: { DayCalendar.weekday(Self.start + $0) >= 5 ? 0.9 : 0.72 })
        #expect(Detector.evaluate([quiet], asOfDay: Self.start + 98).detections.isEmpty)
    }

    @Test func aSlowDeclineIsASlowDecline() {
        // Flat at 85% until day 64, then 20 points down over six weeks (on day 99 it has lost about 17).
        let sliding = page("/sliding", votes: { _ in 60 }, ratio: { 0.85 - 0.2 * min(1, Double(max(0, $0 - 64)) / 42) })
        let evaluation = Detector.evaluate(quietPages(50) + [sliding], asOfDay: Self.start + 99)
        #expect(evaluation.detections.map(\.page) == ["/sliding"])
        let d = evaluation.detections.first
        #expect(d?.kind == .slowDecline)
        // Onsets are tried a week apart: the estimate lands within a week of day 64.
        #expect(abs((d?.onsetDay ?? 0) - (Self.start + 64)) <= 7)
        #expect(d?.summary.contains("points a week since") == true)
    }

    @Test func aReasonThatTriplesIsAShift() {
        var shifted = page("/shifted", votes: { _ in 40 }, ratio: { _ in 0.7 })
        let reasons = ["inaccurate", "outdated", "missing-information", "other"]
        for i in 0..<Self.days {
            // 8 negative votes with a reason a day: 2 each; from day 92 "outdated" gets 6 of 10.
            for (k, reason) in reasons.enumerated() {
                let count = i >= 92 ? (k == 1 ? 6 : 1 + (i + k) % 2) : 2
                shifted.addReason(reason, day: Self.start + i, count: count)
            }
        }
        var steady = shifted
        steady.reasons = [:]
        for i in 0..<Self.days { for reason in reasons { steady.addReason(reason, day: Self.start + i, count: 2 + (i % 3 == 0 ? 1 : 0)) } }
        let evaluation = Detector.evaluate([shifted, PageSeries(copying: steady, page: "/steady")], asOfDay: Self.start + 99)
        let shifts = evaluation.detections.filter { $0.kind == .reasonShift }
        #expect(shifts.map(\.page) == ["/shifted"])
        #expect(shifts.first?.reason == "outdated")
        #expect(shifts.first?.onsetDay == Self.start + 92)
        #expect(shifts.first?.summary.hasPrefix("\u{201C}outdated\u{201D} rose from 25% to") == true)
    }

    @Test func aBurstOfNegativeCommentsPerVote() {
        var loud = page("/loud", votes: { _ in 40 }, ratio: { _ in 0.7 })
        for i in 94..<Self.days { loud.add(day: Self.start + i, downComments: 8) }
        let evaluation = Detector.evaluate(quietPages(20) + [loud], asOfDay: Self.start + 99)
        #expect(evaluation.detections.map { "\($0.kind.rawValue) \($0.page)" } == ["comment_burst /loud"])
        // Twice the traffic with the same share of comments is not a burst.
        let busy = page("/busy", votes: { $0 >= 94 ? 80 : 40 }, ratio: { _ in 0.7 })
        #expect(Detector.evaluate([busy], asOfDay: Self.start + 99).detections.isEmpty)
    }

    @Test func oneFalseDiscoveryRateOverEveryTest() {
        let onset = 95
        let dropped = page("/dropped", votes: { _ in 30 }, ratio: { $0 >= onset ? 0.55 : 0.8 })
        let few = Detector.evaluate([dropped], asOfDay: Self.start + 97)
        let many = Detector.evaluate(quietPages(200) + [dropped], asOfDay: Self.start + 97)
        // The same p-value, but q grows with the number of tests it was adjusted over.
        #expect(few.detections.first?.p == many.detections.first?.p)
        #expect(many.tests > few.tests)
        #expect((many.detections.first?.q ?? 1) > (few.detections.first?.q ?? 0))
    }
}

extension PageSeries {
    init(copying other: PageSeries, page: String) {
        self.init(page: page, firstDay: other.firstDay, days: other.up.count)
        up = other.up
        down = other.down
        downComments = other.downComments
        reasons = other.reasons
    }
}
