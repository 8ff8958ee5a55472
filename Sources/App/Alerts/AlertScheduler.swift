import Dispatch
import Feedback
import Foundation
import Logging
import Synchronization

/// What `hearken serve` evaluates on its schedule and announces by webhook.
public struct AlertOptions: Sendable {
    /// Seconds between evaluations of findings, fix verdicts and the digest.
    public var insightInterval: Double = 900
    /// Seconds from start to the first evaluation (at most the interval), so a restart does not wait a whole interval.
    public var firstEvaluationDelay: Double = 5
    /// Nil: no weekly digest.
    public var digest: DigestSchedule? = DigestSchedule()
    public var delivery = DeliveryOptions()
    public var changes = Changes.Options()
    public var insights = InsightOptions()
    /// Fix verdicts final longer ago than this are not announced, so upgrading does not announce history.
    public var fixLookback: Int64 = 7 * 86_400_000
    /// Finished deliveries are kept this long for `GET /v1/webhooks/{id}/deliveries`.
    public var deliveryRetention: Int64 = 30 * 86_400_000
    /// A digest more than this late (the server was down at its time) is skipped.
    public var digestGrace: Int64 = 86_400_000

    public init() {}
}

/// Runs an evaluation every `insightInterval` on its own queue: reads on a reader connection (the
/// writer, and so ingestion, is never held by the analysis), then records what is new in small
/// transactions, each queueing its webhook messages with the event it records.
final class AlertScheduler: Sendable {
    private let store: any FeedbackStorage
    private let options: AlertOptions
    private let dispatcher: WebhookDispatcher
    private let logger: Logger
    private let queue = DispatchQueue(label: "hearken.alerts")
    /// Made in `start`: libdispatch traps on releasing a timer that was never activated.
    private let timer = Mutex<(any DispatchSourceTimer)?>(nil)

    init(store: any FeedbackStorage, options: AlertOptions, dispatcher: WebhookDispatcher, logger: Logger) {
        self.store = store
        self.options = options
        self.dispatcher = dispatcher
        self.logger = logger
    }

    func start() {
        let (queue, interval, first) = (self.queue, options.insightInterval, min(options.insightInterval, options.firstEvaluationDelay))
        timer.withLock { [weak self] slot in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + first, repeating: interval)
            timer.setEventHandler { [weak self] in self?.evaluate() }
            timer.activate()
            slot = timer
        }
    }

    func stop() {
        timer.withLock { $0?.cancel(); $0 = nil }
        queue.sync {}
    }

    /// One evaluation as of `now`.
    func evaluate(now: Int64 = Timestamp.nowMilliseconds()) {
        do {
            let queued = try announceFindings(now: now) + announceFixes(now: now) + sendDigest(now: now)
            if queued > 0 { dispatcher.wake() }
            let cutoff = Timestamp.nowMilliseconds() - options.deliveryRetention
            _ = try store.write { try $0.pruneDeliveries(finishedBefore: cutoff) }
        } catch {
            logger.error("alert evaluation failed: \(error)")
        }
    }

    private func announceFindings(now: Int64) throws -> Int {
        let options = self.options
        let findings = try store.read { try $0.findings(AggregateFilter(), options: options.insights, now: now) }
            .filter { $0.q <= options.insights.alpha }
        var queued = 0
        _ = try store.write { db in
            try db.applyFindings(findings, now: now) { episode in
                queued += try db.enqueue(.finding, now: Timestamp.nowMilliseconds()) { WebhookPayloads.finding(episode, format: $0.format, now: now) }.count
            }
        }
        return queued
    }

    private func announceFixes(now: Int64) throws -> Int {
        let options = self.options
        let (changes, reported) = try store.read { db in
            (try db.changes(since: now - options.fixLookback - options.changes.window, until: nil, now: now, options: options.changes),
             try db.reportedFixes())
        }
        var queued = 0
        for change in changes where change.complete && change.completesAt >= now - options.fixLookback && !reported.contains(change.subject.key) {
            queued += try store.write { db in
                try db.transaction {
                    guard try db.markFixReported(change, now: now) else { return 0 }
                    return try db.enqueue(.fix, now: Timestamp.nowMilliseconds()) { WebhookPayloads.fix(change, format: $0.format, now: now) }.count
                }
            }
        }
        return queued
    }

    private func sendDigest(now: Int64) throws -> Int {
        guard let schedule = options.digest, let slot = schedule.latest(atOrBefore: now), now - slot < options.digestGrace else { return 0 }
        let options = self.options
        let digest = try store.read { db -> WeeklyDigest? in
            guard try !db.digestWasSent(scheduledAt: slot) else { return nil }
            return try db.digest(weekEnding: slot, now: now, changeOptions: options.changes)
        }
        guard let digest else { return 0 }
        return try store.write { db in
            try db.transaction {
                guard try db.markDigestSent(scheduledAt: slot, now: now) else { return 0 }
                return try db.enqueue(.digest, now: Timestamp.nowMilliseconds()) { WebhookPayloads.digest(digest, format: $0.format, now: now) }.count
            }
        }
    }
}
