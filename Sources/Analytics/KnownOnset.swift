/// The test a method that knew the answer would run: the slow-decline model (weekday rates plus a
/// hinge) at the true onset, one test, no scan over onsets and no false-discovery correction. The
/// simulator uses its power as the ceiling no detector can beat on the same votes; nothing in the
/// service calls it (a service does not know onsets).
public enum KnownOnset {
    /// One-sided p of "the helpful ratio falls linearly from `onsetDay` on" (the first day already
    /// lower, as in a slide that loses a little every day), over the `trendDays` days ending with
    /// `asOfDay`; overdispersion measured on the days before the onset, as the detector does. Nil
    /// when the window holds no votes after the onset.
    public static func declineP(_ page: PageSeries, onsetDay: Int, asOfDay: Int, trendDays: Int = DetectorOptions().trendDays) -> Double? {
        let window = page.window(endingAt: asOfDay, length: trendDays)
        let onset = onsetDay - window.firstDay
        guard onset > 0, onset < window.count, window.sum(window.votes, onset..<window.count) > 0 else { return nil }
        let dispersion = ScoreTest.dispersion(window, 0..<onset)
        guard let test = LikelihoodRatio.run(window, x: { Double(max(0, $0 - onset + 1)) }, dispersion: dispersion) else { return nil }
        return Statistics.normalUpperTail(-test.r)
    }
}
