/// Turns a handler's response into bytes on the wire: status line, the handler's headers, then the
/// framing and connection headers the server owns (handlers cannot set those), then the body.
enum ResponseSerializer {
    static let managedHeaders = ["content-length", "connection", "date", "transfer-encoding", "x-request-id"]

    /// Compared without lower-casing a copy of each name (an allocation per header, callgrind).
    static func isManaged(_ name: String) -> Bool { managedHeaders.contains { HTTPHeaders.equal($0, name) } }

    /// With `response.stream`, only the head is returned: `Transfer-Encoding: chunked` on HTTP/1.1,
    /// no length on HTTP/1.0 (the body then ends at the close, so `keepAlive` must be false).
    static func serialize(_ response: Response, omitBody: Bool, keepAlive: Bool, version: HTTPVersion,
                          requestID: String, dateLine: [UInt8]) -> [UInt8] {
        // Appended as bytes: string interpolation cost more than the rest of this function.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256 + dateLine.count + response.body.count)
        func line(_ first: String, _ second: String = "", _ third: String = "", _ fourth: String = "") {
            bytes.append(contentsOf: first.utf8)
            bytes.append(contentsOf: second.utf8)
            bytes.append(contentsOf: third.utf8)
            bytes.append(contentsOf: fourth.utf8)
            bytes.append(0x0D)
            bytes.append(0x0A)
        }
        line("HTTP/1.1 ", String(response.status.code), " ", response.status.reasonPhrase)
        for (name, value) in response.headers where !isManaged(name) {
            line(name, ": ", value)
        }
        if response.stream != nil {
            if version == .http1_1 && !response.status.forbidsBody { line("Transfer-Encoding: chunked") }
        } else if !response.status.forbidsBody {
            line("Content-Length: ", String(response.body.count))
        }
        if !keepAlive {
            line("Connection: close")
        } else if version == .http1_0 {
            line("Connection: keep-alive")
        }
        line("X-Request-Id: ", requestID)
        bytes.append(contentsOf: dateLine)
        bytes.append(0x0D)
        bytes.append(0x0A)
        if !omitBody && !response.status.forbidsBody && response.stream == nil { bytes.append(contentsOf: response.body) }
        return bytes
    }
}
