import Foundation

/// Free text from `q=` as the comment search reads it: words AND-ed, each word a phrase of the
/// tokens in it, `word*` a prefix of its last token. It becomes an FTS5 query that cannot be a syntax
/// error, and it can test one text in Swift the way FTS5's default tokenizer (unicode61) splits and
/// folds it. The second is for texts that differ from what the index holds: a comment flagged as
/// holding personal data is listed masked, so it may only match through what the listing shows.
public struct CommentQuery: Sendable {
    struct Word: Sendable {
        let text: Substring
        let prefix: Bool
        /// The word as FTS5 reads it: the tokens in it, in order.
        let phrase: [String]
    }

    let words: [Word]

    public init?(_ text: String) {
        words = text.split(whereSeparator: { $0.isWhitespace }).compactMap { word in
            let prefix = word.hasSuffix("*")
            // NUL separates tokens as any control character does, but ends FTS5's query string (an
            // "unterminated string" error) and PostgreSQL's text cannot hold it: \u{1} stands in.
            let core = (prefix ? word.dropLast() : word[...]).replacingOccurrences(of: "\u{0}", with: "\u{1}")
            return core.isEmpty ? nil : Word(text: core[...], prefix: prefix, phrase: Self.tokens(core))
        }
        if words.isEmpty { return nil }
    }

    /// Each word quoted (so no word is an operator), AND-ed by juxtaposition.
    public var ftsQuery: String {
        words.map { "\"" + $0.text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\"" + ($0.prefix ? "*" : "") }
            .joined(separator: " ")
    }

    /// The words for PostgreSQL's search (`FeedbackFilter.tsqueryCondition`), one space between them,
    /// each with its `*`.
    var postgresWords: String {
        words.map { $0.text + ($0.prefix ? "*" : "") }.joined(separator: " ")
    }

    /// Whether a word holds a token longer than PostgreSQL indexes (2,047 bytes, `to_tsvector` skips
    /// longer ones): there no comment can match it, and the query must not drop the word instead.
    var hasUnindexableToken: Bool {
        words.contains { $0.phrase.contains { $0.utf8.count > 2047 } }
    }

    /// Whether every word occurs in `text` as FTS5 would find it. A word without any letter or digit
    /// matches nothing here, so the check errs on the side of hiding.
    public func matches(_ text: String) -> Bool {
        let tokens = Self.tokens(text)
        return words.allSatisfy { word in
            let phrase = word.phrase
            guard !phrase.isEmpty, tokens.count >= phrase.count else { return false }
            return (0...(tokens.count - phrase.count)).contains { start in
                phrase.indices.allSatisfy { i in
                    let token = tokens[start + i]
                    return word.prefix && i == phrase.count - 1 ? token.hasPrefix(phrase[i]) : token == phrase[i]
                }
            }
        }
    }

    /// unicode61's tokens: runs of letters, digits, private-use characters and combining marks,
    /// case-folded and without diacritics.
    static func tokens(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        func finish() {
            if !current.isEmpty { tokens.append(String(current).folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .decimalNumber, .letterNumber, .otherNumber, .privateUse, .nonspacingMark, .spacingMark, .enclosingMark:
                current.append(scalar)
            default:
                finish()
            }
        }
        finish()
        return tokens
    }
}
