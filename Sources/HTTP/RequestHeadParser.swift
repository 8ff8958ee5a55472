/// Strict RFC 9112 parsing of a complete header section. Pure: bytes in, head or error out.
enum RequestHeadParser {
    static func parse(_ head: UnsafeBufferPointer<UInt8>, limits: ParserLimits) -> Result<RequestHead, ParseError> {
        var lines: [Range<Int>] = []
        lines.reserveCapacity(16) // one allocation for a usual head instead of one per doubling
        var lineStart = 0
        for index in 0..<head.count where head[index] == 0x0A {
            guard index > lineStart, head[index - 1] == 0x0D else {
                return .failure(.bad("line not terminated by CRLF"))
            }
            lines.append(lineStart..<(index - 1))
            lineStart = index + 1
        }
        // The last line is the empty one that ends the section.
        guard let requestLine = lines.first, lines.count >= 2 else { return .failure(.bad("incomplete header section")) }
        let fieldLines = lines.dropFirst().dropLast()
        guard fieldLines.count <= limits.maxHeaderCount else { return .failure(.tooManyHeaders) }

        let (method, target, version): (String, String, HTTPVersion)
        switch parseRequestLine(head, requestLine) {
        case .success(let parts): (method, target, version) = parts
        case .failure(let error): return .failure(error)
        }

        var headers = HTTPHeaders()
        headers.reserveCapacity(fieldLines.count)
        for line in fieldLines {
            switch parseField(head, line) {
            case .success(let field): headers.add(field.0, field.1)
            case .failure(let error): return .failure(error)
            }
        }
        // Any token is a method (RFC 9110 §9.1); the router answers 405 with Allow, or 404.
        return interpret(method: method, target: target, version: version, headers: headers)
    }

    private static func parseRequestLine(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Result<(String, String, HTTPVersion), ParseError> {
        let slice = UnsafeBufferPointer(rebasing: bytes[line])
        guard let firstSpace = slice.firstIndex(of: 0x20) else { return .failure(.bad("malformed request line")) }
        guard let secondSpace = slice[(firstSpace + 1)...].firstIndex(of: 0x20) else { return .failure(.bad("malformed request line")) }
        let methodBytes = slice[..<firstSpace]
        let targetBytes = slice[(firstSpace + 1)..<secondSpace]
        let versionBytes = slice[(secondSpace + 1)...]
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(CharacterClass.isToken) else {
            return .failure(.bad("invalid method"))
        }
        guard !targetBytes.isEmpty, targetBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return .failure(.bad("invalid request target"))
        }
        // Read in place (copying it and the "HTTP/" it starts with were two allocations per request).
        let v = versionBytes.startIndex
        guard versionBytes.count == 8, versionBytes.prefix(5).elementsEqual("HTTP/".utf8),
              versionBytes[v + 6] == UInt8(ascii: "."),
              let major = digit(versionBytes[v + 5]), let minor = digit(versionBytes[v + 7]) else {
            return .failure(.bad("invalid HTTP version"))
        }
        guard major == 1, minor == 0 || minor == 1 else { return .failure(.unsupportedVersion) }
        let target = String(decoding: targetBytes, as: UTF8.self)
        guard target.hasPrefix("/") || target == "*" || target.lowercased().hasPrefix("http://") || target.lowercased().hasPrefix("https://") else {
            return .failure(.bad("request target must be origin-form or absolute-form"))
        }
        return .success((String(decoding: methodBytes, as: UTF8.self), target, HTTPVersion(major: major, minor: minor)))
    }

