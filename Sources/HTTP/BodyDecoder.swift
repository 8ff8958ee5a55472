/// Incremental body reader for Content-Length and chunked framing (RFC 9112 §6, §7.1).
struct BodyDecoder {
    enum Outcome: Equatable {
        case needMore
        case complete
        case failed(ParseError)
    }

    private enum State {
        case length(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case done
    }

    private var state: State
    private var line: [UInt8] = []
    private var trailerBytes = 0
    private let limit: Int
    private let limits: ParserLimits
    private(set) var body: [UInt8] = []

    init(framing: BodyFraming, limit: Int, limits: ParserLimits) {
        self.limit = limit
        self.limits = limits
        switch framing {
        case .none: state = .done
        case .length(let n): state = .length(remaining: n); body.reserveCapacity(n)
        case .chunked: state = .chunkSize
        }
    }

    var isDone: Bool { if case .done = state { true } else { false } }

    /// Consumes bytes from `input`; returns how many were used and the outcome so far.
    mutating func feed(_ input: UnsafeBufferPointer<UInt8>) -> (consumed: Int, outcome: Outcome) {
        var index = 0
        while true {
            switch state {
            case .done:
                return (index, .complete)
            case .length(let remaining):
                let take = min(remaining, input.count - index)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: input[index..<(index + take)]))
                index += take
                if remaining == take { state = .done } else { state = .length(remaining: remaining - take); return (index, .needMore) }
            case .chunkData(let remaining):
                let take = min(remaining, input.count - index)
                body.append(contentsOf: UnsafeBufferPointer(rebasing: input[index..<(index + take)]))
                index += take
                if remaining == take { state = .chunkDataEnd } else { state = .chunkData(remaining: remaining - take); return (index, .needMore) }
            case .chunkDataEnd, .chunkSize, .trailers:
                guard let newline = input[index...].firstIndex(of: 0x0A) else {
                    line.append(contentsOf: UnsafeBufferPointer(rebasing: input[index...]))
                    let consumed = input.count
                    if case .trailers = state {
                        if trailerBytes + line.count > limits.maxHeaderBytes { return (consumed, .failed(.headersTooLarge)) }
                    } else if line.count > limits.maxChunkLine {
                        return (consumed, .failed(.bad("chunk line too long")))
                    }
                    return (consumed, .needMore)
                }
                line.append(contentsOf: UnsafeBufferPointer(rebasing: input[index..<newline]))
                index = newline + 1
                guard line.last == 0x0D else { return (index, .failed(.bad("chunk line not terminated by CRLF"))) }
                line.removeLast()
                if let error = finishLine() { return (index, .failed(error)) }
                line.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Handles one complete line (CRLF removed) in the chunk-size, data-end or trailer state.
    private mutating func finishLine() -> ParseError? {
        switch state {
        case .chunkDataEnd:
            guard line.isEmpty else { return .bad("chunk data longer than its size") }
            state = .chunkSize
        case .chunkSize:
            if line.count > limits.maxChunkLine { return .bad("chunk line too long") }
            guard let size = Self.chunkSize(line) else { return .bad("invalid chunk size") }
            if size == 0 {
                state = .trailers
            } else {
                guard size <= limit - body.count else { return .bodyTooLarge }
                state = .chunkData(remaining: size)
            }
        case .trailers:
            if line.isEmpty { state = .done; return nil }
            trailerBytes += line.count + 2
            if trailerBytes > limits.maxHeaderBytes { return .headersTooLarge }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                  line[..<colon].allSatisfy(CharacterClass.isToken),
                  !line.contains(where: { $0 != 0x09 && ($0 < 0x20 || $0 == 0x7F) }) else {
                return .bad("invalid trailer field")
            }
        default:
            break
        }
        return nil
    }

    /// `chunk-size [ chunk-ext ]`: 1–16 hex digits, then optional `;name[=value]` extensions.
    static func chunkSize(_ line: [UInt8]) -> Int? {
        var size = 0
        var digits = 0
        var index = 0
        while index < line.count, let value = FormDecoding.hexValue(line[index]) {
            guard digits < 15 else { return nil }
            size = size << 4 | Int(value)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        let rest = line[index...]
        if rest.isEmpty { return size }
        // Optional whitespace, then extensions; values are ignored but must be printable.
        guard let semicolon = rest.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }), line[semicolon] == UInt8(ascii: ";") else { return nil }
        guard !line[semicolon...].contains(where: { $0 != 0x09 && ($0 < 0x20 || $0 == 0x7F) }) else { return nil }
        return size
    }
}
