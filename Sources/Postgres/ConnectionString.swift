import Foundation

/// PostgreSQL connection strings as libpq reads them: a URI (`postgres://` or `postgresql://`) or
/// `key=value` pairs. Hearken never rewrites one for libpq; it only hides the password for display.
public enum ConnectionString {
    static let mask = "***"

    /// Whether `text` selects PostgreSQL rather than naming an SQLite file.
    public static func isPostgres(_ text: String) -> Bool {
        isURI(text)
    }

    static func isURI(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// `text` with every password replaced by `***`, for logs, errors and `--print-config`. On text
    /// it cannot parse it hides more rather than less.
    public static func redacted(_ text: String) -> String {
        isURI(text) ? redactedURI(text) : redactedKeyValues(text)
    }

    /// `text` with its password left out entirely (user information `:secret`, a `password`
    /// parameter or pair), for a command an operator runs as printed: a masked `***` would be sent
    /// as the password and win over `PGPASSWORD` and `~/.pgpass`. Nil for a key=value string it
    /// cannot parse (nothing safe to print).
    public static func withoutPassword(_ text: String) -> String? {
        if isURI(text) {
            guard let parts = uriParts(text) else { return nil }
            let userInfo = parts.authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            var rest = String(parts.rest)
            if let queryStart = rest.firstIndex(of: "?") {
                let query = rest[rest.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: false)
                    .filter { $0.split(separator: "=", maxSplits: 1).first != "password" }
                rest = String(rest[..<queryStart]) + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
            }
            return parts.scheme + userInfo + rest
        }
        guard let pairs = parsePairs(text) else { return nil }
        var result = text
        for pair in pairs.reversed() where pair.key == "password" {
            result.removeSubrange(pair.keyStart..<pair.valueRange.upperBound)
        }
        return result.trimmingCharacters(in: .whitespaces)
    }

    /// The password written in `text`, if any, so messages that might echo it can be scrubbed.
    static func password(in text: String) -> String? {
        isURI(text) ? uriPassword(text) : keyValues(text).first { $0.key == "password" }.map(\.value)
    }

    /// Every form of the password a message might show: as written and, in a URI, percent-decoded
    /// (what libpq sends, so what the server could echo). Longest first, so no form is left half hidden.
    static func passwordForms(in text: String) -> [String] {
        guard let raw = password(in: text), !raw.isEmpty else { return [] }
        let decoded = isURI(text) ? raw.removingPercentEncoding : nil
        return Array(Set([raw] + (decoded.map { [$0] } ?? []))).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    // MARK: URI form: postgresql://[user[:password]@][host][:port][,…][/dbname][?param=value&…]

    private static func uriParts(_ text: String) -> (scheme: Substring, authority: Substring, rest: Substring)? {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        let afterScheme = text[schemeEnd.upperBound...]
        let queryStart = afterScheme.firstIndex(of: "?") ?? afterScheme.endIndex
        // The user information ends at the last "@" before the query: a password with an unencoded
        // "@" or "/" then stays inside what is hidden.
        guard let at = afterScheme[..<queryStart].lastIndex(of: "@") else {
            return (text[..<schemeEnd.upperBound], "", afterScheme)
        }
        return (text[..<schemeEnd.upperBound], afterScheme[..<at], afterScheme[at...])
    }

    private static func uriPassword(_ text: String) -> String? {
        guard let parts = uriParts(text), let colon = parts.authority.firstIndex(of: ":") else {
            return queryParameters(text).first { $0.key == "password" }?.value
        }
        return String(parts.authority[parts.authority.index(after: colon)...])
    }

    private static func redactedURI(_ text: String) -> String {
        guard let parts = uriParts(text) else { return mask }
        var userInfo = parts.authority
        if let colon = userInfo.firstIndex(of: ":") { userInfo = userInfo[..<colon] + ":" + mask }
        var rest = String(parts.rest)
        if let queryStart = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: queryStart)...].split(separator: "&", omittingEmptySubsequences: false)
            let hidden = query.map { pair -> String in
                pair.split(separator: "=", maxSplits: 1).first == "password" ? "password=" + mask : String(pair)
            }
            rest = rest[...queryStart] + hidden.joined(separator: "&")
        }
        return parts.scheme + userInfo + rest
    }

    private static func queryParameters(_ text: String) -> [(key: String, value: String)] {
        guard let queryStart = text.firstIndex(of: "?") else { return [] }
        return text[text.index(after: queryStart)...].split(separator: "&").map { pair in
            let halves = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(halves[0]), halves.count > 1 ? String(halves[1]) : "")
        }
    }

    // MARK: key=value form: keyword = value, values optionally in single quotes with \' and \\ escapes

    private struct Pair {
        let key: String
        let value: String
        /// Where the value starts and ends in the text, quotes included.
        let valueRange: Range<String.Index>
        /// Where the key starts: the pair is `keyStart..<valueRange.upperBound`.
        let keyStart: String.Index
    }

    private static func keyValues(_ text: String) -> [(key: String, value: String)] {
        parsePairs(text)?.map { ($0.key, $0.value) } ?? []
    }

    private static func redactedKeyValues(_ text: String) -> String {
        guard let pairs = parsePairs(text) else {
            // Unparseable: show no values at all rather than risk one.
            return text.contains("password") ? mask : text
        }
        var result = text
        for pair in pairs.reversed() where pair.key == "password" {
            result.replaceSubrange(pair.valueRange, with: mask)
        }
        return result
    }

    /// The pairs of a key=value string, or nil where it breaks libpq's grammar.
    private static func parsePairs(_ text: String) -> [Pair]? {
        var pairs: [Pair] = []
        var index = text.startIndex
        func skipSpace() { while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) } }
        while true {
            skipSpace()
            guard index < text.endIndex else { return pairs }
            let keyStart = index
            while index < text.endIndex, text[index] != "=", !text[index].isWhitespace { index = text.index(after: index) }
            let key = String(text[keyStart..<index])
            skipSpace()
            guard index < text.endIndex, text[index] == "=", !key.isEmpty else { return nil }
            index = text.index(after: index)
            skipSpace()
            let valueStart = index
            var value = ""
            if index < text.endIndex, text[index] == "'" {
                index = text.index(after: index)
                var closed = false
                while index < text.endIndex {
                    let character = text[index]
                    index = text.index(after: index)
                    if character == "'" { closed = true; break }
                    if character == "\\", index < text.endIndex {
                        value.append(text[index])
                        index = text.index(after: index)
                    } else {
                        value.append(character)
                    }
                }
                guard closed else { return nil }
            } else {
                while index < text.endIndex, !text[index].isWhitespace {
                    if text[index] == "\\", text.index(after: index) < text.endIndex { index = text.index(after: index) }
                    value.append(text[index])
                    index = text.index(after: index)
                }
            }
            pairs.append(Pair(key: key, value: value, valueRange: valueStart..<index, keyStart: keyStart))
        }
    }
}
