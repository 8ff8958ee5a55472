import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP receiver on a real socket for webhook tests: records every request and answers with
/// the status it is told, after an optional delay. Each connection gets its own thread, so a slow
/// answer does not hold the next request.
public final class WebhookReceiver: @unchecked Sendable { // mutable state guarded by `lock`
    public struct Received: Sendable {
        public let headers: [(String, String)]
        public let body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        public var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] }
    }

    public let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var requests: [Received] = []
    private var answer = 200
    private var answerDelay = 0.0
    private var stopped = false
    private var answerHeaders: [(String, String)] = []

    /// Listens on 127.0.0.1:`port` (0: a free one).
    public init(port: Int = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawClient.ClientError(description: "socket failed") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw RawClient.ClientError(description: "cannot listen on port \(port): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        listener = fd
        Thread.detachNewThread { [weak self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }
                guard let self else { close(client); return }
                Thread.detachNewThread { self.serve(client) }
            }
        }
    }

    /// The status later requests get, and how long the receiver waits before answering.
    public func respond(_ status: Int, after delay: Double = 0, headers: [(String, String)] = []) {
        lock.lock(); answer = status; answerDelay = delay; answerHeaders = headers; lock.unlock()
    }

    public var received: [Received] { lock.lock(); defer { lock.unlock() }; return requests }

    /// Waits until at least `count` requests arrived; false after `timeout` seconds.
    public func wait(for count: Int, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if received.count >= count { return true }
            usleep(20_000)
        }
        return received.count >= count
    }

    /// Stops listening: new connections are refused.
    public func stop() {
        lock.lock()
        let first = !stopped
        stopped = true
        lock.unlock()
        guard first else { return } // closing twice could close a descriptor reused meanwhile
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var headEnd: Int?
        var bodyLength = 0
        var headers: [(String, String)] = []
        while true {
            if let end = headEnd, buffer.count >= end + bodyLength { break }
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { return }
            buffer += chunk[0..<n]
            if headEnd == nil, let end = Self.find([13, 10, 13, 10], in: buffer) {
                headEnd = end + 4
                let lines = String(decoding: buffer[0..<end], as: UTF8.self).components(separatedBy: "\r\n").dropFirst()
                headers = lines.compactMap { line in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                bodyLength = Int(headers.first { $0.0.lowercased() == "content-length" }?.1 ?? "0") ?? 0
            }
        }
        guard let end = headEnd else { return }
        lock.lock()
        requests.append(Received(headers: headers, body: Array(buffer[end..<(end + bodyLength)])))
        let (status, delay, extra) = (answer, answerDelay, answerHeaders)
        lock.unlock()
        if delay > 0 { usleep(UInt32(delay * 1_000_000)) }
        let head = extra.map { "\($0.0): \($0.1)\r\n" }.joined()
        let response = Array("HTTP/1.1 \(status) Answer\r\n\(head)Content-Length: 2\r\nConnection: close\r\n\r\nok".utf8)
        _ = response.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    private static func find(_ pattern: [UInt8], in buffer: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where buffer[i] == pattern[0] && Array(buffer[i..<(i + pattern.count)]) == pattern {
            return i
        }
        return nil
    }
}
