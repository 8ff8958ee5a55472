/// How the body of a request is delimited (RFC 9112 §6.3).
public enum BodyFraming: Equatable, Sendable {
    case none
    case length(Int)
    case chunked
}

/// A parsed and validated request line and header section.
public struct RequestHead: Sendable {
    public let method: String
    public let target: String
    public let version: HTTPVersion
    public let headers: HTTPHeaders
    public let framing: BodyFraming
    /// Whether the client allows the connection to stay open after this exchange.
    public let keepAlive: Bool
    public let expectsContinue: Bool
}

/// Finds the end of a header section incrementally, so a trickling client costs O(n) in total.
struct HeadScanner {
    private var position = 0
    private var lineStart = 0
    private var sawRequestLine = false

    enum Outcome: Equatable {
        case needMore
        /// Bytes of the head, final empty line included.
        case complete(Int)
        case failed(ParseError)
    }

    mutating func reset() { self = HeadScanner() }

    /// Scans `bytes` (everything received for this request so far) from where it stopped last time.
    mutating func scan(_ bytes: UnsafeBufferPointer<UInt8>, limits: ParserLimits) -> Outcome {
        let count = bytes.count
        while position < count {
            if bytes[position] == 0x0A {
                let length = position - lineStart
                let empty = length == 0 || (length == 1 && bytes[lineStart] == 0x0D)
                if !sawRequestLine {
                    if length > limits.maxRequestLine { return .failed(.requestLineTooLong) }
                    if empty { return .failed(.bad("empty request line")) }
                    sawRequestLine = true
                } else if empty {
                    position += 1
                    return position > limits.maxHeaderBytes ? .failed(.headersTooLarge) : .complete(position)
                }
                lineStart = position + 1
            }
            position += 1
        }
        if !sawRequestLine && count > limits.maxRequestLine { return .failed(.requestLineTooLong) }
        if count > limits.maxHeaderBytes { return .failed(.headersTooLarge) }
        return .needMore
    }
}
