import Foundation
@testable import Feedback
import Postgres
import SQLite
import Testing
import TestSupport

/// Migration 0006 gives `feedback_search_text` a shorter path for plain ASCII text. It must split
/// and fold every text exactly as 0005's function did: the stored `comment_search` vectors were made
/// by 0005's, and a query's words must keep meeting them.
@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct SearchTextTests {
    /// Edge cases by hand, then a seeded mix of ASCII (every code from 1 to 127), letters the 0005
    /// table maps, combining marks, punctuation and symbol blocks, and other scripts.
    static let corpus: [String] = {
        var texts = ["", "plain words", "UPPER lower MiXeD", "user@example.com kebab-case v2.1 snake_case",
                     "tab\tnew\nline\r", "a\u{1}b\u{1f}c\u{7f}d", String((1...127).compactMap { Unicode.Scalar($0).map(Character.init) }),
                     "Ångström café NAÏVE Œuvre straße", "e\u{301}te\u{300}", "ΑΘΗΝΑ Москва", "日本語のテキスト",
                     "emoji 👍🏽 ok", "“quotes” – dash … ellipsis", "€100 ™ → ⌘", "ÿŸžŽ", "ﬁ ligature", "\u{a0}nbsp\u{2003}em"]
        let pool = Array("abcXYZ019 .,;:!?-_@/\\'\"()[]{}<>|~`^#$%&*+=\t\nÀÉÎÕÜçñßøŁłŒœΑβΓЖжЯ\u{301}\u{308}“”–—…€™→⌘👍日本\u{a0}\u{2003}")
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        for _ in 0..<1500 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            var rng = state
            let length = Int(rng % 40)
            var text = ""
            for _ in 0..<length {
                rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                // Mostly ASCII-only texts, so both branches get many cases.
                let asciiOnly = state % 2 == 0
                let index = Int((rng >> 33) % UInt64(asciiOnly ? 35 : pool.count))
                text.append(pool[index])
            }
            texts.append(text)
        }
        return texts
    }()

    @Test func theASCIIPathSplitsAndFoldsExactlyAs0005Did() throws {
        let (db, _, _) = try freshDatabase()
        let migrations = SchemaTests.migrations
        try Postgres.Migrator(migrations: migrations.filter { $0.version <= 5 }).migrate(db)
        let texts = Self.corpus
        func folded() throws -> [String?] {
            try db.query("SELECT feedback_search_text(t) FROM unnest($1::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n",
                         [PostgresIngestor.textArray(texts)]) { $0.optionalString(0) }
        }
        let before = try folded()
        _ = try db.run("""
            INSERT INTO feedback(received_at, page, page_key, rating, comment, source)
            SELECT 1764500000000, '/a', '/a', 'down', t, 'docs' FROM unnest($1::text[]) t
            """, [PostgresIngestor.textArray(texts)])

        try Postgres.Migrator(migrations: migrations).migrate(db)
        let after = try folded()
        #expect(before.count == texts.count)
        for (index, text) in texts.enumerated() where before[index] != after[index] {
            Issue.record("\(text.debugDescription): 0005 gave \(String(describing: before[index])), 0006 gives \(String(describing: after[index]))")
        }
        #expect(try db.first("SELECT feedback_search_text(NULL) IS NULL") { $0.bool(0) } == true)
        // The vectors stored under 0005 are what the new function makes of the same comments.
        #expect(try db.first("""
            SELECT count(*) FROM feedback WHERE comment_search <> to_tsvector('simple', coalesce(feedback_search_text(comment), ''))
            """) { $0.int(0) } == 0)
        #expect(try db.first("SELECT count(*) FROM feedback") { $0.int(0) } == texts.count)
    }
}
