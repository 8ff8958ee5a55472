/// Cross-origin rules for public endpoints that browsers call from other sites.
///
/// With an allow-list, only those exact origins (scheme://host[:port]) may call, and others are refused
/// (403). Without one, any origin may call (`Access-Control-Allow-Origin: *`). Credentials are never
/// allowed, so cookies and HTTP auth never travel with these requests.
public struct CORSPolicy: Sendable {
    public let allowedOrigins: Set<String>
    /// Request headers a cross-origin caller may send (`Access-Control-Allow-Headers`).
    public var allowedHeaders: [String]
    public var maxAge = 600
    /// Shapes the refusals of `preflight`.
    private let renderError: ErrorRenderer

    public init(allowedOrigins: [String], allowedHeaders: [String] = ["Content-Type"], renderError: ErrorRenderer? = nil) {
        self.allowedOrigins = Set(allowedOrigins.map(Self.normalize))
        self.allowedHeaders = allowedHeaders
        self.renderError = renderError ?? { Response.error($0, code: $1, message: $2) }
    }

    public var isOpen: Bool { allowedOrigins.isEmpty }

    /// Lower-cased scheme and host, no trailing slash: the form browsers send in `Origin`.
    public static func normalize(_ origin: String) -> String {
        var text = origin.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// Whether a request with this `Origin` header (nil: not a cross-origin browser request) may proceed.
    /// `requestHost` (the request's `Host`) lets this server's own pages post to it: forms on the
    /// thank-you page send the server's own origin.
    public func allows(_ origin: String?, requestHost: String? = nil) -> Bool {
        guard let origin else { return true }
        if isOpen || allowedOrigins.contains(Self.normalize(origin)) { return true }
        guard let requestHost else { return false }
        let lower = origin.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            return lower.dropFirst(scheme.count) == requestHost.lowercased()
        }
        return false
    }

    /// `allows` for a request: its `Origin` against the list and its own `Host`.
    public func allows(_ request: Request) -> Bool {
        allows(request.headers["origin"], requestHost: request.headers["host"])
    }

    /// Adds the headers a browser needs to read the answer.
    public func decorate(_ response: inout Response, origin: String?, requestHost: String? = nil) {
        guard let origin, allows(origin, requestHost: requestHost) else { return }
        response.headers.set("Access-Control-Allow-Origin", isOpen ? "*" : origin)
        if !isOpen { response.headers.set("Vary", "Origin") }
    }

    /// The answer to a preflight `OPTIONS` for an endpoint that accepts `methods`.
    public func preflight(_ request: Request, methods: [String]) -> Response {
        let origin = request.headers["origin"]
        guard let origin else {
            return Response(status: .noContent, headers: HTTPHeaders([("Allow", (methods + ["OPTIONS"]).joined(separator: ", "))]))
        }
        guard allows(origin, requestHost: request.headers["host"]) else {
            return renderError(.forbidden, "origin_not_allowed", "origin \(origin) may not call this endpoint")
        }
        if let method = request.headers["access-control-request-method"], !methods.contains(method.uppercased()) {
            return renderError(.forbidden, "method_not_allowed", "\(method) is not allowed from other origins")
        }
        var response = Response(status: .noContent, headers: HTTPHeaders([
            ("Access-Control-Allow-Methods", methods.joined(separator: ", ")),
            ("Access-Control-Allow-Headers", allowedHeaders.joined(separator: ", ")),
            ("Access-Control-Max-Age", String(maxAge)),
        ]))
        decorate(&response, origin: origin, requestHost: request.headers["host"])
        return response
    }
}
