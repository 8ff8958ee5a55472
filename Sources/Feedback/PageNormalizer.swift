/// Turns the many spellings of one docs page into one key, so its votes group together.
///
/// - scheme and host lower-cased, default ports and user info dropped;
/// - fragment dropped, and the query too unless `keepQuery`;
/// - a trailing `/` and a final `index.html` removed (`/guide/`, `/guide/index.html` and `/guide` are one page);
/// - repeated slashes collapsed, percent escapes upper-cased.
/// Paths without scheme and host (`/guide/auth`) stay paths: they group apart from absolute URLs.
public struct PageNormalizer: Sendable {
    public var keepQuery: Bool

    public init(keepQuery: Bool = false) { self.keepQuery = keepQuery }

    public enum Failure: Error, Equatable {
        case notURL
    }

    public func normalize(_ page: String) throws(Failure) -> String {
        // Byte-level and in one pass over the path, with no array per piece: this runs for every submission.
        let bytes = Array(page.utf8)
        guard !bytes.isEmpty, !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw .notURL }
        let fragment = bytes.firstIndex(of: UInt8(ascii: "#")) ?? bytes.count
        let question = bytes[..<fragment].firstIndex(of: UInt8(ascii: "?"))
        let end = question ?? fragment // the path ends here; the query (with its `?`) runs to the fragment
        var out: [UInt8] = []
        out.reserveCapacity(end + 1 + (keepQuery ? fragment - end : 0))
        var pathStart = 0
        let isPath = end > 0 && bytes[0] == UInt8(ascii: "/") && (end == 1 || bytes[1] != UInt8(ascii: "/"))
        if !isPath {
            guard let colon = bytes[..<end].firstIndex(of: UInt8(ascii: ":")), colon + 2 < end,
                  bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { throw .notURL }
            let https = Self.equalsLowered(bytes[..<colon], "https")
            guard https || Self.equalsLowered(bytes[..<colon], "http") else { throw .notURL }
            let authorityStart = colon + 3
            let authorityEnd = bytes[authorityStart..<end].firstIndex(of: UInt8(ascii: "/")) ?? end
            var hostStart = authorityStart
            if let at = bytes[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
            var hostEnd = authorityEnd
            let defaultPort: StaticString = https ? ":443" : ":80"
            let portLength = defaultPort.utf8CodeUnitCount
            if hostEnd - hostStart > portLength, Self.equalsLowered(bytes[(hostEnd - portLength)..<hostEnd], defaultPort) { hostEnd -= portLength }
            if hostEnd > hostStart && bytes[hostEnd - 1] == UInt8(ascii: ":") { hostEnd -= 1 }
            guard hostEnd > hostStart, bytes[hostStart] != UInt8(ascii: ":"), bytes[hostStart..<hostEnd].allSatisfy(Self.isHostByte) else { throw .notURL }
            for byte in bytes[..<colon] { out.append(Self.lower(byte)) }
            out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: "/"), UInt8(ascii: "/")])
            for byte in bytes[hostStart..<hostEnd] { out.append(Self.lower(byte)) }
            pathStart = authorityEnd
        }
        // Each non-empty segment as `/segment`, percent escapes upper-cased within it.
        var segments = 0
        var lastSegment = out.count
        var index = pathStart
        while index < end {
            guard bytes[index] != UInt8(ascii: "/") else {
                index += 1
                continue
            }
            segments += 1
            lastSegment = out.count
            out.append(UInt8(ascii: "/"))
            var pendingHex = 0
            while index < end && bytes[index] != UInt8(ascii: "/") {
                let byte = bytes[index]
                if byte == UInt8(ascii: "%") {
                    pendingHex = 2
                    out.append(byte)
                } else if pendingHex > 0 {
                    out.append(byte >= 0x61 && byte <= 0x66 ? byte - 0x20 : byte)
                    pendingHex -= 1
                } else {
                    out.append(byte)
                }
                index += 1
            }
        }
        // A final `index.html` has no `%`, so it was copied as written.
        if segments > 0, Self.equalsLowered(out[(lastSegment + 1)...], "index.html") {
            out.removeSubrange(lastSegment...)
            segments -= 1
        }
        if segments == 0 { out.append(UInt8(ascii: "/")) }
        if keepQuery, let question, fragment - question > 1 { out += bytes[question..<fragment] }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `bytes`, lower-cased, are `expected` (lower-case ASCII).
    private static func equalsLowered(_ bytes: ArraySlice<UInt8>, _ expected: StaticString) -> Bool {
        expected.withUTF8Buffer { expected in bytes.count == expected.count && zip(bytes, expected).allSatisfy { lower($0) == $1 } }
    }

    private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    /// Letters, digits, `-._:[]%~`, and any non-ASCII byte (internationalized names).
    private static func isHostByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x61...0x7A, 0x41...0x5A, 0x80...0xFF: true
        default: "-._:[]%~".utf8.contains(byte)
        }
    }

    /// The host of an absolute page URL, lower-cased; nil for a bare path.
    public static func host(ofNormalized page: String) -> String? {
        // Over UTF-8 bytes: a Character-wise search for "://" showed up in the write path's profile.
        let utf8 = page.utf8
        var index = utf8.startIndex
        while let colon = utf8[index...].firstIndex(of: UInt8(ascii: ":")) {
            if utf8[colon...].starts(with: "://".utf8) {
                let start = utf8.index(colon, offsetBy: 3)
                let end = utf8[start...].firstIndex(of: UInt8(ascii: "/")) ?? utf8.endIndex
                return String(page[start..<end])
            }
            index = utf8.index(after: colon)
        }
        return nil
    }
}
