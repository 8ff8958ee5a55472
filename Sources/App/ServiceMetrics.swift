import CoreMetrics
import Feedback
import HTTP
import Prometheus
import Synchronization

/// The service's metrics, recorded through swift-metrics into a Prometheus registry of this
/// application's own (no global bootstrap, so several apps can live in one process, as in tests).
/// Metric objects are created once per label set and cached. The per-request families are kept
/// apart, without locks or lookups (`RequestMetrics`), and appended on scrape.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// Counters by "source rating", and the sources that have a label of their own.
    private struct AcceptedCounters {
        var counters: [String: CoreMetrics.Counter] = [:]
        var namedSources: Set<String> = []
    }
    private let accepted = Mutex(AcceptedCounters())
    private let rejected = Mutex<[String: CoreMetrics.Counter]>([:])
    private let webhookOutcomes = Mutex<[String: CoreMetrics.Counter]>([:])
    private let batchSize: CoreMetrics.Recorder
    private let commitTime: CoreMetrics.Timer
    private let connections: CoreMetrics.Gauge
    private let databaseSize: CoreMetrics.Gauge
    private let walFrames: CoreMetrics.Gauge
    private let foldFailures: CoreMetrics.Counter
    /// Sources are readers' input: past this many distinct ones, the rest count as `other`.
    static let maxSources = 50

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let fast: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5),
                                .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5)]
        factory.durationHistogramBuckets = ["hearken_db_commit_duration_seconds": fast]
        factory.valueHistogramBuckets = ["hearken_db_write_batch_rows": [1, 2, 4, 8, 16, 32, 64, 128, 256]]
        self.factory = factory
        batchSize = CoreMetrics.Recorder(label: "hearken_db_write_batch_rows", dimensions: [], aggregate: true, factory: factory)
        commitTime = CoreMetrics.Timer(label: "hearken_db_commit_duration_seconds", dimensions: [], factory: factory)
        connections = CoreMetrics.Gauge(label: "hearken_http_open_connections", dimensions: [], factory: factory)
        databaseSize = CoreMetrics.Gauge(label: "hearken_db_size_bytes", dimensions: [], factory: factory)
        walFrames = CoreMetrics.Gauge(label: "hearken_db_wal_frames_written", dimensions: [], factory: factory)
        foldFailures = CoreMetrics.Counter(label: "hearken_db_fold_failures_total", dimensions: [], factory: factory)
    }

    func foldFailed() { foldFailures.increment() }

    func accepted(source: String, rating: String) {
        let counter = accepted.withLock { cache in
            // Counted in distinct sources, not source-rating pairs, so the cap is what the README says.
            if cache.namedSources.count < Self.maxSources { cache.namedSources.insert(source) }
            let label = cache.namedSources.contains(source) ? source : "other"
            let key = "\(label) \(rating)"
            if let found = cache.counters[key] { return found }
            let made = CoreMetrics.Counter(label: "hearken_feedback_accepted_total", dimensions: [("source", label), ("rating", rating)], factory: factory)
            cache.counters[key] = made
            return made
        }
        counter.increment()
    }

    /// `validation`, `rate_limit`, `honeypot`, `origin`, `duplicate`, `crawler`.
    func rejected(_ reason: String) {
        let counter = rejected.withLock { cache in
            if let found = cache[reason] { return found }
            let made = CoreMetrics.Counter(label: "hearken_feedback_rejected_total", dimensions: [("reason", reason)], factory: factory)
            cache[reason] = made
            return made
        }
        counter.increment()
    }

    /// A webhook delivery ended: `delivered`, `failed` (gave up) or `disabled` (410 Gone).
    func webhookDelivery(_ outcome: String) {
        webhookCounter("hearken_webhook_deliveries_total", ("outcome", outcome)).increment()
    }

    /// One webhook attempt that did not deliver (an error status, a timeout, a refused connection).
    func webhookAttemptFailed() {
        webhookCounter("hearken_webhook_attempt_failures_total", nil).increment()
    }

    private func webhookCounter(_ label: String, _ dimension: (String, String)?) -> CoreMetrics.Counter {
        webhookOutcomes.withLock { cache in
            let key = label + " " + (dimension?.1 ?? "")
            if let found = cache[key] { return found }
            let made = CoreMetrics.Counter(label: label, dimensions: dimension.map { [$0] } ?? [], factory: factory)
            cache[key] = made
            return made
        }
    }

    func batchCommitted(rows: Int, nanoseconds: UInt64) {
        batchSize.record(rows)
        commitTime.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// The Prometheus text exposition, with the gauges read now.
    func render(openConnections: Int, databaseBytes: Int, walFramesWritten: Int, requests: RequestMetrics) -> [UInt8] {
        connections.record(openConnections)
        databaseSize.record(databaseBytes)
        walFrames.record(walFramesWritten)
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        var perRequest = ""
        requests.render(into: &perRequest)
        buffer += perRequest.utf8
        return buffer
    }
}
