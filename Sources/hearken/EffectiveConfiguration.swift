import App
import Feedback
import Logging

/// `hearken serve --print-config`: every setting with its flag, environment variable and value.
/// Secrets (the metrics token) are shown masked.
enum EffectiveConfiguration {
    static func describe(_ c: AppConfiguration, level: Logger.Level, format: LogFormat) -> String {
        let rows: [(String, String, String)] = [
            ("--host", "HEARKEN_HOST", c.server.host),
            ("--port", "HEARKEN_PORT", String(c.server.port)),
            ("--db", "HEARKEN_DB", StorageBackends.displayName(c.storage.path)),
            ("--durability", "HEARKEN_DURABILITY", c.storage.durability.rawValue),
            ("--reasons", "HEARKEN_REASONS", c.rules.reasons.joined(separator: ",")),
            ("--keep-query", "HEARKEN_KEEP_QUERY", String(c.rules.normalizer.keepQuery)),
            ("--event-loops", "HEARKEN_EVENT_LOOPS", String(c.server.eventLoops)),
            ("--max-connections", "HEARKEN_MAX_CONNECTIONS", String(c.server.maxConnections)),
            ("--header-timeout", "HEARKEN_HEADER_TIMEOUT", "\(c.server.headerTimeout)"),
            ("--body-timeout", "HEARKEN_BODY_TIMEOUT", "\(c.server.bodyTimeout)"),
            ("--keepalive-timeout", "HEARKEN_KEEPALIVE_TIMEOUT", "\(c.server.keepAliveTimeout)"),
            ("--write-timeout", "HEARKEN_WRITE_TIMEOUT", "\(c.server.writeTimeout)"),
            ("--shutdown-timeout", "HEARKEN_SHUTDOWN_TIMEOUT", "\(c.shutdownTimeout)"),
            ("--insight-interval", "HEARKEN_INSIGHT_INTERVAL", "\(c.alerts.insightInterval)s"),
            ("--digest", "HEARKEN_DIGEST", c.alerts.digest?.description ?? "off"),
            ("--max-request-line", "HEARKEN_MAX_REQUEST_LINE", String(c.server.limits.maxRequestLine)),
            ("--max-header-bytes", "HEARKEN_MAX_HEADER_BYTES", String(c.server.limits.maxHeaderBytes)),
            ("--max-header-count", "HEARKEN_MAX_HEADER_COUNT", String(c.server.limits.maxHeaderCount)),
            ("--max-body-bytes", "HEARKEN_MAX_BODY_BYTES", String(c.server.defaultBodyLimit)),
            ("--max-pending-writes", "HEARKEN_MAX_PENDING_WRITES", String(c.storage.maxPendingWrites)),
            ("--allowed-origin", "HEARKEN_ALLOWED_ORIGINS", c.allowedOrigins.isEmpty ? "(any origin)" : c.allowedOrigins.joined(separator: ",")),
            ("--vote-links", "HEARKEN_VOTE_LINKS", c.publicSide.voteLinks.rawValue),
            ("--redirect-host", "HEARKEN_REDIRECT_HOSTS", c.publicSide.redirectHosts.isEmpty ? "(hosts of allowed origins)" : c.publicSide.redirectHosts.joined(separator: ",")),
            ("--rate-limit", "HEARKEN_RATE_LIMIT", c.publicSide.rateLimitPerMinute == 0 ? "0 (off)" : "\(c.publicSide.rateLimitPerMinute)/min"),
            ("--trusted-proxy", "HEARKEN_TRUSTED_PROXIES", c.publicSide.trustedProxies.isEmpty ? "(none)" : c.publicSide.trustedProxies.map(\.description).joined(separator: ",")),
            ("--crawler-agents", "HEARKEN_CRAWLER_AGENTS", c.publicSide.crawlerAgents.joined(separator: ",")),
            ("--duplicate-window", "HEARKEN_DUPLICATE_WINDOW", "\(c.storage.duplicateWindowSeconds) s"),
            ("--retention-days", "HEARKEN_RETENTION_DAYS", c.storage.retentionDays == 0 ? "0 (keep)" : "\(c.storage.retentionDays)"),
            ("--followup-minutes", "HEARKEN_FOLLOWUP_MINUTES", String(c.storage.followupMinutes)),
            ("--public-url", "HEARKEN_PUBLIC_URL", c.publicSide.publicURL ?? "(from each request's Host)"),
            ("--metrics-token", "HEARKEN_METRICS_TOKEN", c.metricsToken == nil ? "(none: /metrics is open)" : "******** (set)"),
            ("--log-level", "HEARKEN_LOG_LEVEL", level.rawValue),
            ("--log-format", "HEARKEN_LOG_FORMAT", format.rawValue),
        ]
        let flagWidth = rows.map(\.0.count).max() ?? 0, variableWidth = rows.map(\.1.count).max() ?? 0
        return rows.map { flag, variable, value in
            flag.padding(toLength: flagWidth + 2, withPad: " ", startingAt: 0) + variable.padding(toLength: variableWidth + 2, withPad: " ", startingAt: 0) + value
        }.joined(separator: "\n")
    }
}
