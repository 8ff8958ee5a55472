import Foundation
import Testing
@testable import App
@testable import Feedback

@Suite struct JSONParserTests {
    @Test(arguments: [
        (#"{"a":"b"}"#, FieldValue.object(["a": .text("b")])),
        (#" { "n" : -1.5e3 , "t":true,"f":false,"z":null } "#, .object(["n": .number("-1.5e3"), "t": .bool(true), "f": .bool(false), "z": .null])),
        (#"{"s":"\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"}"#, .object(["s": .text("\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1F600}")])),
        (#"{"o":{"k":"v"},"a":[1,[2],{}]}"#, .object(["o": .object(["k": .text("v")]), "a": .array])),
        ("{\"raw\":\"caf\u{e9}\"}", .object(["raw": .text("caf\u{e9}")])),
        ("0", .number("0")),
        (#""x""#, .text("x")),
    ])
    func parsesValid(_ text: String, _ expected: FieldValue) throws {
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        "", "{", "}", #"{"a"}"#, #"{"a":}"#, #"{"a":1,}"#, "[1,]", "01", "1.", "-", "1e", "+1", "tru", "nul", "{'a':1}",
        #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{"a":"\ud800"}"#, #"{"a":"\udc00"}"#, "{\"a\":\"tab\there\"}", #"{"a":1} x"#,
        String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
    ])
    func rejectsInvalid(_ text: String) {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test func rejectsInvalidUTF8() {
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x22, 0xFF, 0xFE, 0x22]) }
    }

    /// Agrees with Foundation on which documents are valid, for a mix of inputs.
    @Test func agreesWithFoundationOnValidity() {
        let samples = [#"{"page":"/a","rating":"up"}"#, #"{"a":[1,2,{"b":null}]}"#, #"{"a":"\u0000"}"#, "[]", #"{"a" 1}"#, "{\"a\":\"\u{7f}\"}"]
        for sample in samples {
            let ours = (try? JSONParser.parse(Array(sample.utf8))) != nil
            let theirs = (try? JSONSerialization.jsonObject(with: Data(sample.utf8), options: [.fragmentsAllowed])) != nil
            #expect(ours == theirs, "\(sample)")
        }
    }
}
