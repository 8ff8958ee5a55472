import Foundation
import SQLite

/// Fills a database with realistic synthetic feedback for benchmarks and demos: a long tail of
/// pages (Zipf), page-specific helpfulness, reasons and comments that match the vote, several
/// sources, and a few pages whose helpfulness dropped in the last week (what insights should find).
public struct Seeder {
    public var rows: Int
    public var days: Int = 90
    public var pages: Int = 2000
    public var seed: UInt64 = 42
    /// Pages made worse in the last 7 days.
    public var regressions: Int = 5

    public init(rows: Int) { self.rows = rows }

    public func regressedPages() -> [String] {
        (0..<min(regressions, pages)).map { pagePath(($0 * 7 + 3) % pages) }
    }

    func pagePath(_ index: Int) -> String {
        let sections = ["guides", "api", "reference", "tutorials", "sdks", "concepts"]
        let section = sections[index % sections.count]
        return "https://docs.example.com/\(section)/topic-\(index / sections.count)/page-\(index)"
    }

    /// Inserts `rows` rows ending now, in transactions of 5,000; returns the count written.
    @discardableResult
    public func run(connection: Connection, now: Int64 = Timestamp.nowMilliseconds(), progress: (Int) -> Void = { _ in }) throws -> Int {
        try generate(now: now, progress: progress) { batch in
            try connection.transaction(.immediate) {
                for row in batch {
                    _ = try FeedbackRows.insert(row.feedback, receivedAt: row.receivedAt, clientHash: nil, connection: connection)
                }
                // Folded in the same transaction: a seeded database is complete as each batch commits.
                try DerivedData.fold(limit: .max, connection: connection)
            }
        }
    }

    /// The rows ending at `now`, oldest first, handed to `write` 5,000 at a time (any backend);
    /// returns the count written.
    func generate(now: Int64, progress: (Int) -> Void, _ write: ([(feedback: NewFeedback, receivedAt: Int64)]) throws -> Void) throws -> Int {
        var random = SplitMix64(seed: seed)
        let zipf = ZipfTable(count: pages, exponent: 1.1)
        let regressed = Set((0..<min(regressions, pages)).map { ($0 * 7 + 3) % pages })
        let span = Int64(days) * 86_400_000
        let recentStart = now - 7 * 86_400_000
        let comments = ["The example does not compile anymore.", "Token example is stale.", "Missing a section on pagination.",
                        "Great walkthrough, thanks!", "Which version does this apply to?", "The code sample returns 401.",
                        "Clear and concise.", "Screenshots are outdated.", "Link to the SDK is broken.", "Exactly what I needed."]
        let sources = ["docs", "docs", "docs", "docs", "docs", "docs", "docs", "portal", "portal", "guide", "api-reference"]
        let upReasons = ["solved-my-problem", "easy-to-understand", "good-examples"]
        let downReasons = ["inaccurate", "outdated", "missing-information", "hard-to-understand", "broken-example", "other"]
        var written = 0
        while written < rows {
            let batch = (0..<min(5000, rows - written)).map { i -> (feedback: NewFeedback, receivedAt: Int64) in
                let index = zipf.sample(&random)
                // Spread times evenly so ids stay in time order, as live ingestion makes them.
                let at = now - span + span * Int64(written + i) / Int64(max(rows, 1))
                var helpful = 0.55 + 0.4 * Double((index * 2_654_435_761) % 1000) / 1000
                if regressed.contains(index) && at >= recentStart { helpful = 0.15 }
                let up = random.unit() < helpful
                let reason: String? = random.unit() < 0.6 ? (up ? upReasons : downReasons)[Int(random.next() % UInt64(up ? 3 : 6))] : nil
                let comment: String? = random.unit() < (up ? 0.08 : 0.3) ? comments[Int(random.next() % UInt64(comments.count))] : nil
                let page = pagePath(index)
                let feedback = NewFeedback(
                    page: page, pageKey: page, rating: up ? .up : .down, reason: reason, comment: comment,
                    source: sources[Int(random.next() % UInt64(sources.count))],
                    labels: [("version", "v\(1 + Int(random.next() % 3))")], email: nil, userAgent: "seed", origin: nil, referer: nil, clientAddress: nil)
                return (feedback, at)
            }
            try write(batch)
            written += batch.count
            progress(written)
        }
        return written
    }
}

/// A small, fast, seedable generator (not for secrets).
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// Samples page indexes with Zipf weights by binary search over the cumulative weights.
struct ZipfTable {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        var values: [Double] = []
        values.reserveCapacity(count)
        for rank in 1...max(count, 1) {
            total += 1 / pow(Double(rank), exponent)
            values.append(total)
        }
        cumulative = values.map { $0 / total }
    }

    func sample(_ random: inout SplitMix64) -> Int {
        let u = random.unit()
        var low = 0, high = cumulative.count - 1
        while low < high {
            let mid = (low + high) / 2
            if cumulative[mid] < u { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
