/// Why a request could not be parsed; each maps to one status and the connection closes after it.
public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: HTTPStatus
    public let code: String
    public let message: String

    init(_ status: HTTPStatus, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func bad(_ message: String) -> ParseError { ParseError(.badRequest, "bad_request", message) }

    static let requestLineTooLong = ParseError(.uriTooLong, "uri_too_long", "request line too long")
    static let headersTooLarge = ParseError(.headerFieldsTooLarge, "headers_too_large", "header section too large")
    static let tooManyHeaders = ParseError(.headerFieldsTooLarge, "headers_too_large", "too many header fields")
    static let bodyTooLarge = ParseError(.contentTooLarge, "body_too_large", "request body too large")
    static let unsupportedVersion = ParseError(.httpVersionNotSupported, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are supported")
    static let unsupportedCoding = ParseError(.notImplemented, "transfer_coding_not_implemented", "only the chunked transfer coding is supported")
    static let expectation = ParseError(.expectationFailed, "expectation_failed", "only Expect: 100-continue is supported")

    public var description: String { "\(status.code) \(message)" }
}
