import Feedback
import HTTP

/// Everything `hearken serve` can be told, with defaults.
public struct AppConfiguration: Sendable {
    public var server = ServerConfiguration()
    public var storage: StorageOptions
    public var rules = FeedbackRules()
    /// Origins allowed to call the public write endpoints from browsers; empty allows any origin.
    public var allowedOrigins: [String] = []
    /// Vote links, rate limits, proxies, crawler list and honeypot of the public endpoints.
    public var publicSide = PublicOptions()
    /// When set, `GET /metrics` needs `Authorization: Bearer` with this token.
    public var metricsToken: String?
    /// How long dashboard sessions last (idle and absolute); tests shorten them.
    public var sessions = SessionLifetime()
    /// Seconds in-flight requests get to finish on SIGTERM/SIGINT.
    public var shutdownTimeout: Double = 10
    /// Scheduled evaluation, webhook delivery and the weekly digest.
    public var alerts = AlertOptions()

    public init(databasePath: String) {
        storage = StorageOptions(path: databasePath)
    }
}
