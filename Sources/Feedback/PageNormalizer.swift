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
        // Byte-level: this runs for every submission.
        var bytes = Array(page.utf8)
        guard !bytes.isEmpty, !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw .notURL }
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) { bytes.removeSubrange(hash...) }
        var query: [UInt8] = []
        if let question = bytes.firstIndex(of: UInt8(ascii: "?")) {
            query = Array(bytes[question...])
            bytes.removeSubrange(question...)
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1)
        var pathStart = 0
        let isPath = bytes.first == UInt8(ascii: "/") && (bytes.count == 1 || bytes[1] != UInt8(ascii: "/"))
        if !isPath {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon + 2 < bytes.count,
                  bytes[colon + 1] == UInt8(ascii: "/"), bytes[colon + 2] == UInt8(ascii: "/") else { throw .notURL }
            let scheme = bytes[..<colon].map(Self.lower)
            let https = scheme == Array("https".utf8)
            guard https || scheme == Array("http".utf8) else { throw .notURL }
            let authorityStart = colon + 3
            let authorityEnd = bytes[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.count
            var hostStart = authorityStart
            if let at = bytes[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
            var host = bytes[hostStart..<authorityEnd].map(Self.lower)
            let defaultPort = Array((https ? ":443" : ":80").utf8)
            if host.count > defaultPort.count, host.suffix(defaultPort.count).elementsEqual(defaultPort) { host.removeLast(defaultPort.count) }
            if host.last == UInt8(ascii: ":") { host.removeLast() }
            guard let first = host.first, first != UInt8(ascii: ":"), host.allSatisfy(Self.isHostByte) else { throw .notURL }
            out += scheme
            out += Array("://".utf8)
            out += host
            pathStart = authorityEnd
        }
        var segments = bytes[pathStart...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
        if let last = segments.last, last.map(Self.lower).elementsEqual("index.html".utf8) { segments.removeLast() }
        if segments.isEmpty { out.append(UInt8(ascii: "/")) }
        for segment in segments {
            out.append(UInt8(ascii: "/"))
            var pendingHex = 0
            for byte in segment {
                if byte == UInt8(ascii: "%") {
                    pendingHex = 2
                    out.append(byte)
                } else if pendingHex > 0 {
                    out.append(byte >= 0x61 && byte <= 0x66 ? byte - 0x20 : byte)
                    pendingHex -= 1
                } else {
                    out.append(byte)
                }
            }
        }
        if keepQuery && query.count > 1 { out += query }
        return String(decoding: out, as: UTF8.self)
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
