/// Parses one whole request from bytes with the same components the connections use.
/// For tests and fuzzing: it needs every byte up front, where a connection feeds them as they come.
public enum MessageParser {
    public enum Outcome: Sendable {
        case complete(RequestHead, body: [UInt8], consumed: Int)
        case needMore
        case failed(ParseError)
    }

    public static func parse(_ bytes: [UInt8], limits: ParserLimits = ParserLimits(), bodyLimit: Int = 64 * 1024) -> Outcome {
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            // Empty lines before the request line are ignored (RFC 9112 §2.2), as in a connection.
            while start + 1 < all.count, all[start] == 0x0D, all[start + 1] == 0x0A { start += 2 }
            var scanner = HeadScanner()
            let input = UnsafeBufferPointer(rebasing: all[start...])
            switch scanner.scan(input, limits: limits) {
            case .needMore: return .needMore
            case .failed(let error): return .failed(error)
            case .complete(let headLength):
                let head: RequestHead
                switch RequestHeadParser.parse(UnsafeBufferPointer(rebasing: input[..<headLength]), limits: limits) {
                case .failure(let error): return .failed(error)
                case .success(let parsed): head = parsed
                }
                if case .length(let n) = head.framing, n > bodyLimit { return .failed(.bodyTooLarge) }
                var decoder = BodyDecoder(framing: head.framing, limit: bodyLimit, limits: limits)
                let (used, outcome) = decoder.feed(UnsafeBufferPointer(rebasing: input[headLength...]))
                switch outcome {
                case .complete: return .complete(head, body: decoder.body, consumed: start + headLength + used)
                case .needMore: return .needMore
                case .failed(let error): return .failed(error)
                }
            }
        }
    }
}
