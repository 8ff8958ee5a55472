import Testing
@testable import Feedback
import TestSupport

/// The one-pass page normalizer and the trim fast path against the general ways they replaced,
/// on many generated pages and texts, hostile ones included.
@Suite struct NormalizerReferenceTests {
    /// The normalizer as it was before the one-pass rewrite (an array per path segment), as the reference.
    struct ReferenceNormalizer {
        var keepQuery: Bool

        func normalize(_ page: String) throws(PageNormalizer.Failure) -> String {
            // The implementation before the one-pass rewrite, kept as it was.
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
                let scheme = bytes[..<colon].map(lower)
                let https = scheme == Array("https".utf8)
                guard https || scheme == Array("http".utf8) else { throw .notURL }
                let authorityStart = colon + 3
                let authorityEnd = bytes[authorityStart...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.count
                var hostStart = authorityStart
                if let at = bytes[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) { hostStart = at + 1 }
                var host = bytes[hostStart..<authorityEnd].map(lower)
                let defaultPort = Array((https ? ":443" : ":80").utf8)
                if host.count > defaultPort.count, host.suffix(defaultPort.count).elementsEqual(defaultPort) { host.removeLast(defaultPort.count) }
                if host.last == UInt8(ascii: ":") { host.removeLast() }
                guard let first = host.first, first != UInt8(ascii: ":"), host.allSatisfy(isHostByte) else { throw .notURL }
                out += scheme
                out += Array("://".utf8)
                out += host
                pathStart = authorityEnd
            }
            var segments = bytes[pathStart...].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true)
            if let last = segments.last, last.map(lower).elementsEqual("index.html".utf8) { segments.removeLast() }
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

        private func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

        private func isHostByte(_ byte: UInt8) -> Bool {
            switch byte {
            case 0x30...0x39, 0x61...0x7A, 0x41...0x5A, 0x80...0xFF: true
            default: "-._:[]%~".utf8.contains(byte)
            }
        }
    }

    static func samples(_ pieces: [String], count: Int, seed: UInt64) -> [String] {
        SampleStrings.make(pieces, count: count, seed: seed, maxPieces: 9)
    }

    @Test func oneSweepNormalizationMatchesTheReference() {
        let pieces = ["https://", "HTTP://", "http:", "ftp://", "//", "/", "/", "docs", "Example.COM", ":443", ":80", ":8080", ":",
                      "user@", "@", "index.html", "INDEX.HTML", "/index.html", "%2f", "%aB", "%", "?", "?x=1", "#", "#frag",
                      "a", "e%/d", "%/", "-", "é", "\u{301}", " ", "\u{0}", "\u{7F}", "[::1]", "~"]
        // Most pages start the way valid ones do, so the path rules are exercised, not only the refusals.
        let starts = ["", "/", "https://docs.example.com", "HTTP://User:pw@Docs.Example.COM:80", "https://h:443", "http://[::1]:8080"]
        var random = SeededGenerator(seed: 12)
        for keepQuery in [false, true] {
            for tail in Self.samples(pieces, count: 6000, seed: keepQuery ? 3 : 4) {
                let page = (starts.randomElement(using: &random) ?? "") + tail
                let expected = Result { () throws(PageNormalizer.Failure) in try ReferenceNormalizer(keepQuery: keepQuery).normalize(page) }
                let actual = Result { () throws(PageNormalizer.Failure) in try PageNormalizer(keepQuery: keepQuery).normalize(page) }
                #expect(actual == expected, "\(Array(page.utf8))")
            }
        }
    }

    @Test func trimFastPathMatchesTheScalarTrim() {
        let pieces = ["a", " ", "\t", "\n", "\u{B}", "\u{C}", "\r", "\u{85}", "\u{A0}", "\u{2028}", "\u{3000}", "é", "\u{301}", "\u{1C}", "\u{7F}", "x"]
        for text in Self.samples(pieces, count: 4000, seed: 9) {
            #expect(text.trimmed() == text.trimmedByScalars(), "\(Array(text.utf8))")
        }
    }
}
