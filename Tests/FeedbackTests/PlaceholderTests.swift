import Testing
@testable import Feedback

/// SQLite's `?` and `?N` become PostgreSQL's `$n`, and only outside literals and comments.
@Suite struct PlaceholderTests {
    @Test func bareMarksAreNumberedInOrder() {
        #expect(Placeholders.numbered("SELECT a FROM t WHERE b = ? AND c < ? LIMIT ?") == "SELECT a FROM t WHERE b = $1 AND c < $2 LIMIT $3")
    }

    @Test func numberedMarksKeepTheirNumberAndBareOnesContinueAfterTheLargest() {
        #expect(Placeholders.numbered("?2, ?1, ?, ?1") == "$2, $1, $3, $1")
        #expect(Placeholders.numbered("?10 + ?") == "$10 + $11")
    }

    @Test func marksInsideLiteralsIdentifiersAndCommentsStay() {
        #expect(Placeholders.numbered("SELECT '?', 'it''s ?', ? FROM \"q?\"") == "SELECT '?', 'it''s ?', $1 FROM \"q?\"")
        #expect(Placeholders.numbered("SELECT ? -- why?\n, ? /* and ? here */ , ?") == "SELECT $1 -- why?\n, $2 /* and ? here */ , $3")
        #expect(Placeholders.numbered("SELECT 'unterminated ?") == "SELECT 'unterminated ?")
        #expect(Placeholders.numbered("SELECT 'a' || 'é?' || ?") == "SELECT 'a' || 'é?' || $1")
    }

    @Test func sqlWithoutMarksIsUnchanged() {
        let sql = "SELECT count(*) FILTER (WHERE rating = 'up') FROM feedback WHERE a - b > 0 / 2"
        #expect(Placeholders.numbered(sql) == sql)
    }
}
