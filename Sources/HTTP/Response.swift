/// A response from a handler. The server adds `Date`, `Content-Length`, `Connection` and `X-Request-Id`.
public struct Response: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Close the connection after this response.
    public var closeConnection: Bool
    /// A body produced piece by piece instead of `body` (see `BodyStream`).
    public var stream: (any BodyStream)?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [], closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    public init(status: HTTPStatus, contentType: String, body: some Sequence<UInt8>) {
        self.init(status: status, contentType: contentType, body: Array(body))
    }

    /// Takes the bytes as they are (the generic initializer copied an array element by element).
    public init(status: HTTPStatus, contentType: String, body: [UInt8]) {
        self.init(status: status, headers: HTTPHeaders(name: "Content-Type", value: contentType), body: body)
    }

    /// The server's fallback error body when the application installs no `ErrorRenderer`:
    /// `{"error":{"code":…,"message":…,"field":…}}`. Internal: applications shape their own errors.
    static func error(_ status: HTTPStatus, code: String, message: String, field: String? = nil) -> Response {
        Response(status: status, contentType: "application/json", body: JSONText.errorObject(code: code, message: message, field: field))
    }
}
