import Foundation
import Testing
@testable import App
@testable import Feedback

@Suite struct DigestScheduleTests {
    func instant(_ text: String) throws -> Int64 { try #require(QueryParameters.parseTime(text, now: 0)) }

    @Test func parsesDayTimeAndZoneOrOff() throws {
        let berlin = try #require(DigestSchedule.parse("fri 16:30 Europe/Berlin") ?? nil)
        #expect(berlin.weekday == 5 && berlin.hour == 16 && berlin.minute == 30 && berlin.zone.identifier == "Europe/Berlin")
        let monday = try #require(DigestSchedule.parse("Monday 9:00") ?? nil)
        #expect(monday.weekday == 1 && monday.hour == 9 && monday.zone.secondsFromGMT() == 0 && monday.description == "mon 09:00 UTC")
        #expect(DigestSchedule.parse("off") != nil && (DigestSchedule.parse("off") ?? DigestSchedule()) == nil)
        for bad in ["", "mon", "mon 24:00", "mon 9", "mon 09:60", "someday 09:00", "mon 09:00 Mars/Olympus", "mon 09:00 UTC extra"] {
            #expect(DigestSchedule.parse(bad) == nil, "\(bad)")
        }
    }

    /// Monday 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z in summer (CEST).
    @Test func latestSlotFollowsTheZoneAndItsDaylightSaving() throws {
        let schedule = try #require(DigestSchedule.parse("mon 09:00 Europe/Berlin") ?? nil)
        #expect(schedule.latest(atOrBefore: try instant("2026-11-30T10:00:00Z")) == (try instant("2026-11-30T08:00:00Z")))
        #expect(schedule.latest(atOrBefore: try instant("2026-11-30T08:00:00Z")) == (try instant("2026-11-30T08:00:00Z")), "the slot itself")
        #expect(schedule.latest(atOrBefore: try instant("2026-11-30T07:59:59Z")) == (try instant("2026-11-23T08:00:00Z")))
        #expect(schedule.latest(atOrBefore: try instant("2026-07-08T12:00:00Z")) == (try instant("2026-07-06T07:00:00Z")))
    }
}
