import HTTP

/// An error a handler answers with: status, code, message and the field or parameter at fault.
struct APIError: Error {
    let status: HTTPStatus
    let code: String
    let message: String
    let field: String?
    var headers: [(String, String)] = []

    init(_ status: HTTPStatus, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    static func parameter(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_parameter", "\(name) \(message)", field: name)
    }

    var response: Response {
        var response = Response.error(status, code: code, message: message, field: field)
        for (name, value) in headers { response.headers.add(name, value) }
        return response
    }
}

extension APIError {
    /// The API's shape for the errors the HTTP server and the CORS policy answer by themselves.
    static let render: ErrorRenderer = { status, code, message in Response.error(status, code: code, message: message) }
}

extension Response {
    /// The API's error shape: `{"error":{"code":…,"message":…,"field":…}}`.
    static func error(_ status: HTTPStatus, code: String, message: String, field: String? = nil) -> Response {
        Response(status: status, contentType: "application/json", body: JSONText.errorObject(code: code, message: message, field: field))
    }
}