    private static func parseField(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Result<(String, String), ParseError> {
        let slice = UnsafeBufferPointer(rebasing: bytes[line])
        guard let first = slice.first else { return .failure(.bad("empty header line")) }
        if first == 0x20 || first == 0x09 { return .failure(.bad("obsolete line folding is not accepted")) }
        guard let colon = slice.firstIndex(of: UInt8(ascii: ":")) else { return .failure(.bad("header line without a colon")) }
        let name = slice[..<colon]
        guard !name.isEmpty else { return .failure(.bad("empty header name")) }
        if let last = name.last, last == 0x20 || last == 0x09 {
            return .failure(.bad("whitespace between header name and colon"))
        }
        guard name.allSatisfy(CharacterClass.isToken) else { return .failure(.bad("invalid character in header name")) }
        var value = slice[(colon + 1)...]
        while let b = value.first, b == 0x20 || b == 0x09 { value = value.dropFirst() }
        while let b = value.last, b == 0x20 || b == 0x09 { value = value.dropLast() }
        for byte in value where byte != 0x09 && (byte < 0x20 || byte == 0x7F) {
            return .failure(.bad(byte == 0x0D ? "bare CR in header value" : "invalid character in header value"))
        }
        return .success((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }

    /// The fields `interpret` reads, gathered in one pass over the head (a scan per name cost more
    /// than parsing the fields, callgrind): the first value of each and how many there are, which is
    /// all a usual head needs, with no array; `all` reads every value when there is more than one.
    private struct FramingFields {
        struct Seen {
            private(set) var first: String?
            private(set) var count = 0

            mutating func note(_ value: String) {
                if count == 0 { first = value }
                count += 1
            }

            func all(_ name: String, in headers: HTTPHeaders) -> [String] {
                guard let first else { return [] }
                return count == 1 ? [first] : headers.values(name)
            }
        }

        var host = Seen(), length = Seen(), codings = Seen(), connection = Seen(), expect = Seen()

        init(_ headers: HTTPHeaders) {
            for (name, value) in headers {
                switch name.utf8.count {
                case 4 where HTTPHeaders.equal(name, "host"): host.note(value)
                case 14 where HTTPHeaders.equal(name, "content-length"): length.note(value)
                case 17 where HTTPHeaders.equal(name, "transfer-encoding"): codings.note(value)
                case 10 where HTTPHeaders.equal(name, "connection"): connection.note(value)
                case 6 where HTTPHeaders.equal(name, "expect"): expect.note(value)
                default: break
                }
            }
        }
    }

    /// Framing, persistence and expectations from the header fields (RFC 9112 §6, §9; RFC 9110 §10.1.1).
    private static func interpret(method: String, target: String, version: HTTPVersion, headers: HTTPHeaders) -> Result<RequestHead, ParseError> {
        let fields = FramingFields(headers)
        if version == .http1_1 && fields.host.count == 0 { return .failure(.bad("missing Host header")) }
        if fields.host.count > 1 { return .failure(.bad("more than one Host header")) }
        if let host = fields.host.first, !host.utf8.allSatisfy(CharacterClass.isHostChar) {
            return .failure(.bad("invalid Host header"))
        }
        if target == "*" && method != "OPTIONS" { return .failure(.bad("asterisk-form is only valid for OPTIONS")) }

        let framing: BodyFraming
        if fields.codings.count > 0 {
            let codings = HTTPHeaders.tokens(fields.codings.all("transfer-encoding", in: headers))
            guard fields.length.count == 0 else { return .failure(.bad("both Content-Length and Transfer-Encoding")) }
            guard version == .http1_1 else { return .failure(.bad("Transfer-Encoding in an HTTP/1.0 request")) }
            guard codings.last == "chunked" else {
                return .failure(codings.isEmpty ? .bad("empty Transfer-Encoding") : (codings.contains("chunked") ? .bad("chunked must be the final transfer coding") : .unsupportedCoding))
            }
            guard codings.count == 1 else {
                return .failure(codings.dropLast().contains("chunked") ? .bad("chunked applied more than once") : .unsupportedCoding)
            }
            framing = .chunked
        } else if let length = fields.length.first {
            switch fields.length.count == 1 ? contentLength(length) : contentLengthByElements(fields.length.all("content-length", in: headers)) {
            case .success(let value): framing = value > 0 ? .length(value) : .none
            case .failure(let error): return .failure(error)
            }
        } else {
            framing = .none
        }

        let connection = fields.connection.count == 0 ? [] : HTTPHeaders.tokens(fields.connection.all("connection", in: headers))
        let keepAlive = version == .http1_1 ? !connection.contains("close") : connection.contains("keep-alive") && !connection.contains("close")

        var expectsContinue = false
        if let expect = fields.expect.first {
            guard expect.trimmingOWS().lowercasedASCII() == "100-continue", fields.expect.count == 1 else {
                return .failure(.expectation)
            }
            expectsContinue = version == .http1_1
        }
        return .success(RequestHead(method: method, target: target, version: version, headers: headers, framing: framing, keepAlive: keepAlive, expectsContinue: expectsContinue))
    }

    /// The length one `Content-Length` field gives. Fast path: 1-18 digits, as clients send it, read
    /// digit by digit; anything else goes the general way.
    static func contentLength(_ value: String) -> Result<Int, ParseError> {
        guard (1...18).contains(value.utf8.count) else { return contentLengthByElements([value]) }
        var length = 0
        for byte in value.utf8 {
            guard byte >= 0x30 && byte <= 0x39 else { return contentLengthByElements([value]) }
            length = length * 10 + Int(byte - 0x30)
        }
        return .success(length)
    }

    /// The general reading: comma-separated elements across fields, each trimmed, all equal.
    static func contentLengthByElements(_ values: [String]) -> Result<Int, ParseError> {
        var value: Int?
        for element in values.flatMap({ $0.split(separator: ",", omittingEmptySubsequences: false) }) {
            let text = element.trimmingOWS()
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let parsed = Int(text) else {
                return .failure(.bad("invalid Content-Length"))
            }
            if let value, value != parsed { return .failure(.bad("conflicting Content-Length values")) }
            value = parsed
        }
        return .success(value ?? 0)
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}

enum CharacterClass {
    /// tchar from RFC 9110 §5.6.2: letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isToken(_ byte: UInt8) -> Bool { isMember(byte, 0x03FF_6CFA_0000_0000, 0x57FF_FFFF_C7FF_FFFE) }

    /// Characters of uri-host and port (reg-name, IP literal, percent escapes): letters, digits and `-._~!$&'()*+,;=:%[]`.
    static func isHostChar(_ byte: UInt8) -> Bool { isMember(byte, 0x2FFF_7FF2_0000_0000, 0x47FF_FFFE_AFFF_FFFE) }

    /// One bit per ASCII byte (`low` for 0-63, `high` for 64-127): a shift and a mask per byte, where a
    /// switch over the symbols compared one by one (callgrind; every header byte goes through one).
    /// FastPathTests holds both sets against their definitions.
    @inline(__always) private static func isMember(_ byte: UInt8, _ low: UInt64, _ high: UInt64) -> Bool {
        if byte < 64 { return (low >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (high >> UInt64(byte - 64)) & 1 == 1 }
        return false
    }
}
