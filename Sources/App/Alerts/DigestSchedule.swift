import Foundation

/// When the weekly digest goes out: a weekday, a time of day and a time zone (default Monday 09:00 UTC).
public struct DigestSchedule: Sendable, Equatable {
    /// 1 Monday … 7 Sunday (ISO 8601).
    public var weekday = 1
    public var hour = 9
    public var minute = 0
    public var zone = TimeZone(identifier: "UTC") ?? TimeZone.current

    public init() {}

    static let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    static let fullDays = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// `off`, or `DAY HH:MM [ZONE]` such as `mon 09:00 Europe/Berlin`; nil when it does not parse.
    /// Returns `.some(nil)` for `off`.
    public static func parse(_ text: String) -> DigestSchedule?? {
        let parts = text.split(separator: " ").map(String.init)
        if parts.count == 1 && parts[0].lowercased() == "off" { return .some(nil) }
        guard (2...3).contains(parts.count),
              let day = days.indices.first(where: { [days[$0], fullDays[$0]].contains(parts[0].lowercased()) }) else { return nil }
        let time = parts[1].split(separator: ":")
        guard time.count == 2, time[0].count <= 2, time[1].count == 2, let hour = Int(time[0]), let minute = Int(time[1]),
              (0..<24).contains(hour), (0..<60).contains(minute) else { return nil }
        var schedule = DigestSchedule()
        schedule.weekday = day + 1
        schedule.hour = hour
        schedule.minute = minute
        if parts.count == 3 {
            guard let zone = TimeZone(identifier: parts[2]) else { return nil }
            schedule.zone = zone
        }
        return .some(schedule)
    }

    public var description: String {
        // Foundation on Linux names UTC "GMT"; say UTC as the flag does.
        "\(Self.days[weekday - 1]) \(String(format: "%02d:%02d", hour, minute)) \(zone.identifier == "GMT" ? "UTC" : zone.identifier)"
    }

    /// The latest scheduled instant at or before `now`, Unix milliseconds.
    public func latest(atOrBefore now: Int64) -> Int64? {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = zone
        var components = DateComponents()
        components.weekday = weekday % 7 + 1 // Calendar counts Sunday as 1
        components.hour = hour
        components.minute = minute
        let date = Date(timeIntervalSince1970: Double(now) / 1000)
        guard let next = calendar.nextDate(after: date, matching: components, matchingPolicy: .nextTime, direction: .backward) else { return nil }
        let ms = Int64((next.timeIntervalSince1970 * 1000).rounded())
        // nextDate(after:) is strict; an instant exactly on the schedule is its own latest.
        if let exact = calendar.nextDate(after: date.addingTimeInterval(-0.001), matching: components, matchingPolicy: .nextTime), Int64((exact.timeIntervalSince1970 * 1000).rounded()) == now {
            return now
        }
        return ms
    }
}
