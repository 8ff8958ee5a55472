/// The domain writes parameters SQLite's way (`?`, `?N`); PostgreSQL numbers them (`$n`).
enum Placeholders {
    /// `sql` with every `?` and `?N` outside string literals, quoted identifiers and comments turned
    /// into `$n`. A bare `?` takes the number after the largest used so far, as SQLite numbers it,
    /// so `?1 … ? … ?1` binds the same values on both backends.
    /// Not understood (the domain writes neither): dollar-quoted bodies and `E'…'` strings with
    /// backslash-escaped quotes.
    static func numbered(_ sql: String) -> String {
        let bytes = Array(sql.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 8)
        var largest = 0
        var index = 0
        func copy(through end: Int) {
            output += bytes[index..<min(end, bytes.count)]
            index = min(end, bytes.count)
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A doubled quote inside is an escaped quote: the scan simply closes and reopens.
                let close = bytes[(index + 1)...].firstIndex(of: byte) ?? bytes.count - 1
                copy(through: close + 1)
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count - 1
                copy(through: newline + 1)
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var end = index + 2
                while end + 1 < bytes.count && !(bytes[end] == UInt8(ascii: "*") && bytes[end + 1] == UInt8(ascii: "/")) { end += 1 }
                copy(through: end + 2)
            case UInt8(ascii: "?"):
                var end = index + 1
                while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) { end += 1 }
                let number = end > index + 1 ? Int(String(decoding: bytes[(index + 1)..<end], as: UTF8.self)) ?? 0 : largest + 1
                largest = max(largest, number)
                output += Array("$\(number)".utf8)
                index = end
            default:
                output.append(byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
