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
