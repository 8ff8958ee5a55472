import Synchronization

/// Why a submission was not stored.
public enum DropReason: String, CaseIterable, Sendable {
    case rateLimit = "rate_limit"
    case honeypot
    case duplicate
    case crawler
    case origin
}

/// Counts dropped submissions by reason and UTC day. Counting is a memory increment (filters run on
/// event-loop threads, often under attack); the maintenance timer adds the counts to `dropped_daily`.
public final class DropCounter: Sendable {
    private struct Key: Hashable {
        let day: Int64
        let reason: DropReason
    }

    private struct Counts {
        var unflushed: [Key: Int] = [:]
        /// Taken by a flush whose transaction has not committed yet; still reported by `counts`.
        var inFlight: [Key: Int] = [:]
    }

    private let state = Mutex(Counts())
    /// Called for every drop, for example to feed a metrics counter.
    private let observer: (@Sendable (DropReason) -> Void)?

    public init(observer: (@Sendable (DropReason) -> Void)? = nil) {
        self.observer = observer
    }

    public func count(_ reason: DropReason, now: Int64 = Timestamp.nowMilliseconds()) {
        state.withLock { $0.unflushed[Key(day: now / Rollups.dayMilliseconds, reason: reason), default: 0] += 1 }
        observer?(reason)
    }

    /// Adds the counts taken since the last flush to the table; on failure they are kept for the next one.
    func flush(_ connection: any SQLSession) throws {
        let taken = state.withLock { counts in
            let taken = counts.unflushed
            counts.unflushed.removeAll()
            counts.inFlight = taken
            return taken
        }
        guard !taken.isEmpty else { return }
        defer { state.withLock { $0.inFlight.removeAll() } }
        do {
            try connection.withTransaction {
                for (key, count) in taken {
                    try connection.perform(
                        "INSERT INTO dropped_daily(day, reason, count) VALUES (?, ?, ?) ON CONFLICT (day, reason) DO UPDATE SET count = dropped_daily.count + excluded.count",
                        [key.day, key.reason.rawValue, count]
                    )
                }
            }
        } catch {
            state.withLock { counts in for (key, count) in taken { counts.unflushed[key, default: 0] += count } }
            throw error
        }
    }

    /// Drops per day and reason from `sinceDay` on, stored and not yet stored.
    public func counts(sinceDay: Int64, connection: any SQLSession) throws -> [(day: Int64, reason: String, count: Int)] {
        var merged: [String: (day: Int64, reason: String, count: Int)] = [:]
        _ = try connection.fetch("SELECT day, reason, count FROM dropped_daily WHERE day >= ?", [sinceDay]) { row in
            merged["\(row.int64(0))|\(row.string(1))"] = (row.int64(0), row.string(1), row.int(2))
        }
        let pending = state.withLock { $0.unflushed.merging($0.inFlight, uniquingKeysWith: +) }
        for (key, count) in pending where key.day >= sinceDay {
            merged["\(key.day)|\(key.reason.rawValue)", default: (key.day, key.reason.rawValue, 0)].count += count
        }
        return merged.values.sorted { ($0.day, $0.reason) < ($1.day, $1.reason) }
    }
}
