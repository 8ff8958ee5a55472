import HTTP
import Synchronization

/// `hearken_http_requests_total` and `hearken_http_request_duration_seconds`, recorded for every
/// answered request without a lock or a hash: each route (by `Router.Route.index`) and common status
/// has its counter in a fixed array, each route pattern its histogram (the routes of one pattern,
/// GET and POST `/v1/feedback`, share it: one series per label set), all atomics, read on scrape.
/// Everything else (unmatched and unparseable requests, HEAD on a GET route, rare statuses, routes
/// added after this was built) is counted under a lock, by its labels.
final class RequestMetrics: Sendable {
    /// `Atomic` cannot be copied, so an array holds it through a class.
    final class Cell: Sendable {
        let value = Atomic<Int>(0)
        func add(_ amount: Int) { value.wrappingAdd(amount, ordering: .relaxed) }
        var current: Int { value.load(ordering: .relaxed) }
    }

    private struct Labels: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    static let statuses = [200, 201, 202, 204, 301, 302, 303, 304, 400, 401, 403, 404, 405, 409, 410, 413, 415, 422, 429, 500, 503]
    /// Histogram bucket bounds: 100 µs to 5 s.
    static let bounds: [UInt64] = [100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
                                   100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000]
    private static let boundLabels = bounds.map { String(Double($0) / 1e9) } + ["+Inf"]
    /// Cells per histogram: one per bucket (not cumulative), +Inf, the sum in nanoseconds. The count is
    /// the buckets' total, so a scrape during an observation never shows more in +Inf than in `_count`.
    private static let histogramCells = bounds.count + 2

    private let routes: [(method: String, pattern: String)]
    private let counts: [Cell]
    /// The histograms' route labels: each pattern once, in the order routes first use it, then the
    /// patterns of routes registered after this was built, then `unmatched` and `invalid`.
    private let patterns: [String]
    /// Each route's histogram: its pattern's place in `patterns`.
    private let histogramOfRoute: [Int]
    private let histograms: [Cell]
    private let others = Mutex<[Labels: Int]>([:])

    /// `laterPatterns`: routes registered after these (the scrape's own), counted by their pattern.
    init(routes: [Router.Route], laterPatterns: [String] = []) {
        self.routes = routes.map { ($0.method, $0.pattern) }
        counts = (0..<(routes.count * Self.statuses.count)).map { _ in Cell() }
        var patterns: [String] = [], slots: [Int] = []
        for route in routes {
            if let slot = patterns.firstIndex(of: route.pattern) {
                slots.append(slot)
            } else {
                slots.append(patterns.count)
                patterns.append(route.pattern)
            }
        }
        patterns += laterPatterns.filter { !patterns.contains($0) } + ["unmatched", "invalid"]
        self.patterns = patterns
        histogramOfRoute = slots
        histograms = (0..<(patterns.count * Self.histogramCells)).map { _ in Cell() }
    }

    /// The status's place in `statuses`; a switch, not a lookup.
    static func statusSlot(_ status: Int) -> Int? {
        switch status {
        case 200: 0
        case 201: 1
        case 202: 2
        case 204: 3
        case 301: 4
        case 302: 5
        case 303: 6
        case 304: 7
        case 400: 8
        case 401: 9
        case 403: 10
        case 404: 11
        case 405: 12
        case 409: 13
        case 410: 14
        case 413: 15
        case 415: 16
        case 422: 17
        case 429: 18
        case 500: 19
        case 503: 20
        default: nil
        }
    }

    func record(_ exchange: CompletedExchange) {
        let known = exchange.routeIndex.flatMap { $0 < routes.count ? $0 : nil }
        let histogram: Int
        if let known {
            histogram = histogramOfRoute[known]
        } else if let index = histogramIndex(route: exchange.route) {
            histogram = index
        } else {
            histogram = -1
        }
        if histogram >= 0 { observe(exchange.durationNanoseconds, histogram: histogram) }
        if let known, routes[known].method == exchange.method, let slot = Self.statusSlot(exchange.status) {
            counts[known * Self.statuses.count + slot].add(1)
        } else {
            others.withLock { $0[Labels(route: exchange.route, method: exchange.method, status: exchange.status), default: 0] += 1 }
        }
    }

    private func histogramIndex(route: String) -> Int? {
        switch route {
        case "unmatched": patterns.count - 2
        case "invalid": patterns.count - 1
        default: patterns.firstIndex(of: route) // routes added after this was built: rare (the scrape itself)
        }
    }

    private func observe(_ nanoseconds: UInt64, histogram: Int) {
        let base = histogram * Self.histogramCells
        var bucket = 0
        while bucket < Self.bounds.count && nanoseconds > Self.bounds[bucket] { bucket += 1 }
        histograms[base + bucket].add(1)
        histograms[base + Self.bounds.count + 1].add(Int(clamping: nanoseconds))
    }

    /// Both families in the Prometheus text format.
    func render(into out: inout String) {
        out += "# TYPE hearken_http_requests_total counter\n"
        for (index, route) in routes.enumerated() {
            for (slot, status) in Self.statuses.enumerated() {
                let count = counts[index * Self.statuses.count + slot].current
                if count > 0 { counter(route.pattern, route.method, status, count, into: &out) }
            }
        }
        for (labels, count) in others.withLock({ $0 }).sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
            counter(labels.route, labels.method, labels.status, count, into: &out)
        }
        out += "# TYPE hearken_http_request_duration_seconds histogram\n"
        for (index, name) in patterns.enumerated() {
            let base = index * Self.histogramCells
            let buckets = (0..<Self.boundLabels.count).map { histograms[base + $0].current }
            let total = buckets.reduce(0, +)
            guard total > 0 else { continue }
            let route = Self.escape(name)
            var cumulative = 0
            for (count, bound) in zip(buckets, Self.boundLabels) {
                cumulative += count
                out += "hearken_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(cumulative)\n"
            }
            let seconds = Double(histograms[base + Self.bounds.count + 1].current) / 1e9
            out += "hearken_http_request_duration_seconds_sum{route=\"\(route)\"} \(seconds)\n"
            out += "hearken_http_request_duration_seconds_count{route=\"\(route)\"} \(total)\n"
        }
    }

    private func counter(_ route: String, _ method: String, _ status: Int, _ count: Int, into out: inout String) {
        out += "hearken_http_requests_total{route=\"\(Self.escape(route))\",method=\"\(Self.escape(method))\",status=\"\(status)\"} \(count)\n"
    }

    /// Label values as the text format wants them: backslash, quote and newline escaped.
    static func escape(_ value: String) -> String {
        guard value.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") }) else { return value }
        var escaped = ""
        for character in value {
            switch character {
            case "\\": escaped += "\\\\"
            case "\"": escaped += "\\\""
            case "\n": escaped += "\\n"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
