import App
import ArgumentParser
import Dispatch
import Feedback
import Foundation
import Logging

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the HTTP service.")

    @Option(help: "Address to listen on; '::' listens on IPv6 and IPv4 (env HEARKEN_HOST, default 127.0.0.1).")
    var host: String?
    @Option(help: "Port; 0 picks a free one (env HEARKEN_PORT, default 8080).")
    var port: String?
    @Option(help: "SQLite database file (created if missing), or a postgres:// or postgresql:// connection string for PostgreSQL (env HEARKEN_DB, default ./data/hearken.db).")
    var db: String?
    @Option(help: "full: a 201 survives power loss; normal: survives a crash only (env HEARKEN_DURABILITY, default full).")
    var durability: String?
    @Option(help: "Allowed feedback reasons, comma-separated (env HEARKEN_REASONS).")
    var reasons: String?
    @Option(help: "Keep the query string when normalizing pages: true or false (env HEARKEN_KEEP_QUERY, default false).")
    var keepQuery: String?
    @Option(help: "Event loop threads (env HEARKEN_EVENT_LOOPS, default 1).")
    var eventLoops: String?
    @Option(help: "Open connections before new ones get 503 (env HEARKEN_MAX_CONNECTIONS, default 4096).")
    var maxConnections: String?
    @Option(help: "Seconds to receive a request's headers (env HEARKEN_HEADER_TIMEOUT, default 10).")
    var headerTimeout: String?
    @Option(help: "Longest pause in a request body, seconds (env HEARKEN_BODY_TIMEOUT, default 30).")
    var bodyTimeout: String?
    @Option(help: "Idle keep-alive time, seconds (env HEARKEN_KEEPALIVE_TIMEOUT, default 15).")
    var keepaliveTimeout: String?
    @Option(help: "Longest stall writing a response, seconds (env HEARKEN_WRITE_TIMEOUT, default 30).")
    var writeTimeout: String?
    @Option(help: "Seconds in-flight requests get on SIGTERM (env HEARKEN_SHUTDOWN_TIMEOUT, default 10).")
    var shutdownTimeout: String?
    @Option(help: "Longest request line in bytes; longer is 414 (env HEARKEN_MAX_REQUEST_LINE, default 8192).")
    var maxRequestLine: String?
    @Option(help: "Largest header section in bytes; larger is 431 (env HEARKEN_MAX_HEADER_BYTES, default 32768).")
    var maxHeaderBytes: String?
    @Option(help: "Most header fields; more is 431 (env HEARKEN_MAX_HEADER_COUNT, default 100).")
    var maxHeaderCount: String?
    @Option(help: "Largest feedback body in bytes; larger is 413 (env HEARKEN_MAX_BODY_BYTES, default 65536).")
    var maxBodyBytes: String?
    @Option(help: "Submissions waiting for the writer before 503 (env HEARKEN_MAX_PENDING_WRITES, default 10000).")
    var maxPendingWrites: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (env HEARKEN_LOG_LEVEL, default info).")
    var logLevel: String?
    @Option(help: "text or json, one line per event on standard error (env HEARKEN_LOG_FORMAT, default text).")
    var logFormat: String?
    @Option(help: "An origin (https://docs.example.com) allowed to post feedback from browsers; repeatable (env HEARKEN_ALLOWED_ORIGINS, comma-separated). None: any origin.")
    var allowedOrigin: [String] = []
    @Option(help: "Vote links: record (GET records the vote) or confirm (GET shows a button that POSTs it) (env HEARKEN_VOTE_LINKS, default record).")
    var voteLinks: String?
    @Option(help: "A host vote links may redirect back to with redirect=; repeatable (env HEARKEN_REDIRECT_HOSTS, comma-separated). Hosts of allowed origins are included.")
    var redirectHost: [String] = []
    @Option(help: "Public submissions per minute per client, small bursts allowed; 0 turns the limit off (env HEARKEN_RATE_LIMIT, default 60).")
    var rateLimit: String?
    @Option(help: "A proxy (CIDR or address) whose X-Forwarded-For is believed; repeatable (env HEARKEN_TRUSTED_PROXIES, comma-separated). None: the socket peer is the client.")
    var trustedProxy: [String] = []
    @Option(help: "User-agent substrings of crawlers and link previews whose vote-link visits do not count, comma-separated; replaces the built-in list (env HEARKEN_CRAWLER_AGENTS).")
    var crawlerAgents: String?
    @Option(help: "Seconds within which the same client's same vote on the same page counts once; 0 turns it off (env HEARKEN_DUPLICATE_WINDOW, default 3600).")
    var duplicateWindow: String?
    @Option(help: "Erase comments, emails, client hashes and user agents older than N days; 0 keeps them (env HEARKEN_RETENTION_DAYS, default 0).")
    var retentionDays: String?
    @Option(help: "Minutes after a vote during which its one-time follow-up token works (env HEARKEN_FOLLOWUP_MINUTES, default 60).")
    var followupMinutes: String?
    @Option(help: "This server's public URL, used in the snippets of /embed (env HEARKEN_PUBLIC_URL; default: from each request's Host).")
    var publicURL: String?
    @Option(help: "Require this bearer token on GET /metrics (env HEARKEN_METRICS_TOKEN; default: /metrics is open).")
    var metricsToken: String?
    @Option(help: "Time between evaluations of findings, fix verdicts and the weekly digest, such as 15m, 1h or 2s (env HEARKEN_INSIGHT_INTERVAL, default 15m).")
    var insightInterval: String?
    @Option(help: "Weekly digest time, 'DAY HH:MM [ZONE]' such as 'mon 09:00 Europe/Berlin', or off (env HEARKEN_DIGEST, default 'mon 09:00 UTC').")
    var digest: String?
    @Option(help: ArgumentHelp("Seconds before the first webhook retry; each next waits twice as long (tests).", visibility: .hidden))
    var webhookRetryBase: String?
    @Option(help: ArgumentHelp("Total seconds one webhook attempt may take; the connect/idle timeout is half (tests).", visibility: .hidden))
    var webhookTimeout: String?
    @Flag(help: "Print the effective configuration (flag, environment variable, value) and exit.")
    var printConfig = false

    func configuration() throws -> (AppConfiguration, Logger.Level, LogFormat) {
        var config = AppConfiguration(databasePath: try Settings.database.resolve(db, default: Settings.defaultDatabase))
        config.server.host = try Settings.text("host", "HEARKEN_HOST").resolve(host, default: "127.0.0.1")
        config.server.port = try Settings.integer("port", "HEARKEN_PORT", 0...65535).resolve(port, default: 8080)
        config.storage.durability = try Settings.choice("durability", "HEARKEN_DURABILITY", StorageOptions.Durability.allCases).resolve(durability, default: .full)
        config.rules.reasons = try Settings.list("reasons", "HEARKEN_REASONS").resolve(reasons, default: FeedbackRules.defaultReasons).map { $0.lowercased() }
        config.rules.normalizer.keepQuery = try Settings.keepQuery.resolve(keepQuery, default: false)
        config.server.eventLoops = try Settings.integer("event-loops", "HEARKEN_EVENT_LOOPS", 1...64).resolve(eventLoops, default: 1)
        config.server.maxConnections = try Settings.integer("max-connections", "HEARKEN_MAX_CONNECTIONS", 1...1_000_000).resolve(maxConnections, default: 4096)
        config.server.headerTimeout = try Settings.seconds("header-timeout", "HEARKEN_HEADER_TIMEOUT").resolve(headerTimeout, default: 10)
        config.server.bodyTimeout = try Settings.seconds("body-timeout", "HEARKEN_BODY_TIMEOUT").resolve(bodyTimeout, default: 30)
        config.server.keepAliveTimeout = try Settings.seconds("keepalive-timeout", "HEARKEN_KEEPALIVE_TIMEOUT").resolve(keepaliveTimeout, default: 15)
        config.server.writeTimeout = try Settings.seconds("write-timeout", "HEARKEN_WRITE_TIMEOUT").resolve(writeTimeout, default: 30)
        config.shutdownTimeout = try Settings.seconds("shutdown-timeout", "HEARKEN_SHUTDOWN_TIMEOUT").resolve(shutdownTimeout, default: 10)
        config.server.limits.maxRequestLine = try Settings.integer("max-request-line", "HEARKEN_MAX_REQUEST_LINE", 256...1_048_576).resolve(maxRequestLine, default: 8192)
        config.server.limits.maxHeaderBytes = try Settings.integer("max-header-bytes", "HEARKEN_MAX_HEADER_BYTES", 1024...1_048_576).resolve(maxHeaderBytes, default: 32 * 1024)
        config.server.limits.maxHeaderCount = try Settings.integer("max-header-count", "HEARKEN_MAX_HEADER_COUNT", 8...10_000).resolve(maxHeaderCount, default: 100)
        config.server.defaultBodyLimit = try Settings.integer("max-body-bytes", "HEARKEN_MAX_BODY_BYTES", 1024...16_777_216).resolve(maxBodyBytes, default: 64 * 1024)
        config.storage.maxPendingWrites = try Settings.integer("max-pending-writes", "HEARKEN_MAX_PENDING_WRITES", 1...10_000_000).resolve(maxPendingWrites, default: 10_000)
        config.allowedOrigins = try Settings.origins.resolve(allowedOrigin.isEmpty ? nil : allowedOrigin.joined(separator: ","), default: [])
        config.publicSide.voteLinks = try Settings.choice("vote-links", "HEARKEN_VOTE_LINKS", PublicOptions.VoteLinkMode.allCases).resolve(voteLinks, default: .record)
        config.publicSide.redirectHosts = try Settings.hosts.resolve(redirectHost.isEmpty ? nil : redirectHost.joined(separator: ","), default: [])
        config.publicSide.rateLimitPerMinute = try Settings.integer("rate-limit", "HEARKEN_RATE_LIMIT", 0...1_000_000).resolve(rateLimit, default: 60)
        config.publicSide.trustedProxies = try Settings.proxies.resolve(trustedProxy.isEmpty ? nil : trustedProxy.joined(separator: ","), default: [])
        config.publicSide.crawlerAgents = try Settings.list("crawler-agents", "HEARKEN_CRAWLER_AGENTS").resolve(crawlerAgents, default: CrawlerFilter.defaultAgents)
        config.storage.duplicateWindowSeconds = try Settings.integer("duplicate-window", "HEARKEN_DUPLICATE_WINDOW", 0...86_400).resolve(duplicateWindow, default: 3600)
        config.storage.retentionDays = try Settings.integer("retention-days", "HEARKEN_RETENTION_DAYS", 0...36_500).resolve(retentionDays, default: 0)
        config.storage.followupMinutes = try Settings.integer("followup-minutes", "HEARKEN_FOLLOWUP_MINUTES", 1...10_080).resolve(followupMinutes, default: 60)
        config.publicSide.publicURL = try Settings.publicURL.resolve(publicURL, default: nil)
        config.metricsToken = try Setting<String?>(flag: "metrics-token", variable: "HEARKEN_METRICS_TOKEN", form: "at least 16 visible characters",
                                                   secret: true) { text -> String?? in
            guard text.count >= 16, text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else { return .none }
            return .some(text)
        }.resolve(metricsToken, default: nil)
        config.alerts.insightInterval = try Settings.duration("insight-interval", "HEARKEN_INSIGHT_INTERVAL").resolve(insightInterval, default: 900)
        config.alerts.digest = try Setting(flag: "digest", variable: "HEARKEN_DIGEST", form: "'DAY HH:MM [ZONE]' such as 'mon 09:00 Europe/Berlin', or off") {
            DigestSchedule.parse($0)
        }.resolve(digest, default: DigestSchedule())
        config.alerts.delivery.retryBase = try Settings.duration("webhook-retry-base", "HEARKEN_WEBHOOK_RETRY_BASE").resolve(webhookRetryBase, default: 1)
        let timeout = try Settings.duration("webhook-timeout", "HEARKEN_WEBHOOK_TIMEOUT").resolve(webhookTimeout, default: 10)
        config.alerts.delivery.totalTimeout = timeout
        config.alerts.delivery.idleTimeout = timeout / 2
        let level = try Settings.choice("log-level", "HEARKEN_LOG_LEVEL", Logger.Level.allCases).resolve(logLevel, default: .info)
        let format = try Settings.choice("log-format", "HEARKEN_LOG_FORMAT", LogFormat.allCases).resolve(logFormat, default: .text)
        return (config, level, format)
    }

    func run() throws {
        // Before any thread exists, so every thread inherits it (see `TerminationSignals`).
        let signals = TerminationSignals.block()
        let (config, level, format) = try configuration()
        if printConfig {
            print(EffectiveConfiguration.describe(config, level: level, format: format))
            return
        }
        let logger = LogSetup.bootstrap(level: level, format: format)
        let app: Application
        do {
            app = try Application(configuration: config, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode.failure
        }
        do {
            try app.start()
        } catch {
            logger.critical("cannot start: \(error)")
            app.shutdown()
            throw ExitCode.failure
        }
        let signal = signals.wait()
        logger.notice("received signal \(signal), shutting down")
        app.shutdown()
    }
}

/// SIGINT and SIGTERM stop the service gracefully and exit 0.
///
/// Both are blocked in every thread and taken by `sigwait` on the main thread. Before, a Dispatch
/// signal source (with the signals set to `SIG_IGN`) handled them: Dispatch registers a source
/// asynchronously, and under CPU load a SIGTERM sent right after "listening" was lost and the server
/// never stopped (1 in 2 startups with two busy loops beside it). A blocked signal is not discarded:
/// it stays pending until `sigwait` takes it, however early it came.
struct TerminationSignals {
    private var set = sigset_t()

    /// Blocks SIGINT and SIGTERM in the calling thread and so in every thread it starts later.
    static func block() -> TerminationSignals {
        var signals = TerminationSignals()
        sigemptyset(&signals.set)
        sigaddset(&signals.set, SIGINT)
        sigaddset(&signals.set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals.set, nil)
        return signals
    }

    /// Waits for SIGINT or SIGTERM, including one that arrived before the call.
    func wait() -> Int32 {
        var set = self.set
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }
}
