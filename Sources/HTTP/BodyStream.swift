/// A response body produced piece by piece. The server asks for the next piece only after the
/// previous one has been written to the socket, so memory stays constant however long the body is
/// and a slow reader slows the producer down. On HTTP/1.1 the body goes out chunked; on HTTP/1.0
/// it ends when the connection closes.
public protocol BodyStream: Sendable {
    /// Produces the next piece and calls `deliver` exactly once, from any thread: non-empty bytes,
    /// nil at the end, or an error (the connection is then closed, so the client sees a truncated body).
    func next(_ deliver: @escaping @Sendable (Result<[UInt8]?, any Error>) -> Void)
    /// The client went away or the server is stopping: no more `next` calls will come.
    func cancel()
}

extension Response {
    /// A streamed response; `Content-Length` is not known in advance.
    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), stream: any BodyStream) {
        self.init(status: status, headers: headers)
        self.stream = stream
    }
}

enum ChunkedEncoding {
    /// One chunk: size in hex, CRLF, the bytes, CRLF.
    static func chunk(_ bytes: [UInt8]) -> [UInt8] {
        var out = Array(String(bytes.count, radix: 16).utf8)
        out.reserveCapacity(out.count + bytes.count + 4)
        out += [0x0D, 0x0A]
        out += bytes
        out += [0x0D, 0x0A]
        return out
    }

    static let last: [UInt8] = Array("0\r\n\r\n".utf8)
}
