import Foundation
import Testing
import TestSupport
@testable import Feedback

/// Comment search (`q=`) on PostgreSQL must find exactly what FTS5 finds on SQLite, the masked-search
/// rule included: the same comments on both backends (`ReadBackends`), the same queries, the same ids.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct SearchBackendsTests {
    /// CommentQueryTests' texts, which FTS5's tokenizer is checked on, and the shapes comments take:
    /// links, addresses, code, versions, punctuation, and comments flagged as holding personal data.
    static let comments = CommentQueryTests.texts + [
        "see https://docs.example.com/api/a_b?x=1 — it 404s",
        "mail jane.doe@example.com or call +1 (555) 010-9999 about the token",
        "my card 4111 1111 1111 1111 was charged twice",
        "It's “quoted” (parenthesised) & ampersanded: done!",
        "ÄÖÜ Ærøskøbing ΣΑΣ Ελλάδα Привет Мир e\u{301}x",
        "tab\tseparated\nnew line token",
        "1e5 3.14 -12 0x1F v10.2.3",
    ]

    static let queries = CommentQueryTests.queries + [
        "example.com", "docs.example*", "a_b", "404s", "jane", "jane.doe@example.com", "555", "4111", "card", "charged twice",
        "it's", "quoted", "parenthes*", "ampersanded: done!", "aou", "äöü", "σασ", "ελλάδα", "привет", "мир", "ex", "éx",
        "separated new", "3.14", "14", "0x1f", "v10", "10.2.3", "token*", "t*", "--- token", "---", "token ---",
        // Hostile: FTS5 and tsquery operators, quotes, SQL, NUL, very long words and queries.
        "token OR example", "NOT token", "token AND expired", "NEAR(token example)", "body:token", "^token", "token + example",
        "\"token", "token\"", "\"\"\"", "'", "''", "'; DROP TABLE feedback; --", "token & !example", "token | example", "token <-> example",
        "tok:*", "(token)", "\\", "$1", "?", "?1", "%", "_", "token\u{0}example", "\u{0}", "example\u{0}* token",
        String(repeating: "a", count: 3000), String(repeating: "token ", count: 2000), String(repeating: "x", count: 2047) + "*",
        String(repeating: "é", count: 1500), "tok** exa*", "a*b", "*token",
    ]

    /// Every comment from ingestion, so the pii flag is set the way the API sets it.
    static func fill(_ store: FeedbackStore) throws -> (String, String) {
        let ingestor = Ingestor(duplicateWindow: 0, maxCommentLength: 4000)
        for (n, comment) in comments.enumerated() {
            let feedback = NewFeedback(page: "/p\(n % 3)", pageKey: "/p\(n % 3)", rating: n % 2 == 0 ? .up : .down, reason: nil,
                                       comment: comment, source: "docs", labels: [], email: nil, userAgent: "UA", origin: nil,
                                       referer: nil, clientAddress: "192.0.2.\(n)")
            let at = ReadBackends.now - Int64(comments.count - n) * 60_000
            try store.writeNow { db in
                _ = try db.transaction(.immediate) { try ingestor.ingest(feedback, receivedAt: at, connection: db) }
                ingestor.committed(now: at)
            }
        }
        return ("", "")
    }

    @Test func searchFindsTheSameCommentsOnBothBackends() throws {
        let backends = try ReadBackends(fill: Self.fill)
        let flagged = try backends.store.read { try $0.feedback(FeedbackFilter(), limit: 100, after: nil) }.items.filter(\.pii)
        #expect(flagged.count == 2, "the address and the card number are flagged")
        var found = 0
        for text in Self.queries {
            for masked in [false, true] {
                var filter = FeedbackFilter()
                filter.text = text
                filter.masksPersonalData = masked
                let (sqlite, postgres) = backends.answers { try $0.feedback(filter, limit: 100, after: nil).items.map(\.id) }
                #expect(!sqlite.hasPrefix("error") && !postgres.hasPrefix("error"), "\(text.prefix(60)): \(sqlite) / \(postgres)")
                #expect(sqlite == postgres, "q=\(text.prefix(60).debugDescription) masked: \(masked)\nSQLite:     \(sqlite)\nPostgreSQL: \(postgres)")
                if sqlite != "()" { found += 1 }
            }
        }
        #expect(found > 80, "most queries find something, so equality means something")
    }

    /// A masked comment matches only through what its masked form shows, on PostgreSQL too.
    @Test func aMaskedCommentIsNotFoundByWhatItsMaskHides() throws {
        let backends = try ReadBackends(fill: Self.fill)
        let reader = PostgresDatabase.reader(backends.postgres)
        func ids(_ text: String, masked: Bool) throws -> Int {
            var filter = FeedbackFilter()
            filter.text = text
            filter.masksPersonalData = masked
            return try reader.feedback(filter, limit: 100, after: nil).items.count
        }
        #expect(try ids("jane", masked: false) == 1)
        #expect(try ids("jane", masked: true) == 0)
        #expect(try ids("4111", masked: true) == 0)
        #expect(try ids("charged twice", masked: true) == 1, "the words the mask leaves still match")
        #expect(try ids("email", masked: true) == 1, "a word only the mask adds ([email]) finds only the comment that says it")
        #expect(try ids("token\u{0}example", masked: false) == 1, "NUL separates the words of a phrase")
    }

    /// Search pages like any listing, and combines with the other filters.
    @Test func searchResultsPageAndCombineWithFilters() throws {
        let backends = try ReadBackends(fill: Self.fill)
        var filter = FeedbackFilter()
        filter.text = "token*"
        let (first, second) = backends.answers { reader in
            let page = try reader.feedback(filter, limit: 2, after: nil)
            let next = try page.nextCursor.flatMap(Cursor.decodeID).map { try reader.feedback(filter, limit: 2, after: $0) }
            return [page.items.map(\.id), next?.items.map(\.id) ?? []]
        }
        #expect(first == second)
        filter.page = "/p1"
        filter.rating = .down
        let (sqlite, postgres) = backends.answers { try $0.feedback(filter, limit: 50, after: nil).items.map(\.id) }
        #expect(sqlite == postgres)
    }
}
