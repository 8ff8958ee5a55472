import Foundation
import Testing
@testable import HTTP
import TestSupport

/// Each byte-level fast path on the request path against the general way it replaced, on many
/// generated inputs, hostile ones included (control characters, quotes, non-ASCII, invalid UTF-8).
@Suite struct FastPathTests {
    static func samples(_ pieces: [String], count: Int = 3000, seed: UInt64 = 7) -> [String] {
        SampleStrings.make(pieces, count: count, seed: seed)
    }

    static let textPieces = ["a", "Z", "0", " ", "\"", "\\", "/", "<", ">", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "—",
                             "\u{2028}", "\u{2029}", "\u{2027}", "\u{202A}", "€", "🎉", "\u{301}", "%", "e\u{301}", "\r\n", "up"]

    @Test func jsonEscapingOnBytesMatchesTheStringPathAndDecodesBack() throws {
        for text in Self.samples(Self.textPieces) {
            var bytes: [UInt8] = []
            JSONText.appendString(text, to: &bytes)
            var string = ""
            JSONText.appendString(text, to: &string)
            #expect(String(decoding: bytes, as: UTF8.self) == string, "\(Array(text.utf8))")
            #expect(!bytes.contains(UInt8(ascii: "<")) && !string.contains("\u{2028}") && !string.contains("\u{2029}"))
            let decoded = try JSONSerialization.jsonObject(with: Data([UInt8(ascii: "[")] + bytes + [UInt8(ascii: "]")])) as? [String]
            #expect(decoded == [text], "\(Array(text.utf8))")
        }
    }

    @Test func errorObjectsDecodeToTheirParts() throws {
        for (index, text) in Self.samples(Self.textPieces, count: 500).enumerated() {
            let field: String? = index % 3 == 0 ? nil : text
            let body = JSONText.errorObject(code: "invalid_field", message: "rating " + text, field: field)
            let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: [String: Any]]
            #expect(object?["error"]?["code"] as? String == "invalid_field")
            #expect(object?["error"]?["message"] as? String == "rating " + text)
            #expect(field == nil ? object?["error"]?["field"] is NSNull : object?["error"]?["field"] as? String == field)
        }
    }

    @Test func pathSplitOnBytesMatchesTheCharacterSplit() {
        for path in Self.samples(["/", "//", "v1", "feedback", "%2F", "a", ".", "é", "/\u{301}", "\u{301}", " ", "?"]) {
            #expect(Router.split(path) == Router.splitByCharacter(Substring(path)), "\(Array(path.utf8))")
        }
    }

    @Test func zoneStrippingOnBytesMatchesTheCharacterSearch() {
        for text in Self.samples(["fe80::1", "%", "%eth0", "127.0.0.1", "[", "]", "\u{301}", "é", "\u{600}", ":", "a"]) {
            #expect(IPAddress.strippingZone(text) == IPAddress.strippingZoneByCharacter(text), "\(Array(text.utf8))")
        }
    }

    @Test func dottedQuadsMatchTheJoinedDecimals() {
        var random = SeededGenerator(seed: 11)
        let edges: [[UInt8]] = [[0, 0, 0, 0], [255, 255, 255, 255], [9, 10, 99, 100], [1, 2, 3, 4]]
        for bytes in edges + (0..<3000).map({ _ in (0..<4).map { _ in UInt8.random(in: 0...255, using: &random) } }) {
            #expect(IPAddress.dotted(bytes) == bytes.map(String.init).joined(separator: "."))
        }
    }

    @Test func contentLengthFastPathMatchesTheElementReading() {
        for value in Self.samples(["0", "1", "9", "42", "007", ",", " ", "\t", "-", "+", "a", "99999999", "١", "1, 1", "2,3"], count: 4000) {
            #expect(RequestHeadParser.contentLength(value) == RequestHeadParser.contentLengthByElements([value]), "\(value)")
        }
    }

    @Test func headerNamesCompareLikeLowerCasedBytes() {
        let names = Self.samples(["host", "HOST", "Host", "content-length", "Content-Length", "x", "é", "É", "-", "@", "[", "`", "{"], count: 400)
        for a in names {
            for b in names.prefix(40) + [a.uppercased(), a.lowercased()] {
                let expected = a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8) { lowerASCII($0) == lowerASCII($1) }
                #expect(HTTPHeaders.equal(a, b) == expected, "\(a) \(b)")
            }
        }
    }

    @Test func characterClassesMatchTheirDefinitions() {
        for byte in UInt8.min...UInt8.max {
            let alphanumeric = (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            #expect(CharacterClass.isToken(byte) == (alphanumeric || "!#$%&'*+-.^_`|~".utf8.contains(byte)), "\(byte)")
            #expect(CharacterClass.isHostChar(byte) == (alphanumeric || "-._~!$&'()*+,;=:%[]".utf8.contains(byte)), "\(byte)")
        }
    }
}
