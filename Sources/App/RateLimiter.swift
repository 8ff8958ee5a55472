import HTTP
import Synchronization

/// A token bucket per client: `perMinute` requests a minute on average, with bursts of `burst`.
/// Buckets live in shards (one lock each) so event-loop threads rarely contend; full, idle buckets
/// are dropped when a shard grows, so memory stays bounded under address-rotating floods.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    let perMinute: Int
    let burst: Int
    private final class Shard: Sendable {
        let buckets = Mutex<[String: Bucket]>([:])
    }

    private let shards: [Shard]
    private let maxPerShard: Int

    init(perMinute: Int, burst: Int? = nil, shards: Int = 16, maxClients: Int = 200_000) {
        self.perMinute = perMinute
        self.burst = burst ?? max(5, perMinute / 6)
        self.shards = (0..<shards).map { _ in Shard() }
        maxPerShard = max(16, maxClients / shards)
    }

    var isEnabled: Bool { perMinute > 0 }

    /// nil when the request may proceed; otherwise the seconds until one token is back.
    func take(_ client: String, now: Int64) -> Int? {
        guard isEnabled else { return nil }
        let rate = Double(perMinute) / 60_000 // tokens per millisecond
        let capacity = Double(burst)
        let shard = shards[Int(UInt(bitPattern: client.hashValue) % UInt(shards.count))]
        return shard.buckets.withLock { buckets in
            var bucket = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            bucket.tokens = min(capacity, bucket.tokens + Double(max(0, now - bucket.updated)) * rate)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[client] = bucket
                return max(1, Int(((1 - bucket.tokens) / rate / 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[client] = bucket
            if buckets.count > maxPerShard { Self.evict(&buckets, now: now, rate: rate, capacity: capacity) }
            return nil
        }
    }

    /// Drops buckets that have refilled (forgetting them changes nothing), then, if still too many, any.
    private static func evict(_ buckets: inout [String: Bucket], now: Int64, rate: Double, capacity: Double) {
        let limit = buckets.count
        buckets = buckets.filter { _, bucket in bucket.tokens + Double(now - bucket.updated) * rate < capacity }
        if buckets.count * 4 > limit * 3 {
            buckets.removeAll(keepingCapacity: true)
        }
    }
}
