import Testing
@testable import Analytics

/// Slow declines three weeks in, the weighted onsets that make them visible then, calendar patterns
/// that must stay silent day after day, and the known-onset test the simulator uses as its ceiling.
@Suite struct SlowDeclineTests {
    let build = DetectorTests()
    static let start = DetectorTests.start

    /// Flat at 80% until `onset`, then 20 points down over six weeks, `votes` a day.
    func sliding(onset: Int, votes: Int) -> PageSeries {
        build.page("/sliding", votes: { _ in votes }, ratio: { 0.8 - 0.2 * min(1, Double(max(0, $0 - onset + 1)) / 42) })
    }

    @Test func aTwentyPointSlideAtFortyVotesADayIsFlaggedThreeWeeksIn() {
        // Three weeks in, the page has lost 10 points; the latest candidate onset is 20 days back.
        let onset = 78, asOf = Self.start + onset + 21
        let evaluation = Detector.evaluate(build.quietPages(50) + [sliding(onset: onset, votes: 40)], asOfDay: asOf)
        #expect(evaluation.detections.map { "\($0.kind.rawValue) \($0.page)" } == ["slow_decline /sliding"])
        #expect(evaluation.detections.first?.onsetDay == asOf - 20)
        // A week earlier the slide is too small to tell at this traffic, and nothing is reported.
        #expect(Detector.evaluate(build.quietPages(50) + [sliding(onset: onset, votes: 40)], asOfDay: asOf - 7).detections.isEmpty)
    }

    @Test func theLatestOnsetWeighsThreeTimesEachOlderOne() throws {
        // 84 trend days: onsets 21, 35, 49, 63 and 77 days back, weights 3, 1, 1, 1, 1 (7 in all), so
        // the latest onset's p is its one-sided p times 7/3 and an older one's times 7.
        let asOf = Self.start + 99
        let page = sliding(onset: 78, votes: 40)
        let d = try #require(Detector.decline(page, asOf, DetectorOptions()))
        let window = page.window(endingAt: asOf, length: 84)
        #expect(d.onsetDay == window.firstDay + 63)
        let dispersion = ScoreTest.dispersion(window, 0..<63)
        let test = try #require(LikelihoodRatio.run(window, x: { Double(max(0, $0 - 63)) }, dispersion: dispersion))
        let p = Statistics.normalUpperTail(-test.r)
        #expect(abs(d.p / (p * 7 / 3) - 1) < 1e-9, "p \(d.p), one-sided \(p)")
    }

    @Test func noChangeWithAWeekendAudienceAndAQuietWeekIsSilentForFiveWeeks() {
        // 30 pages, each with its own ratio, weekends at 40% of the traffic with an audience 25 points
        // less pleased, a quiet week (a third of the traffic) within the evaluated days, and day-to-day
        // swings of up to ±6 points (a fixed hash, not a random generator: the test is the same every run),
        // more than binomial noise at these volumes, which the overdispersion must absorb.
        let days = 130, first = Self.start
        let pages = (0..<30).map { k -> PageSeries in
            var s = PageSeries(page: "/weekly-\(k)", firstDay: first, days: days)
            for i in 0..<days {
                let weekend = DayCalendar.weekday(first + i) >= 5
                let votes = Int(Double(60 + 10 * k) * (weekend ? 0.4 : 1) * (100..<107 ~= i ? 0.35 : 1))
                let swing = 0.12 * (Double((i * 7919 + k * 104_729) % 1000) / 1000 - 0.5)
                let ratio = 0.7 + 0.006 * Double(k) - (weekend ? 0.25 : 0) + swing
                let up = min(votes, max(0, Int((Double(votes) * ratio).rounded())))
                s.add(day: first + i, up: up, down: votes - up, downComments: (votes - up) / 5)
            }
            return s
        }
        for asOf in (days - 35)..<days {
            let found = Detector.evaluate(pages, asOfDay: first + asOf).detections
            #expect(found.isEmpty, "as of day \(asOf): \(found.map(\.summary))")
        }
    }

    @Test func theKnownOnsetTestIsTheCeiling() throws {
        let onset = 78, asOf = Self.start + onset + 21
        let page = sliding(onset: onset, votes: 40)
        let known = try #require(KnownOnset.declineP(page, onsetDay: Self.start + onset, asOfDay: asOf))
        let found = try #require(Detector.decline(page, asOf, DetectorOptions()))
        // No scan and no correction: smaller than the detector's p on the same votes.
        #expect(known < found.p)
        #expect(known < 1e-4)
        let flat = build.page("/flat", votes: { _ in 40 }, ratio: { _ in 0.8 })
        #expect(try #require(KnownOnset.declineP(flat, onsetDay: Self.start + onset, asOfDay: asOf)) > 0.05)
        // An onset outside the window cannot be tested.
        #expect(KnownOnset.declineP(page, onsetDay: asOf + 1, asOfDay: asOf) == nil)
    }
}
