import Synchronization
import Feedback
import HTTP
import Logging

/// The running service: the database and the HTTP server with every route.
public final class Application: Sendable {
    public let configuration: AppConfiguration
    public let store: any FeedbackStorage
    public let server: HTTPServer
    /// Every route as (method, pattern with `{name}` parameters), for checking the API description.
    public let routes: [(method: String, path: String)]
    private let logger: Logger
    let dispatcher: WebhookDispatcher
    let alerts: AlertScheduler

    public init(configuration: AppConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        var storage = configuration.storage
        storage.maxCommentLength = configuration.rules.maxCommentLength
        let metrics = ServiceMetrics()
        let connections = ConnectionGauge()
        // Every read retries a failed fold: warn at most once a minute (a full disk must not fill the log
        // too); the metric counts every failure.
        let lastFoldWarning = Mutex<Int64>(0)
        store = try StorageBackends.open(options: storage, drops: DropCounter { metrics.rejected($0.rawValue) },
                                  onCommit: { metrics.batchCommitted(rows: $0, nanoseconds: $1) },
                                  onFoldFailure: { error in
                                      metrics.foldFailed()
                                      let now = Timestamp.nowMilliseconds()
                                      let due = lastFoldWarning.withLock { last in
                                          guard now - last >= 60_000 else { return false }
                                          last = now
                                          return true
                                      }
                                      guard due else { return }
                                      logger.warning("folding derived data failed; until it succeeds, aggregates and listings by page miss the newest votes",
                                                     metadata: ["error": "\(error)"])
                                  },
                                  completionScope: { HTTPServer.deliveringTogether($0) })
        var router = Router()
        HealthRoutes(store: store).register(in: &router)
        let publicSide = configuration.publicSide
        let resolver = ClientAddressResolver(trustedProxies: publicSide.trustedProxies)
        let intake = PublicIntake(
            store: store, validator: FeedbackValidator(rules: configuration.rules),
            cors: CORSPolicy(allowedOrigins: configuration.allowedOrigins, allowedHeaders: ["Content-Type", "Idempotency-Key"],
                             renderError: APIError.render),
            limiter: RateLimiter(perMinute: publicSide.rateLimitPerMinute),
            resolver: resolver,
            crawlers: CrawlerFilter(agents: publicSide.crawlerAgents), honeypotField: publicSide.honeypotField,
            metrics: metrics, logger: logger
        )
        let bodyLimit = configuration.server.defaultBodyLimit
        IngestionRoutes(intake: intake, bodyLimit: bodyLimit).register(in: &router)
        FollowupRoutes(intake: intake, maxCommentLength: configuration.rules.maxCommentLength, bodyLimit: bodyLimit).register(in: &router)
        VoteRoutes(intake: intake, mode: publicSide.voteLinks,
                   redirects: RedirectPolicy(hosts: publicSide.redirectHosts, allowedOrigins: configuration.allowedOrigins),
                   reasons: configuration.rules.reasons, maxCommentLength: configuration.rules.maxCommentLength,
                   bodyLimit: bodyLimit).register(in: &router)
        WidgetRoutes(rules: configuration.rules, publicURL: publicSide.publicURL,
                     resolver: resolver).register(in: &router)
        let access = TeamAccess(store: store, logger: logger)
        FeedbackRoutes(access: access, rules: configuration.rules).register(in: &router)
        StatsRoutes(access: access, rules: configuration.rules).register(in: &router)
        InsightRoutes(access: access, rules: configuration.rules).register(in: &router)
        TokenRoutes(access: access).register(in: &router)
        dispatcher = WebhookDispatcher(store: store, options: configuration.alerts.delivery, metrics: metrics, logger: logger)
        alerts = AlertScheduler(store: store, options: configuration.alerts, dispatcher: dispatcher, logger: logger)
        AnnotationRoutes(access: access, rules: configuration.rules).register(in: &router)
        ChangeRoutes(access: access, rules: configuration.rules, options: configuration.alerts.changes).register(in: &router)
        WebhookRoutes(access: access, dispatcher: dispatcher).register(in: &router)
        ExportRoutes(access: access).register(in: &router)
        OpenAPIRoutes.register(in: &router)
        let dashboard = DashboardAccess(store: store, lifetime: configuration.sessions, logger: logger)
        SignInRoutes(access: dashboard, limiter: RateLimiter(perMinute: publicSide.rateLimitPerMinute), resolver: resolver).register(in: &router)
        DashboardRoutes(access: dashboard, rules: configuration.rules).register(in: &router)
        // Built from the routes so far: `/metrics` itself, added after, is counted the slow way (by its pattern).
        let requests = RequestMetrics(routes: router.routes, laterPatterns: [MetricsRoutes.path])
        MetricsRoutes(metrics: metrics, requests: requests, store: store, connections: connections, token: configuration.metricsToken).register(in: &router)
        routes = router.routes.map { route in
            (route.method, "/" + route.pattern.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/"))
        }
        do {
            let accessLog = AccessLog(logger: logger)
            server = try HTTPServer(configuration: configuration.server, router: router, logger: logger,
                                    observer: { requests.record($0); accessLog.record($0) }, renderError: APIError.render,
                                    connections: connections)
        } catch {
            store.close()
            throw error
        }
    }

    /// Starts listening; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let port = try server.start()
        dispatcher.start()
        alerts.start()
        logger.notice("listening on \(configuration.server.host):\(port), database \(StorageBackends.displayName(configuration.storage.path))")
        return port
    }

    /// Stops accepting, lets in-flight requests finish, then flushes and closes the database.
    public func shutdown() {
        server.shutdown(timeout: configuration.shutdownTimeout)
        alerts.stop()
        dispatcher.stop()
        store.close()
        logger.notice("stopped")
    }
}
