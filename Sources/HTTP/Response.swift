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
        self.init(status: status, headers: HTTPHeaders([("Content-Type", contentType)]), body: Array(body))
    }

    /// The server's fallback error body when the application installs no `ErrorRenderer`:
    /// `{"error":{"code":…,"message":…,"field":…}}`. Internal: applications shape their own errors.
    static func error(_ status: HTTPStatus, code: String, message: String, field: String? = nil) -> Response {
        var json = "{\"error\":{\"code\":"
        JSONText.appendString(code, to: &json)
        json += ",\"message\":"
        JSONText.appendString(message, to: &json)
        json += ",\"field\":"
        if let field { JSONText.appendString(field, to: &json) } else { json += "null" }
        json += "}}"
        return Response(status: status, contentType: "application/json", body: json.utf8)
    }
}

/// Minimal JSON string escaping for responses built without an encoder.
public enum JSONText {
    public static func appendString(_ value: String, to out: inout String) {
        // Fast path: most values (ids, times, tokens, slugs, plain comments) need no escaping at all.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x3C || $0 == 0xE2 }) {
            out += "\""
            out += value
            out += "\""
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<": out += "\\u003c" // keeps JSON inert if a browser sniffs it as HTML
            default:
                if scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    public static func quoted(_ value: String) -> String {
        var out = ""
        appendString(value, to: &out)
        return out
    }
}
