/// One page's daily counts: what every detection method reads. Days are counted from 1970-01-01 (UTC).
public struct PageSeries: Sendable {
    public let page: String
    /// The day of index 0.
    public let firstDay: Int
    public var up: [Int]
    public var down: [Int]
    /// Negative votes that came with a comment.
    public var downComments: [Int]
    /// Negative votes per reason and day; only pages that may be tested for a reason shift need them.
    public var reasons: [String: [Int]]

    /// Zero counts for `days` days starting at `firstDay`.
    public init(page: String, firstDay: Int, days: Int) {
        self.page = page
        self.firstDay = firstDay
        up = Array(repeating: 0, count: days)
        down = up
        downComments = up
        reasons = [:]
    }

    public var lastDay: Int { firstDay + up.count - 1 }

    /// Adds counts for one day (ignored outside the series).
    public mutating func add(day: Int, up: Int = 0, down: Int = 0, downComments: Int = 0) {
        let i = day - firstDay
        guard i >= 0, i < self.up.count else { return }
        self.up[i] += up
        self.down[i] += down
        self.downComments[i] += downComments
    }

    public mutating func addReason(_ reason: String, day: Int, count: Int = 1) {
        let i = day - firstDay
        guard i >= 0, i < up.count else { return }
        reasons[reason, default: Array(repeating: 0, count: up.count)][i] += count
    }

    /// The counts of `length` days ending at `lastDay` (zeros where the series has none).
    func window(endingAt lastDay: Int, length: Int) -> DayWindow {
        let start = lastDay - length + 1
        var window = DayWindow(firstDay: start, length: length)
        for i in 0..<length {
            let j = start + i - firstDay
            guard j >= 0, j < up.count else { continue }
            window.up[i] = up[j]
            window.votes[i] = up[j] + down[j]
            window.downComments[i] = downComments[j]
        }
        return window
    }

    /// Per reason, its negative votes over the same `length` days.
    func reasonWindow(endingAt lastDay: Int, length: Int) -> [(reason: String, counts: [Int])] {
        let start = lastDay - length + 1
        return reasons.keys.sorted().map { reason in
            let daily = reasons[reason] ?? []
            let counts = (0..<length).map { i -> Int in
                let j = start + i - firstDay
                return j >= 0 && j < daily.count ? daily[j] : 0
            }
            return (reason, counts)
        }
    }
}

/// A contiguous run of days, index 0 oldest.
struct DayWindow {
    let firstDay: Int
    var up: [Int]
    var votes: [Int]
    var downComments: [Int]

    init(firstDay: Int, length: Int) {
        self.firstDay = firstDay
        up = Array(repeating: 0, count: length)
        votes = up
        downComments = up
    }

    var count: Int { up.count }
    /// 0 = Monday … 6 = Sunday (1970-01-01 was a Thursday).
    func weekday(_ i: Int) -> Int { DayCalendar.weekday(firstDay + i) }

    func sum(_ values: [Int], _ range: Range<Int>) -> Int { range.reduce(0) { $0 + values[$1] } }
}

/// Day arithmetic without Foundation's calendars: days since 1970-01-01 to weekdays and dates.
public enum DayCalendar {
    /// 0 = Monday … 6 = Sunday.
    public static func weekday(_ day: Int) -> Int { ((day + 3) % 7 + 7) % 7 }

    /// `YYYY-MM-DD` of a day number (Howard Hinnant's civil_from_days).
    public static func date(_ day: Int) -> String {
        let z = day + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int, _ width: Int) -> String { String(repeating: "0", count: max(0, width - String(v).count)) + String(v) }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))"
    }
}
