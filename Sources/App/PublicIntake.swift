import Feedback
import HTTP
import Logging

/// What every public submission goes through, whatever its form (JSON post, vote link, follow-up):
/// origin and rate-limit screening, the honeypot, validation and the group-commit writer.
/// Each drop is counted by reason. A class: handlers capture it per request, and copying nine
/// members (sets and arrays among them) cost a retain each where a reference costs one.
final class PublicIntake: Sendable {
    let store: any FeedbackStorage
    let validator: FeedbackValidator
    let cors: CORSPolicy
    let limiter: RateLimiter
    let resolver: ClientAddressResolver
    let crawlers: CrawlerFilter
    let honeypotField: String
    let metrics: ServiceMetrics
    let logger: Logger

    init(store: any FeedbackStorage, validator: FeedbackValidator, cors: CORSPolicy, limiter: RateLimiter, resolver: ClientAddressResolver,
         crawlers: CrawlerFilter, honeypotField: String, metrics: ServiceMetrics, logger: Logger) {
        self.store = store
        self.validator = validator
        self.cors = cors
        self.limiter = limiter
        self.resolver = resolver
        self.crawlers = crawlers
        self.honeypotField = honeypotField
        self.metrics = metrics
        self.logger = logger
    }

    enum Refusal: Error {
        case origin(String)
        case rateLimited(retryAfter: Int)
    }

    enum SubmitFailure: Error {
        case invalid(ValidationError)
        case write(WriteFailure)
    }

    /// The client behind a request, resolved once per request (trusted proxies applied).
    struct Client: Sendable {
        let address: IPAddress?
        let peer: String

        /// What the rate limit counts under.
        var key: String { address?.clientKey ?? peer }
    }

    /// Refuses requests from origins not on the list and clients over their rate (counting both);
    /// otherwise the resolved client, for `submit`.
    func screen(_ request: Request) -> Result<Client, Refusal> {
        if !cors.allows(request) {
            store.drops.count(.origin)
            return .failure(.origin(request.headers["origin"] ?? ""))
        }
        let client = Client(address: resolver.resolve(request), peer: request.remoteAddress)
        if let retryAfter = limiter.take(client.key, now: Timestamp.nowMilliseconds()) {
            store.drops.count(.rateLimit)
            return .failure(.rateLimited(retryAfter: retryAfter))
        }
        return .success(client)
    }

    /// The JSON answer for a refusal.
    static func response(for refusal: Refusal) -> Response {
        switch refusal {
        case .origin(let origin):
            return .error(.forbidden, code: "origin_not_allowed", message: "origin \(origin) may not send feedback here")
        case .rateLimited(let seconds):
            var response = Response.error(.tooManyRequests, code: "rate_limited", message: "too many submissions from this client; retry in \(seconds) s")
            response.headers.add("Retry-After", String(seconds))
            return response
        }
    }

    /// True, and counted, when a bot filled in the hidden field.
    func isHoneypot(_ fields: [String: FieldValue]) -> Bool {
        guard let value = fields[honeypotField], value != .null, value != .text("") else { return false }
        store.drops.count(.honeypot)
        return true
    }

    /// True, and counted, for crawlers and link previews, whose vote-link visits must not count.
    func isCrawler(_ request: Request) -> Bool {
        guard crawlers.isCrawler(request.headers["user-agent"]) else { return false }
        store.drops.count(.crawler)
        return true
    }

    /// Validates and stores; `completion` runs once the row is committed (or refused).
    /// The client's address is used only for the client hash, never stored.
    func submit(_ fields: [String: FieldValue], _ request: Request, client: Client, idempotencyKey: String? = nil,
                completion: @escaping @Sendable (Result<StoredFeedback, SubmitFailure>) -> Void) {
        let input = FeedbackInput(
            fields: fields, userAgent: request.headers["user-agent"], origin: request.headers["origin"],
            referer: request.headers["referer"], clientAddress: client.address?.description
        )
        var feedback: NewFeedback
        do {
            feedback = try validator.validate(input)
        } catch {
            metrics.rejected("validation")
            completion(.failure(.invalid(error)))
            return
        }
        feedback.idempotencyKey = idempotencyKey
        let metrics = self.metrics, source = feedback.source, rating = feedback.rating.rawValue
        store.submit(feedback) { result in
            if case .success(let stored) = result, !stored.duplicate, !stored.replayed { metrics.accepted(source: source, rating: rating) }
            completion(result.mapError { .write($0) })
        }
    }

    /// The JSON answer for a stored submission: its id and the one-time follow-up token.
    func created(_ stored: StoredFeedback) -> Response {
        // Built in one string: this runs for every stored vote (on the connection's loop, see IngestionRoutes).
        let token = store.followups.issue(id: stored.id, receivedAt: stored.receivedAt)
        let id = String(stored.id)
        var json = "{\"id\":"
        json.reserveCapacity(240)
        json += id
        json += ",\"received_at\":\"" + Timestamp.rfc3339(milliseconds: stored.receivedAt)
        json += stored.duplicate ? "\",\"duplicate\":true" : "\",\"duplicate\":false"
        json += ",\"followup_url\":\"/v1/feedback/" + id + "/followup\""
        json += ",\"followup_token\":\"" + token // base64url and digits: nothing to escape
        json += "\",\"followup_expires_at\":\"" + Timestamp.rfc3339(milliseconds: store.followups.expiry(receivedAt: stored.receivedAt)) + "\"}"
        var headers = [("Location", "/v1/feedback/\(stored.id)")]
        if stored.replayed { headers.append(("Idempotent-Replayed", "true")) }
        return JSONBody.response(stored.duplicate ? .ok : .created, json, headers: headers)
    }

    /// What a bot that filled the honeypot sees: an answer shaped like a real one, for nothing stored.
    func decoy() -> Response {
        let now = Timestamp.nowMilliseconds()
        return created(StoredFeedback(id: Int64.random(in: 100_000...9_999_999), receivedAt: now))
    }

    static func response(for failure: WriteFailure, logger: Logger) -> Response {
        var response: Response
        switch failure {
        case .overloaded:
            response = .error(.serviceUnavailable, code: "overloaded", message: "too many submissions are waiting to be written; retry shortly")
        case .storageFull:
            logger.error("write failed: database or disk is full")
            response = .error(.serviceUnavailable, code: "storage_full", message: "the server's storage is full; nothing was stored, retry later")
        case .storage(let reason):
            logger.error("write failed: \(reason)")
            response = .error(.serviceUnavailable, code: "storage_unavailable", message: "the feedback could not be stored; retry later")
        case .closed:
            response = .error(.serviceUnavailable, code: "shutting_down", message: "the server is shutting down; retry shortly")
        }
        response.headers.add("Retry-After", failure == .storageFull ? "30" : "1")
        return response
    }
}
