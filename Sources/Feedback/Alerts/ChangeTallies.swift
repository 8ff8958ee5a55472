/// Votes (spam left out) in many change windows at once, for `GET /v1/changes`, fix alerts and the
/// digest.
///
/// A window starts and ends at any instant, so it was counted from the rows, one query per window.
/// SQLite's `feedback` has no index by page and time, so each query walked every row of its page:
/// 13,000 resolution days on a million rows took about a minute. Now a window is cut into whole UTC
/// days (`rollup_page_daily`), whole hours (`rollup_page_hourly`) and at most two pieces of an hour
/// at its ends, which are counted from the rows of that hour, each hour read once for all windows
/// (`ChangeTallies+Reads.swift`). Every read folds the pending rows first and the rows read are the
/// folded ones, so the three agree as long as the rollups are kept by Hearken itself (rows changed by
/// plain SQL are not re-counted).
struct ChangeTallies {
    /// What a window counts: one page, or every page whose key starts with a prefix ("" for all).
    enum Scope: Hashable {
        case page(String)
        case prefix(String)

        init(_ subject: ChangeSubject) {
            self = subject.page.map(Scope.page) ?? .prefix(subject.pagePrefix ?? "")
        }

        /// Byte-wise, as SQL's `page_key >= prefix AND page_key < prefix || U+10FFFF` compares.
        func contains(_ pageKey: String) -> Bool {
            switch self {
            case .page(let page): pageKey == page
            case .prefix(let prefix): pageKey.utf8.starts(with: prefix.utf8)
            }
        }
    }

    struct Window {
        let scope: Scope
        let from: Int64
        let to: Int64
    }

    /// Part of a window: instants counted from the rows (inside one hour, or before 1970-01-02), or
    /// whole hours, or whole days (numbers since the epoch).
    enum Piece: Equatable {
        case rows(Range<Int64>)
        case hours(Range<Int64>)
        case days(Range<Int64>)
    }

    static let hour: Int64 = 3_600_000
    static let gapRead: Int64 = 3
    static let day: Int64 = 86_400_000

    /// Votes per hour or day of one scope, keys ascending, with running sums (`up[i]`: of the first `i`).
    struct Sums {
        private(set) var keys: [Int64] = []
        private(set) var up: [Int] = [0]
        private(set) var total: [Int] = [0]

        mutating func append(_ key: Int64, up votesUp: Int, total votes: Int) {
            keys.append(key)
            up.append(up[up.count - 1] + votesUp)
            total.append(total[total.count - 1] + votes)
        }

        func tally(_ range: Range<Int64>) -> VoteTally {
            let lower = keys.partitionIndex { $0 >= range.lowerBound }, upper = keys.partitionIndex { $0 >= range.upperBound }
            return VoteTally(up: up[upper] - up[lower], total: total[upper] - total[lower])
        }
    }

    /// Rows of one scope read for the pieces of one hour, by time, with running sums of up votes.
    struct Rows {
        private(set) var times: [Int64] = []
        private(set) var up: [Int] = [0]

        mutating func append(_ time: Int64, up vote: Int) {
            times.append(time)
            up.append(up[up.count - 1] + vote)
        }

        func tally(_ range: Range<Int64>) -> VoteTally {
            let lower = times.partitionIndex { $0 >= range.lowerBound }, upper = times.partitionIndex { $0 >= range.upperBound }
            return VoteTally(up: up[upper] - up[lower], total: upper - lower)
        }
    }

    private(set) var daySums: [Scope: Sums] = [:]
    private(set) var hourSums: [Scope: Sums] = [:]
    /// The rows of each read, by scope; `readOf` finds the read of a piece by `rowsKey` of its start.
    private(set) var rows: [[Scope: Rows]] = []
    private(set) var readOf: [Int64: Int] = [:]

