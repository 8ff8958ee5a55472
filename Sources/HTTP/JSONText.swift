/// Minimal JSON string escaping for responses built without an encoder.
public enum JSONText {
    public static func appendString(_ value: String, to out: inout String) {
        // Fast path: most values (ids, times, tokens, slugs, plain comments) need no escaping at all.
        if !value.utf8.contains(where: needsEscape) {
            out += "\""
            out += value
            out += "\""
            return
        }
        var escaped: [UInt8] = []
        appendString(value, to: &escaped)
        out += String(decoding: escaped, as: UTF8.self)
    }

    /// The same escaping, appended to bytes. Unescaped runs are copied whole: answers built this way
    /// skip String appends, which cost hundreds of instructions each (callgrind). What is escaped is
    /// ASCII, or U+2028/2029 (E2 80 A8/A9), so copied bytes stay whole characters.
    public static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if value.utf8.withContiguousStorageIfAvailable({ appendEscaped($0, to: &out) }) == nil {
            Array(value.utf8).withUnsafeBufferPointer { appendEscaped($0, to: &out) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Every read is behind a check against `bytes.count`, and runs stay within `0...bytes.count`.
    private static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard needsEscape(byte) else {
                index += 1
                continue
            }
            var skipped = 1
            let escape: StaticString?
            switch byte {
            case UInt8(ascii: "\""): escape = #"\""#
            case UInt8(ascii: "\\"): escape = #"\\"#
            case UInt8(ascii: "\n"): escape = #"\n"#
            case UInt8(ascii: "\r"): escape = #"\r"#
            case UInt8(ascii: "\t"): escape = #"\t"#
            case UInt8(ascii: "<"): escape = #"\u003c"# // keeps JSON inert if a browser sniffs it as HTML
            case 0xE2 where index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9):
                escape = bytes[index + 2] == 0xA8 ? #"\u2028"# : #"\u2029"#
                skipped = 3
            case ..<0x20: escape = nil
            default: // another E2 sequence: kept as it is
                index += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            if let escape {
                appendLiteral(escape, to: &out)
            } else {
                appendLiteral(#"\u00"#, to: &out)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0x0F))
            }
            index += skipped
            runStart = index
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
    }

    public static func quoted(_ value: String) -> String {
        var out = ""
        appendString(value, to: &out)
        return out
    }

    /// `{"error":{"code":…,"message":…,"field":…}}` as bytes: every 400 builds one.
    public static func errorObject(code: String, message: String, field: String?) -> [UInt8] {
        var json: [UInt8] = []
        // Room for some escapes too: growing the buffer on the way was a second allocation.
        json.reserveCapacity(64 + 2 * (code.utf8.count + message.utf8.count + (field?.utf8.count ?? 2)))
        appendLiteral(#"{"error":{"code":"#, to: &json)
        appendString(code, to: &json)
        appendLiteral(#","message":"#, to: &json)
        appendString(message, to: &json)
        appendLiteral(#","field":"#, to: &json)
        if let field { appendString(field, to: &json) } else { appendLiteral("null", to: &json) }
        appendLiteral("}}", to: &json)
        return json
    }

    public static func appendLiteral(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// Quotes, backslashes, control characters, `<`, and E2, the lead byte of U+2028/2029.
    @inline(__always) static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x3C || byte == 0xE2
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }
}
