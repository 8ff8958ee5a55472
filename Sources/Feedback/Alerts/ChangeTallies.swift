/// Votes (spam left out) in many change windows at once, for `GET /v1/changes`, fix alerts and the
/// digest.
///
/// A window starts and ends at any instant, so it was counted from the rows, one query per window.
/// SQLite's `feedback` has no index by page and time, so each query walked every row of its page:
/// 13,000 resolution days on a million rows took about a minute. Whole UTC days now come from
/// `rollup_page_daily` (spam left out there too), one query per page or prefix, and only the days a
/// window starts or ends inside are counted from the rows, each such day read once for all windows.
/// Rollups and rows agree because every read folds the pending rows first.
struct ChangeTallies {
    /// What a window counts: one page, or every page whose key starts with a prefix ("" for all).
    enum Scope: Hashable {
        case page(String)
        case prefix(String)

        init(_ subject: ChangeSubject) {
            self = subject.page.map(Scope.page) ?? .prefix(subject.pagePrefix ?? "")
        }

        func contains(_ pageKey: String) -> Bool {
            switch self {
            case .page(let page): pageKey == page
            case .prefix(let prefix): pageKey.hasPrefix(prefix)
            }
        }
    }

    struct Window {
        let scope: Scope
        let from: Int64
        let to: Int64
    }

    private static let day: Int64 = 86_400_000

    /// Whole days of one scope, ascending, with running sums: `up[i]` is the up votes of the first `i` days.
    struct DaySums {
        var days: [Int64] = []
        var up: [Int] = [0]
        var total: [Int] = [0]
    }

    /// One scope's rows of one day, by time, with running sums of up votes (`up[i]`: of the first `i`).
    struct DayRows {
        var times: [Int64] = []
        var up: [Int] = [0]

        mutating func append(_ time: Int64, up vote: Int) {
            times.append(time)
            up.append(up[up.count - 1] + vote)
        }
    }

    var daySums: [Scope: DaySums] = [:]
    var dayRows: [Scope: [Int64: DayRows]] = [:]

    /// Reads what `windows` need, no more.
    init(_ windows: [Window], connection: any SQLSession) throws {
        var wholeDays: [Scope: Range<Int64>] = [:]
        var partialDays: [Int64: (range: Range<Int64>, scopes: Set<Scope>)] = [:]
        var pagePartials: [String: Range<Int64>] = [:]
        for window in windows {
            let (partials, whole) = Self.split(from: window.from, to: window.to)
            if !whole.isEmpty { wholeDays[window.scope] = Self.union(wholeDays[window.scope], whole) }
            for part in partials {
                let known = partialDays[part.day]
                partialDays[part.day] = (Self.union(known?.range, part.range), (known?.scopes ?? []).union([window.scope]))
                if case .page(let page) = window.scope { pagePartials[page] = Self.union(pagePartials[page], part.range) }
            }
        }
        // A page's every day (its total says what reading its rows costs); a prefix's days in range.
        for scope in Set(wholeDays.keys).union(pagePartials.keys.map(Scope.page)) {
            if case .page = scope { daySums[scope] = try Self.readDays(scope, nil, connection: connection) }
            else if let days = wholeDays[scope] { daySums[scope] = try Self.readDays(scope, days, connection: connection) }
        }
        // The parts of days: each page's own rows, or each day's rows of every page, whichever is fewer.
        if try readsFewerByPage(pagePartials, partialDays.keys, connection: connection) {
            for (page, range) in pagePartials { try readRows(of: page, range, connection: connection) }
            for (day, need) in partialDays {
                let scopes = need.scopes.filter { if case .page = $0 { false } else { true } }
                partialDays[day] = scopes.isEmpty ? nil : (need.range, scopes)
            }
        }
        for (day, need) in partialDays.sorted(by: { $0.key < $1.key }) { try readRows(day: day, need.range, for: need.scopes, connection: connection) }
    }

    private static func union(_ known: Range<Int64>?, _ range: Range<Int64>) -> Range<Int64> {
        guard let known else { return range }
        return min(known.lowerBound, range.lowerBound)..<max(known.upperBound, range.upperBound)
    }

    /// Votes of `scope` in `[from, to)`.
    func tally(_ scope: Scope, from: Int64, to: Int64) -> VoteTally {
        var tally = VoteTally()
        let (partials, whole) = Self.split(from: from, to: to)
        for part in partials {
            guard let rows = dayRows[scope]?[part.day] else { continue }
            let lower = Self.firstIndex(in: rows.times, notBelow: part.range.lowerBound)
            let upper = Self.firstIndex(in: rows.times, notBelow: part.range.upperBound)
            tally.up += rows.up[upper] - rows.up[lower]
            tally.total += upper - lower
        }
        if !whole.isEmpty, let sums = daySums[scope] {
            let lower = Self.firstIndex(in: sums.days, notBelow: whole.lowerBound)
            let upper = Self.firstIndex(in: sums.days, notBelow: whole.upperBound)
            tally.up += sums.up[upper] - sums.up[lower]
            tally.total += sums.total[upper] - sums.total[lower]
        }
        return tally
    }

    /// `[from, to)` as at most two parts of days to count from the rows (where it starts or ends
    /// inside a day) and the whole days between them.
    static func split(from: Int64, to: Int64) -> (partials: [(day: Int64, range: Range<Int64>)], whole: Range<Int64>) {
        guard from < to else { return ([], 0..<0) }
        let first = floorDay(from), last = floorDay(to)
        if first == last { return ([(first, from..<to)], 0..<0) }
        var partials: [(day: Int64, range: Range<Int64>)] = []
        var wholeStart = first
        if from != first * day {
            partials.append((first, from..<(first + 1) * day))
            wholeStart += 1
        }
        if to != last * day { partials.append((last, last * day..<to)) }
        return (partials, wholeStart..<last)
    }

    static func floorDay(_ time: Int64) -> Int64 {
        time >= 0 ? time / day : -((-time + day - 1) / day)
    }

    /// The first index whose value is at least `value` (`values` ascending).
    private static func firstIndex(in values: [Int64], notBelow value: Int64) -> Int {
        var low = 0, high = values.count
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