    /// Reads what `windows` need, no more: per scope its span of days and of hours, and the rows of
    /// each hour some window starts or ends inside.
    init(_ windows: [Window], connection: any SQLSession) throws {
        var days: [Scope: Range<Int64>] = [:], hours: [Scope: Range<Int64>] = [:]
        var rowPieces: [Int64: RowRead] = [:]
        for window in windows {
            for piece in Self.split(from: window.from, to: window.to) {
                switch piece {
                case .days(let range): days[window.scope] = Self.union(days[window.scope], range)
                case .hours(let range): hours[window.scope] = Self.union(hours[window.scope], range)
                case .rows(let range): rowPieces[Self.rowsKey(range.lowerBound), default: RowRead(range: range)].add(range, window.scope)
                }
            }
        }
        for (scope, range) in days { daySums[scope] = try Self.read(.daily, range, of: scope, connection: connection) }
        for (scope, range) in hours { hourSums[scope] = try Self.read(.hourly, range, of: scope, connection: connection) }
        // Pieces in nearby hours are read together (a gap of up to `Self.gapRead` hours is read with
        // them): with many changes, windows end in most hours of a span, and a query per hour costs
        // more than the few rows between.
        var run: (keys: [Int64], read: RowRead)?
        for (key, read) in rowPieces.sorted(by: { $0.key < $1.key }) {
            if let current = run, let last = current.keys.last, last >= 0, key - last <= Self.gapRead + 1 {
                run = (current.keys + [key], current.read.merged(with: read))
                continue
            }
            if let current = run { try readRun(current.keys, current.read, connection: connection) }
            run = ([key], read)
        }
        if let current = run { try readRun(current.keys, current.read, connection: connection) }
    }

    private mutating func readRun(_ keys: [Int64], _ read: RowRead, connection: any SQLSession) throws {
        for key in keys { readOf[key] = rows.count }
        rows.append(try Self.readRows(read, connection: connection))
    }

    /// Votes of `scope` in `[from, to)`.
    func tally(_ scope: Scope, from: Int64, to: Int64) -> VoteTally {
        var tally = VoteTally()
        for piece in Self.split(from: from, to: to) {
            let part: VoteTally? = switch piece {
            case .days(let range): daySums[scope]?.tally(range)
            case .hours(let range): hourSums[scope]?.tally(range)
            case .rows(let range): readOf[Self.rowsKey(range.lowerBound)].flatMap { rows[$0][scope]?.tally(range) }
            }
            tally.up += part?.up ?? 0
            tally.total += part?.total ?? 0
        }
        return tally
    }

    /// `[from, to)` as rows at its ends (inside an hour each), whole hours next to them and whole
    /// days between. Before 1970-01-02 everything is rows: the rollups number hours and days by
    /// `received_at / length`, which rounds toward zero, so their hour and day 0 also hold earlier times.
    static func split(from: Int64, to: Int64) -> [Piece] {
        guard from < to else { return [] }
        var pieces: [Piece] = []
        var start = from
        if start < day {
            pieces.append(.rows(start..<min(to, day)))
            start = day
            guard start < to else { return pieces }
        }
        let firstHour = (start + hour - 1) / hour, endHour = to / hour
        guard firstHour < endHour else { return pieces + [.rows(start..<to)] }
        if start < firstHour * hour { pieces.append(.rows(start..<firstHour * hour)) }
        let firstDay = (firstHour + 23) / 24, endDay = endHour / 24
        if firstDay < endDay {
            if firstHour < firstDay * 24 { pieces.append(.hours(firstHour..<firstDay * 24)) }
            pieces.append(.days(firstDay..<endDay))
            if endDay * 24 < endHour { pieces.append(.hours(endDay * 24..<endHour)) }
        } else {
            pieces.append(.hours(firstHour..<endHour))
        }
        if endHour * hour < to { pieces.append(.rows(endHour * hour..<to)) }
        return pieces
    }

    /// Which read holds a rows piece starting at `time`: its hour, or -1 for everything before 1970-01-02.
    static func rowsKey(_ time: Int64) -> Int64 { time < day ? -1 : time / hour }

    private static func union(_ known: Range<Int64>?, _ range: Range<Int64>) -> Range<Int64> {
        guard let known else { return range }
        return min(known.lowerBound, range.lowerBound)..<max(known.upperBound, range.upperBound)
    }

    /// The rows to read for one hour's pieces: the span of the pieces, and the scopes that need them.
    struct RowRead {
        var range: Range<Int64>
        var scopes: Set<Scope> = []

        mutating func add(_ piece: Range<Int64>, _ scope: Scope) {
            range = ChangeTallies.union(range, piece)
            scopes.insert(scope)
        }

        func merged(with other: RowRead) -> RowRead {
            RowRead(range: ChangeTallies.union(range, other.range), scopes: scopes.union(other.scopes))
        }
    }
}

extension Array {
    /// The first index where `isPast` holds, given that it holds from some index on (binary search).
    func partitionIndex(where isPast: (Element) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let middle = (low + high) / 2
            if isPast(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
