/// Turns a handler's response into bytes on the wire: status line, the handler's headers, then the
/// framing and connection headers the server owns (handlers cannot set those), then the body.
enum ResponseSerializer {
    static let managedHeaders: Set<String> = ["content-length", "connection", "date", "transfer-encoding", "x-request-id"]

    /// With `response.stream`, only the head is returned: `Transfer-Encoding: chunked` on HTTP/1.1,
    /// no length on HTTP/1.0 (the body then ends at the close, so `keepAlive` must be false).
    static func serialize(_ response: Response, omitBody: Bool, keepAlive: Bool, version: HTTPVersion,
                          requestID: String, dateLine: [UInt8]) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n"
        for (name, value) in response.headers where !managedHeaders.contains(name.lowercased()) {
            head += "\(name): \(value)\r\n"
        }
        if response.stream != nil {
            if version == .http1_1 && !response.status.forbidsBody { head += "Transfer-Encoding: chunked\r\n" }
        } else if !response.status.forbidsBody {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        if !keepAlive {
            head += "Connection: close\r\n"
        } else if version == .http1_0 {
            head += "Connection: keep-alive\r\n"
        }
        head += "X-Request-Id: \(requestID)\r\n"
        var bytes = Array(head.utf8)
        bytes.reserveCapacity(bytes.count + dateLine.count + 2 + response.body.count)
        bytes.append(contentsOf: dateLine)
        bytes.append(0x0D)
        bytes.append(0x0A)
        if !omitBody && !response.status.forbidsBody && response.stream == nil { bytes.append(contentsOf: response.body) }
        return bytes
    }
}
