import Feedback
import HTTP

// libFuzzer entry point: any bytes through the request parser, the form decoder and the JSON parser
// of feedback bodies.
// Build and run with `make fuzz` (SwiftPM's --sanitize fuzzer --sanitize address).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var limits = ParserLimits()
    limits.maxHeaderBytes = 4096
    limits.maxRequestLine = 1024
    if case .complete(let head, let body, let consumed) = MessageParser.parse(bytes, limits: limits, bodyLimit: 8192) {
        precondition(consumed <= bytes.count, "consumed past the input")
        let request = Request(method: head.method, target: head.target, version: head.version, headers: head.headers, body: body)
        _ = request.queryItems
        _ = Router().lookup(method: head.method, path: request.path)
    }
    // The body parser of POST /v1/feedback: any input must end in a value or a Failure, never a trap.
    if case .object(let fields)? = try? JSONParser.parse(bytes) {
        precondition(fields.count <= bytes.count, "more fields than bytes")
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        _ = FormDecoding.pairs(text, strict: true)
        _ = FormDecoding.pairs(text, strict: false)
    }
    return 0
}
