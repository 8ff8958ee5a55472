import Feedback
import HTTP
import Logging

/// The running service: the database and the HTTP server with every route.
public final class Application: Sendable {
    public let configuration: AppConfiguration
    public let store: FeedbackStore
    public let server: HTTPServer
    /// Every route as (method, pattern with `{name}` parameters), for checking the API description.
    public let routes: [(method: String, path: String)]
    private let logger: Logger

    public init(configuration: AppConfiguration, logger: Logger) throws {
        self.configuration = configuration
        self.logger = logger
        store = try FeedbackStore(options: configuration.storage)
        var router = Router()
        HealthRoutes(store: store).register(in: &router)
        IngestionRoutes(store: store, validator: FeedbackValidator(rules: configuration.rules), logger: logger,
                        cors: CORSPolicy(allowedOrigins: configuration.allowedOrigins),
                        bodyLimit: configuration.server.defaultBodyLimit).register(in: &router)
        let access = TeamAccess(store: store, logger: logger)
        FeedbackRoutes(access: access, rules: configuration.rules).register(in: &router)
        StatsRoutes(access: access, rules: configuration.rules).register(in: &router)
        InsightRoutes(access: access, rules: configuration.rules).register(in: &router)
        TokenRoutes(access: access).register(in: &router)
        OpenAPIRoutes.register(in: &router)
        routes = router.routes.map { route in
            (route.method, "/" + route.pattern.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/"))
        }
        do {
            server = try HTTPServer(configuration: configuration.server, router: router, logger: logger)
        } catch {
            store.close()
            throw error
        }
    }

    /// Starts listening; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let port = try server.start()
        logger.notice("listening on \(configuration.server.host):\(port), database \(configuration.storage.path)")
        return port
    }

    /// Stops accepting, lets in-flight requests finish, then flushes and closes the database.
    public func shutdown() {
        server.shutdown(timeout: configuration.shutdownTimeout)
        store.close()
        logger.notice("stopped")
    }
}
