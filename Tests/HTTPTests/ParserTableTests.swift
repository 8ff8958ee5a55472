import Testing
@testable import HTTP

/// The expected outcome of parsing one raw request.
enum Expect: Sendable, CustomStringConvertible {
    case ok(method: String, body: String)
    case status(Int)
    case incomplete

    var description: String {
        switch self {
        case .ok(let m, let b): "ok \(m) body=\(b.count)"
        case .status(let s): "status \(s)"
        case .incomplete: "incomplete"
        }
    }
}

struct ParserCase: Sendable, CustomStringConvertible {
    let name: String
    let raw: String
    let expect: Expect
    var description: String { name }

    init(_ name: String, _ raw: String, _ expect: Expect) {
        self.name = name
        self.raw = raw
        self.expect = expect
    }
}

/// RFC 9112 cases, many ported from llhttp's fixtures, Go's serve_test and Http11Probe.
let parserCases: [ParserCase] = [
    ParserCase("simple GET", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", .ok(method: "GET", body: "")),
    ParserCase("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n", .ok(method: "GET", body: "")),
    ParserCase("POST with Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", .ok(method: "POST", body: "hello")),
    ParserCase("chunked body", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", .ok(method: "POST", body: "hello world")),
    ParserCase("chunked with extension", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n0\r\n\r\n", .ok(method: "POST", body: "hello")),
    ParserCase("chunked with trailer", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-Sum: 1\r\n\r\n", .ok(method: "POST", body: "hi")),
    ParserCase("upper-case hex chunk size", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n", .ok(method: "POST", body: "0123456789")),
    ParserCase("Transfer-Encoding case-insensitive", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", .ok(method: "POST", body: "")),
    ParserCase("identical duplicate Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nhi", .ok(method: "POST", body: "hi")),
    ParserCase("leading empty line ignored", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", .ok(method: "GET", body: "")),
    ParserCase("header value with tabs and spaces trimmed", "GET / HTTP/1.1\r\nHost:\t a \t\r\n\r\n", .ok(method: "GET", body: "")),
    ParserCase("absolute-form target", "GET http://a/x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", .ok(method: "GET", body: "")),
    ParserCase("OPTIONS asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", .ok(method: "OPTIONS", body: "")),
    ParserCase("Content-Length zero", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", .ok(method: "POST", body: "")),
    ParserCase("obs-text in header value", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\u{e9}\r\n\r\n", .ok(method: "GET", body: "")),

    ParserCase("incomplete head", "GET / HTTP/1.1\r\nHost: a\r\n", .incomplete),
    ParserCase("incomplete body", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc", .incomplete),
    ParserCase("incomplete chunked body", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", .incomplete),

    ParserCase("Content-Length with Transfer-Encoding", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .status(400)),
    ParserCase("differing duplicate Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc", .status(400)),
    ParserCase("Content-Length list with different values", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 3\r\n\r\nabc", .status(400)),
    ParserCase("negative Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", .status(400)),
    ParserCase("Content-Length with plus sign", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", .status(400)),
    ParserCase("huge Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", .status(400)),
    ParserCase("invalid chunk size", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhi\r\n0\r\n\r\n", .status(400)),
    ParserCase("chunk size overflow", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFF\r\nhi\r\n0\r\n\r\n", .status(400)),
    ParserCase("chunk data longer than size", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", .status(400)),
    ParserCase("chunk size with bare LF", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\nhi\r\n0\r\n\r\n", .status(400)),
    ParserCase("chunked not final", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .status(400)),
    ParserCase("chunked twice", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", .status(400)),
    ParserCase("unsupported transfer coding", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .status(501)),
    // Framing fields repeated over several lines are read as one list (the head parser collects
    // them in one pass, as first value and count).
    ParserCase("transfer codings over two fields", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", .status(501)),
    ParserCase("chunked in two fields", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .status(400)),
    ParserCase("Content-Length list of equal values", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nhi", .ok(method: "POST", body: "hi")),
    ParserCase("Content-Length list of differing values", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 3\r\n\r\nhi", .status(400)),
    ParserCase("Transfer-Encoding in HTTP/1.0", "POST /f HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .status(400)),
    ParserCase("bare CR in header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\rc\r\n\r\n", .status(400)),
    ParserCase("bare LF line ending", "GET / HTTP/1.1\nHost: a\n\n", .status(400)),
    ParserCase("obsolete line folding", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", .status(400)),
    ParserCase("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", .status(400)),
    ParserCase("invalid character in header name", "GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n", .status(400)),
    ParserCase("NUL in header value", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\u{0}c\r\n\r\n", .status(400)),
    ParserCase("header without colon", "GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", .status(400)),
    ParserCase("missing Host in HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", .status(400)),
    ParserCase("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", .status(400)),
    ParserCase("invalid Host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", .status(400)),
    ParserCase("HTTP/2.0 version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", .status(505)),
    ParserCase("HTTP/1.2 version", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", .status(505)),
    ParserCase("malformed version", "GET / HTTX/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("double space in request line", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("missing target", "GET HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("extension method is syntax, not an error", "BREW / HTTP/1.1\r\nHost: a\r\n\r\n", .ok(method: "BREW", body: "")),
    ParserCase("invalid method characters", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("control character in target", "GET /a\u{1}b HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("relative target", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("asterisk with GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", .status(400)),
    ParserCase("unsupported Expect", "POST /f HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", .status(417)),
    ParserCase("body over limit by Content-Length", "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 70000\r\n\r\n", .status(413)),
    ParserCase("chunked body over limit", "POST /f HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n11170\r\n", .status(413)),
    ParserCase("request line too long", "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n", .status(414)),
    ParserCase("header section too large", "GET / HTTP/1.1\r\nHost: a\r\nX-A: " + String(repeating: "b", count: 40000) + "\r\n\r\n", .status(431)),
    ParserCase("too many header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + String(repeating: "X-A: b\r\n", count: 101) + "\r\n", .status(431)),
]

@Suite struct ParserTableTests {
    @Test(arguments: parserCases)
    func outcome(_ testCase: ParserCase) {
        let result = MessageParser.parse(Array(testCase.raw.utf8))
        switch (testCase.expect, result) {
        case (.ok(let method, let body), .complete(let head, let parsedBody, _)):
            #expect(head.method == method)
            #expect(String(decoding: parsedBody, as: UTF8.self) == body)
        case (.status(let status), .failed(let error)):
            #expect(error.status.code == status, "\(error.message)")
        case (.incomplete, .needMore):
            break
        default:
            Issue.record("\(testCase.name): expected \(testCase.expect), got \(result)")
        }
    }

    /// Every valid case must give the same result however its bytes are split: the connection
    /// feeds the scanner and body decoder piece by piece.
    @Test func validCasesParseAtEverySplit() {
        for testCase in parserCases {
            // Leading CRLF is stripped by the connection before scanning, so that case is covered by the table only.
            guard case .ok(_, let body) = testCase.expect, !testCase.raw.hasPrefix("\r\n") else { continue }
            let bytes = Array(testCase.raw.utf8)
            for split in 1..<bytes.count {
                var scanner = HeadScanner()
                let first = Array(bytes[..<split])
                let firstOutcome = first.withUnsafeBufferPointer { scanner.scan($0, limits: ParserLimits()) }
                if case .failed(let error) = firstOutcome {
                    Issue.record("\(testCase.name) split \(split): \(error)")
                    continue
                }
                var full = firstOutcome
                if case .needMore = firstOutcome {
                    full = bytes.withUnsafeBufferPointer { scanner.scan($0, limits: ParserLimits()) }
                }
                guard case .complete(let headLength) = full else {
                    Issue.record("\(testCase.name) split \(split): head not found")
                    continue
                }
                guard case .success(let head) = bytes.withUnsafeBufferPointer({
                    RequestHeadParser.parse(UnsafeBufferPointer(rebasing: $0[..<headLength]), limits: ParserLimits())
                }) else {
                    Issue.record("\(testCase.name): head did not parse")
                    continue
                }
                var decoder = BodyDecoder(framing: head.framing, limit: 1 << 20, limits: ParserLimits())
                var position = headLength
                var finished = decoder.isDone
                while !finished && position < bytes.count {
                    let end = min(bytes.count, max(position + 1, split))
                    let piece = Array(bytes[position..<end])
                    let (used, outcome) = piece.withUnsafeBufferPointer { decoder.feed($0) }
                    position += used
                    if case .complete = outcome { finished = true }
                    if case .failed(let error) = outcome { Issue.record("\(testCase.name) split \(split): \(error)"); break }
                    if used == 0 && end == bytes.count { break }
                }
                #expect(finished, "\(testCase.name) split \(split)")
                #expect(String(decoding: decoder.body, as: UTF8.self) == body, "\(testCase.name) split \(split)")
            }
        }
    }

    @Test func pipelinedRequestsConsumeExactlyOneMessage() {
        let raw = Array("POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhiGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8)
        guard case .complete(_, let body, let consumed) = MessageParser.parse(raw) else {
            Issue.record("first request did not parse")
            return
        }
        #expect(body == Array("hi".utf8))
        guard case .complete(let second, _, _) = MessageParser.parse(Array(raw[consumed...])) else {
            Issue.record("second request did not parse")
            return
        }
        #expect(second.method == "GET")
    }

    @Test func keepAliveRules() {
        func keepAlive(_ raw: String) -> Bool? {
            if case .complete(let head, _, _) = MessageParser.parse(Array(raw.utf8)) { return head.keepAlive }
            return nil
        }
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\n\r\n") == true)
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\n\r\n") == false)
        #expect(keepAlive("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") == true)
        #expect(keepAlive("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close\r\n\r\n") == false)
    }
}
