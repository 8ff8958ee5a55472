import Foundation
import Testing
@testable import HTTP

/// JSON strings escaped on bytes must decode to what went in, stay inert as HTML, and keep
/// U+2028/2029 escaped; media types are read on bytes too.
@Suite struct JSONTextTests {
    @Test(arguments: ["plain", #"rating must be "up" or "down""#, "back\\slash\nnew\tline\r\u{1}\u{1F}", "<script>é — “quoted” 🎉",
                      "line\u{2028}para\u{2029}end", "\u{E2}", "",
                      // Three-byte sequences next to U+2028 (E2 80 A8): at the very end, and its neighbours, which stay as they are.
                      "end\u{2028}", "\u{2029}", "\u{2027}\u{202A}\u{20AC}"])
    func escapedStringsDecodeToTheOriginal(_ text: String) throws {
        var json = ""
        JSONText.appendString(text, to: &json)
        #expect(!json.contains("<") && !json.contains("\u{2028}") && !json.contains("\u{2029}"))
        let decoded = try JSONSerialization.jsonObject(with: Data("[\(json)]".utf8)) as? [String]
        #expect(decoded == [text])
    }

    @Test func mediaTypesAreTrimmedAndLowerCased() {
        #expect(Request.mediaType("application/json") == "application/json")
        #expect(Request.mediaType("Application/JSON; charset=utf-8") == "application/json")
        #expect(Request.mediaType(" text/plain ;x") == "text/plain")
        #expect(Request.mediaType("   ") == "")
    }
}
