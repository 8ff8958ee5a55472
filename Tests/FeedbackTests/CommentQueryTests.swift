import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// `CommentQuery.matches` stands in for FTS5 on masked comments, so it is checked against FTS5 itself.
@Suite struct CommentQueryTests {
    static let texts = [
        "The example token has expired.",
        "write to [email] about the broken token example",
        "Ünïcode Café naïve résumé",
        "snake_case and kebab-case and CamelCase",
        "v2.1 returns HTTP 429 after 100 requests",
        "tokens, tokenizer; retokenize",
        "日本語 テキスト",
    ]
    static let queries = [
        "token", "Token example", "tok*", "exa* broken", "expired token", "cafe", "CAFÉ", "naive resume",
        "kebab-case", "kebab case", "case*", "snake_case", "http 429", "2.1", "v2", "429 100",
        "[email]", "email", "retok*", "tokeni*", "テキスト", "日本語", "\"quoted\"", "missing", "token missing",
    ]

    @Test func agreesWithFTS5() throws {
        let dir = TemporaryDirectory()
        let connection = try Connection(path: dir.file("fts.db"))
        defer { connection.close() }
        try connection.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
        for text in Self.texts { try connection.run("INSERT INTO t(body) VALUES (?)", [text]) }
        for text in Self.queries {
            let query = try #require(CommentQuery(text))
            let fts = try connection.query("SELECT body FROM t WHERE t MATCH ? ORDER BY rowid", [query.ftsQuery]) { $0.string(0) }
            let swift = Self.texts.filter(query.matches)
            #expect(swift == fts, "query \(text)")
        }
    }

    @Test func wordsWithoutLettersOrDigitsMatchNothing() {
        #expect(CommentQuery("--- ok")?.matches("--- ok") == false)
        #expect(CommentQuery("   ") == nil)
        #expect(CommentQuery("*") == nil)
    }
}
