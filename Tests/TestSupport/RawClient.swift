import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 client over a real TCP socket, for tests that need exact bytes on the wire.
public final class RawClient {
    public let fd: Int32
    private var buffer: [UInt8] = []

    public struct ClientError: Error, CustomStringConvertible {
        public let description: String
    }

    public struct Response: CustomStringConvertible {
        public let status: Int
        public let headers: [(String, String)]
        public let body: [UInt8]
        /// How many chunks a chunked body came in (0 otherwise).
        public var chunks = 0
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? {
            headers.first { $0.0.lowercased() == name.lowercased() }?.1
        }
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
        public var description: String { "\(status) \(text)" }
    }

    /// Connects to 127.0.0.1:port (or ::1 with `ipv6`), with a receive timeout in seconds. The default is
    /// long: an answer that is due arrives at once, and a busy machine must not turn a slow one into a failure.
    public init(port: Int, timeout: Double = patientSeconds, ipv6: Bool = false) throws {
        fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError(description: "socket failed") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var result: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = UInt16(port).bigEndian
            address.sin6_addr = in6addr_loopback
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard result == 0 else {
            close(fd)
            throw ClientError(description: "connect to port \(port) failed: \(String(cString: strerror(errno)))")
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Half-closes: no more bytes from the client, responses can still arrive.
    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError(description: "send failed: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// Reads more bytes; false on EOF, throws on timeout or reset.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        if n == 0 { return false }
        throw ClientError(description: errno == EAGAIN ? "timed out waiting for the server" : "recv failed: \(String(cString: strerror(errno)))")
    }

    /// Reads one response; `head` for responses to HEAD requests (no body).
    public func readResponse(head: Bool = false) throws -> Response {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = find([13, 10, 13, 10])
            if headEnd == nil { guard try fill() else { throw ClientError(description: "connection closed before a response") } }
        }
        guard let end = headEnd else { throw ClientError(description: "no head") }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError(description: "bad status line \(headText)") }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        buffer.removeFirst(end + 4)
        let noBody = head || status == 204 || status == 304 || status < 200
        if !noBody, headers.contains(where: { $0.0.lowercased() == "transfer-encoding" && $0.1.lowercased() == "chunked" }) {
            return try readChunked(status: status, headers: headers)
        }
        if !noBody, !headers.contains(where: { $0.0.lowercased() == "content-length" }) {
            // No length and not chunked: the body ends when the server closes.
            while try fill() {}
            let body = buffer
            buffer.removeAll()
            return Response(status: status, headers: headers, body: body)
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyLength = (head || status == 204 || status == 304 || status < 200) ? 0 : length
        while buffer.count < bodyLength {
            guard try fill() else { throw ClientError(description: "connection closed inside a body") }
        }
        let body = Array(buffer[0..<bodyLength])
        buffer.removeFirst(bodyLength)
        return Response(status: status, headers: headers, body: body)
    }

    /// A chunked body (RFC 9112 §7.1), without trailers; `chunks` counts its pieces.
    private func readChunked(status: Int, headers: [(String, String)]) throws -> Response {
        var body: [UInt8] = []
        var chunks = 0
        while true {
            var lineEnd = find([13, 10])
            while lineEnd == nil {
                guard try fill() else { throw ClientError(description: "connection closed inside a chunked body") }
                lineEnd = find([13, 10])
            }
            guard let end = lineEnd, let size = Int(String(decoding: buffer[0..<end], as: UTF8.self), radix: 16) else {
                throw ClientError(description: "bad chunk size line")
            }
            buffer.removeFirst(end + 2)
            while buffer.count < size + 2 {
                guard try fill() else { throw ClientError(description: "connection closed inside a chunk") }
            }
            if size == 0 {
                buffer.removeFirst(2)
                var response = Response(status: status, headers: headers, body: body)
                response.chunks = chunks
                return response
            }
            body += buffer[0..<size]
            chunks += 1
            buffer.removeFirst(size + 2)
        }
    }

    /// True when the server closes the connection (EOF) within the receive timeout, with no more bytes.
    public func isClosedByServer() -> Bool {
        guard buffer.isEmpty else { return false }
        do { return try !fill() } catch { return (error as? ClientError)?.description.contains("reset") ?? false }
    }

    /// Whether a byte (or the end of the stream) arrives within `seconds`, without consuming it. Only for
    /// checking that nothing has been sent *yet*: a short window can let a wrong server pass, never fail a right one.
    public func hasInput(within seconds: Double) -> Bool {
        guard buffer.isEmpty else { return true }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(seconds * 1000)) > 0
    }

    /// Reads until the server closes the connection (or resets it, or the receive timeout passes);
    /// how many bytes arrived after what was already read, and whether the server ended the stream.
    public func readUntilClosed() -> (bytes: Int, closed: Bool) {
        var total = buffer.count
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { total += n; continue }
            if n == 0 { return (total, true) }
            return (total, errno == ECONNRESET || errno == EPIPE)
        }
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] && Array(buffer[i..<(i + pattern.count)]) == pattern {
            return i
        }
        return nil
    }

    /// One request on a new connection.
    public static func request(port: Int, _ method: String, _ path: String, body: String? = nil,
                               contentType: String = "application/json", headers: [(String, String)] = [],
                               timeout: Double = patientSeconds) throws -> Response {
        let client = try RawClient(port: port, timeout: timeout)
        try client.send(RawClient.requestText(method, path, body: body, contentType: contentType, headers: headers + [("Connection", "close")]))
        return try client.readResponse(head: method == "HEAD")
    }

    public static func requestText(_ method: String, _ path: String, body: String? = nil,
                                   contentType: String = "application/json", headers: [(String, String)] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body {
            text += "Content-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            text += "\r\n"
        }
        return text
    }
}

/// A fresh temporary folder, removed at deinit.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "hearken-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
