/// Recent votes by (client hash, page, rating), so the same client voting the same way on the same
/// page within the window counts once. Kept in memory on the writer's queue and rebuilt from the
/// database at startup; bounded, oldest entries go first. Entries staged during a transaction become
/// visible to later batches only once it commits.
struct DuplicateIndex {
    struct Key: Hashable {
        let clientHash: String
        let pageKey: String
        let rating: Rating
    }

    struct Entry {
        let id: Int64
        let receivedAt: Int64
    }

    let window: Int64
    let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var order: [(key: Key, receivedAt: Int64)] = []
    private var orderStart = 0
    private var staged: [Key: Entry] = [:]

    init(window: Int64, capacity: Int = 200_000) {
        self.window = window
        self.capacity = capacity
    }

    var isEnabled: Bool { window > 0 }

    /// The earlier vote this one repeats, if any, within the window.
    func find(_ key: Key, now: Int64) -> Entry? {
        guard isEnabled else { return nil }
        if let entry = staged[key] ?? entries[key], now - entry.receivedAt < window { return entry }
        return nil
    }

    mutating func stage(_ key: Key, _ entry: Entry) {
        guard isEnabled else { return }
        staged[key] = entry
    }

    mutating func commit(now: Int64) {
        for (key, entry) in staged {
            entries[key] = entry
            order.append((key, entry.receivedAt))
        }
        staged.removeAll(keepingCapacity: true)
        prune(now: now)
    }

    mutating func discard() { staged.removeAll(keepingCapacity: true) }

    /// Forgets entries past the window, and the oldest ones beyond capacity.
    mutating func prune(now: Int64) {
        while orderStart < order.count, order[orderStart].receivedAt <= now - window || entries.count > capacity {
            let old = order[orderStart]
            if let current = entries[old.key], current.receivedAt == old.receivedAt { entries[old.key] = nil }
            orderStart += 1
        }
        if orderStart > 4096 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
    }
}
