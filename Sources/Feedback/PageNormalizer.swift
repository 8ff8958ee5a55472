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
        guard !page.isEmpty, !page.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw .notURL
        }
        var rest = Substring(page)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var query: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            query = rest[question...]
            rest = rest[..<question]
        }
        var prefix = ""
        if rest.hasPrefix("/") && !rest.hasPrefix("//") {
            // Already a path.
        } else {
            guard let schemeEnd = rest.firstRange(of: "://") else { throw .notURL }
            let scheme = rest[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "http" || scheme == "https" else { throw .notURL }
            let afterScheme = rest[schemeEnd.upperBound...]
            let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
            var authority = afterScheme[..<authorityEnd]
            if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
            var host = authority.lowercased()
            if scheme == "http", host.hasSuffix(":80") { host.removeLast(3) }
            if scheme == "https", host.hasSuffix(":443") { host.removeLast(4) }
            if host.hasSuffix(":") { host.removeLast() }
            guard !host.isEmpty, !host.hasPrefix(":"), host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:[]%~".contains($0) }) else {
                throw .notURL
            }
            prefix = scheme + "://" + host
            rest = afterScheme[authorityEnd...]
        }
        let segments = rest.split(separator: "/", omittingEmptySubsequences: true).map(Self.upperCaseEscapes)
        var kept = segments
        if kept.last?.lowercased() == "index.html" { kept.removeLast() }
        var path = "/" + kept.joined(separator: "/")
        if path.isEmpty { path = "/" }
        var result = prefix + path
        if keepQuery && query.count > 1 { result += query }
        return result
    }

    /// The host of an absolute page URL, lower-cased; nil for a bare path.
    public static func host(ofNormalized page: String) -> String? {
        guard let range = page.firstRange(of: "://") else { return nil }
        let rest = page[range.upperBound...]
        return String(rest[..<(rest.firstIndex(of: "/") ?? rest.endIndex)])
    }

    private static func upperCaseEscapes(_ segment: Substring) -> String {
        guard segment.contains("%") else { return String(segment) }
        var out = ""
        var pending = 0
        for character in segment {
            if character == "%" { pending = 2; out.append(character) } else if pending > 0 {
                out += character.uppercased()
                pending -= 1
            } else {
                out.append(character)
            }
        }
        return out
    }
}
