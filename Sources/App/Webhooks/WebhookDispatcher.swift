import Dispatch
import Feedback
import Foundation
import Logging
import Synchronization

/// How webhook messages are sent and retried.
public struct DeliveryOptions: Sendable {
    /// Connect and idle timeout, seconds.
    public var idleTimeout: Double = 5
    /// Longest a whole attempt may take, seconds.
    public var totalTimeout: Double = 10
    /// The first retry comes about this many seconds after a failure; each next one twice as late, with jitter.
    public var retryBase: Double = 1
    /// The longest wait between attempts, seconds.
    public var retryCap: Double = 3600
    /// A message not delivered this many seconds after it was queued is given up.
    public var giveUpAfter: Double = 86_400
    /// How often the outbox is checked for due messages when nothing wakes the dispatcher, seconds.
    public var pollInterval: Double = 1

    public init() {}

    /// The wait before attempt `attempt + 1` after `attempt` failures: base·2^(attempt−1), times 0.5–1.5.
    func retryDelay(afterAttempts attempt: Int, jitter: Double = Double.random(in: 0.5...1.5)) -> Double {
        min(retryCap, retryBase * pow(2, Double(max(0, attempt - 1)))) * jitter
    }
}

/// Sends what the outbox holds: due messages in small batches, each attempt recorded in its own
/// transaction as soon as it ends. Stopping waits for attempts in flight and records them, so a clean
/// restart sends nothing twice; after a crash an attempt may repeat under the same message id.
/// With several instances on one PostgreSQL database each claims its batch (`claimDueDeliveries`),
/// so every attempt is made by one instance; a crashed instance's claim runs out and another retries.
final class WebhookDispatcher: Sendable {
    private let store: any FeedbackStorage
    private let options: DeliveryOptions
    private let client: WebhookClient
    private let metrics: ServiceMetrics
    private let logger: Logger
    private let queue = DispatchQueue(label: "hearken.webhooks")
    private struct State {
        var timer: (any DispatchSourceTimer)?
        var inFlight = 0
        var stopping = false
    }
    private let state = Mutex(State())
    private let idle = DispatchSemaphore(value: 0)
    static let batchSize = 8
    /// A claimed batch stays this instance's for the total timeout plus this many seconds: its attempts
    /// end within the total timeout, and the margin covers recording them on a slow database. Another
    /// instance sends the batch again only when this one died (or stalled that long) before recording.
    static let leaseMargin: Double = 60
    /// The claim's length in milliseconds.
    private var lease: Int64 { Int64((options.totalTimeout + Self.leaseMargin) * 1000) }

    init(store: any FeedbackStorage, options: DeliveryOptions, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.options = options
        self.metrics = metrics
        self.logger = logger
        client = WebhookClient(idleTimeout: options.idleTimeout, totalTimeout: options.totalTimeout)
    }

    func start() {
        let (queue, interval) = (self.queue, options.pollInterval)
        state.withLock { [weak self] state in
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: .now() + .milliseconds(50), repeating: interval)
            timer.setEventHandler { [weak self] in self?.sendDue() }
            timer.activate()
            state.timer = timer
        }
    }

    /// Looks for due messages now (after an event was queued).
    func wake() {
        queue.async { [weak self] in self?.sendDue() }
    }

    /// Stops taking new messages and waits for attempts in flight to be recorded.
    func stop() {
        let busy = state.withLock { state -> Bool in
            state.stopping = true
            state.timer?.cancel()
            state.timer = nil
            return state.inFlight > 0
        }
        queue.sync {}
        if busy || state.withLock({ $0.inFlight > 0 }) {
            _ = idle.wait(timeout: .now() + options.totalTimeout + 5)
        }
        client.close()
    }

    private func sendDue() {
        let proceed = state.withLock { !$0.stopping && $0.inFlight == 0 }
        guard proceed else { return }
        let now = Timestamp.nowMilliseconds()
        let due: [(Delivery, Webhook)]
        do {
            let lease = self.lease
            due = try store.write { try $0.claimDueDeliveries(now: now, limit: Self.batchSize, lease: lease) }
        } catch {
            logger.error("webhook outbox unreadable: \(error)")
            return
        }
        guard !due.isEmpty else { return }
        state.withLock { $0.inFlight = due.count }
        for (delivery, webhook) in due { send(delivery, webhook) }
    }

    private func send(_ delivery: Delivery, _ webhook: Webhook) {
        let started = Timestamp.nowMilliseconds()
        let headers = WebhookSigner.headers(messageID: delivery.messageID, timestamp: started / 1000, body: delivery.body, secret: webhook.secret)
        guard let url = URL(string: webhook.url) else {
            finish(delivery, started: started, result: WebhookClient.Result(status: nil, error: "the URL does not parse"))
            return
        }
        client.post(url, body: Data(delivery.body.utf8), headers: headers) { [weak self] result in
            guard let self else { return }
            self.queue.async { self.finish(delivery, started: started, result: result) }
        }
    }

    private func finish(_ delivery: Delivery, started: Int64, result: WebhookClient.Result) {
        let now = Timestamp.nowMilliseconds()
        let outcome: Outbox.Outcome
        switch result.status {
        case let status? where (200..<300).contains(status): outcome = .delivered
        case 410: outcome = .gone
        default:
            let retryAt = now + Int64(options.retryDelay(afterAttempts: delivery.attempts + 1) * 1000)
            outcome = retryAt - delivery.createdAt > Int64(options.giveUpAfter * 1000) ? .givenUp : .retry(at: retryAt)
        }
        var error = result.error
        if error == nil, let status = result.status, !(200..<300).contains(status) { error = "HTTP \(status)" }
        let attempt = DeliveryAttempt(at: started, status: result.status, error: error, durationMilliseconds: Int(now - started))
        do {
            try store.write { try $0.recordDelivery(delivery, attempt: attempt, outcome: outcome) }
        } catch {
            logger.error("webhook delivery \(delivery.messageID) not recorded: \(error)")
        }
        switch outcome {
        case .delivered: metrics.webhookDelivery("delivered")
        case .gone: metrics.webhookAttemptFailed(); metrics.webhookDelivery("disabled")
        case .givenUp: metrics.webhookAttemptFailed(); metrics.webhookDelivery("failed")
        case .retry: metrics.webhookAttemptFailed()
        }
        if outcome != .delivered {
            logger.warning("webhook \(delivery.webhookID) message \(delivery.messageID): \(error ?? "failed"), \(outcome)")
        }
        let (last, stopping) = state.withLock { state -> (Bool, Bool) in
            state.inFlight -= 1
            return (state.inFlight == 0, state.stopping)
        }
        guard last else { return }
        if stopping { idle.signal() } else { sendDue() }
    }
}
