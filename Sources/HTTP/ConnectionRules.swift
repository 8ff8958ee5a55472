/// Builds the answer for an error the server itself detects (unparseable request, timeout, no route,
/// connection limit). The embedding application installs its own error shape; the default is a small
/// JSON body so a bare server still answers machine-readably.
public typealias ErrorRenderer = @Sendable (_ status: HTTPStatus, _ code: String, _ message: String) -> Response

/// What every connection of a server reads and never changes: limits, timeouts, routes and hooks.
/// A class so each connection holds one reference instead of copying the configuration.
final class ConnectionRules: Sendable {
    let configuration: ServerConfiguration
    let router: Router
    let renderError: ErrorRenderer
    /// Prefix of generated request ids, random per server so ids from restarts do not collide.
    let requestIDPrefix: String
    /// `Allow` for `OPTIONS *`: every method some route answers.
    let serverMethods: String
    /// Buffered bytes of pipelined requests beyond which reading pauses until the current answer is out.
    let pipelineLimit: Int

    /// Milliseconds, precomputed from the configuration's seconds for the deadline table.
    let headerTimeout: UInt64
    let bodyTimeout: UInt64
    let keepAliveTimeout: UInt64
    let writeTimeout: UInt64
    /// How long a closing connection keeps discarding input so unread bytes do not turn the close into a reset.
    let lingerTimeout: UInt64 = 2000

    init(configuration: ServerConfiguration, router: Router, renderError: ErrorRenderer? = nil,
         requestIDPrefix: String = String(UInt32.random(in: 0...UInt32.max), radix: 16)) {
        self.configuration = configuration
        self.router = router
        self.renderError = renderError ?? { Response.error($0, code: $1, message: $2) }
        self.requestIDPrefix = requestIDPrefix
        serverMethods = router.methods.joined(separator: ", ")
        pipelineLimit = configuration.limits.maxHeaderBytes + configuration.defaultBodyLimit
        func milliseconds(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1000) }
        headerTimeout = milliseconds(configuration.headerTimeout)
        bodyTimeout = milliseconds(configuration.bodyTimeout)
        keepAliveTimeout = milliseconds(configuration.keepAliveTimeout)
        writeTimeout = milliseconds(configuration.writeTimeout)
    }
}
