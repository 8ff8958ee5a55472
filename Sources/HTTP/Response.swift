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
        // On UTF-8 bytes into one buffer: appending scalar by scalar to the String cost a seventh of a
        // 400 answer (callgrind; every error message quotes its allowed values). What is escaped is
        // ASCII, or U+2028/2029 (E2 80 A8/A9), so copied bytes stay whole characters.
        let bytes = Array(value.utf8)
        var escaped: [UInt8] = []
        escaped.reserveCapacity(bytes.count + 16)
        escaped.append(UInt8(ascii: "\""))
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""): escaped.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): escaped.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): escaped.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): escaped.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): escaped.append(contentsOf: #"\t"#.utf8)
            case UInt8(ascii: "<"): escaped.append(contentsOf: #"\u003c"#.utf8) // keeps JSON inert if a browser sniffs it as HTML
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                escaped.append(contentsOf: (bytes[index + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#).utf8)
                index += 2
            case ..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                escaped.append(contentsOf: #"\u00"#.utf8)
                escaped.append(hex[Int(byte >> 4)])
                escaped.append(hex[Int(byte & 0x0F)])
            default:
                escaped.append(byte)
            }
            index += 1
        }
        escaped.append(UInt8(ascii: "\""))
        out += String(decoding: escaped, as: UTF8.self)
    }

    public static func quoted(_ value: String) -> String {
        var out = ""
        appendString(value, to: &out)
        return out
    }
}
