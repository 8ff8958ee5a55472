import Postgres
import Testing
import TestSupport
@testable import Feedback

/// `PostgresIngestor` decides a batch in memory and writes it set-based: the answers and the stored
/// rows must be those of storing the same submissions one at a time, also when a batch holds a retry
/// of a key it answered itself and votes repeating a row it inserts itself.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresBatchTests {
    @Test func aBatchStoresWhatOneByOneStores() throws {
        var items = PostgresWritePathTests.submissions(300)
        // One reader's vote, then its retry, then two repeats adding a comment and an email, in one batch.
        var vote = items[0].feedback
        vote.idempotencyKey = "same-batch"
        var repeatWithComment = vote, repeatWithEmail = vote
        repeatWithComment.idempotencyKey = nil
        repeatWithComment.comment = "added later"
        repeatWithEmail.idempotencyKey = nil
        repeatWithEmail.email = "reader@example.com"
        let at = items[0].receivedAt + 10
        items.insert(contentsOf: [.init(vote, receivedAt: at), .init(vote, receivedAt: at + 1),
                                  .init(repeatWithComment, receivedAt: at + 2), .init(repeatWithEmail, receivedAt: at + 3)], at: 1)
        let (batched, _) = try PostgresWritePathTests.database()
        let (alone, _) = try PostgresWritePathTests.database()
        let ingestor = PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
        let oneByOne = PostgresIngestor(duplicateWindow: PostgresWritePathTests.window, maxCommentLength: 4000)
        var batchResults: [StoredFeedback] = [], aloneResults: [StoredFeedback] = []
        for start in stride(from: 0, to: items.count, by: 64) {
            let batch = Array(items[start..<min(start + 64, items.count)])
            // `ingest` itself, not `write`: a failing batch must fail here, not pass through the one-by-one fallback.
            batchResults += try batched.connection.transaction { try ingestor.ingest(batch, batched.connection) }
            for item in batch { aloneResults += try oneByOne.write([item], connection: alone.connection).map { try $0.get() } }
        }
        #expect(batchResults == aloneResults)
        #expect(batchResults[2].replayed && batchResults[3].duplicate && batchResults[4].duplicate && batchResults[3].id == batchResults[1].id)
        #expect(batchResults.filter { $0.duplicate && !$0.replayed }.count > 20)
        for sql in ["SELECT id, received_at, page_key, rating, reason, comment, email, labels, client_hash IS NULL, pii FROM feedback ORDER BY id",
                    "SELECT feedback_id, key, value FROM feedback_labels ORDER BY 1, 2",
                    "SELECT encode(key_hash, 'hex'), feedback_id, status, created_at FROM idempotency_keys ORDER BY 1",
                    "SELECT feedback_id FROM feedback_unfolded ORDER BY 1"] {
            let read = { (session: PostgresSession) in
                try session.connection.query(sql, []) { row in (0..<row.columnCount).map { row.isNull($0) ? "NULL" : row.string($0) } }
            }
            #expect(try read(batched) == read(alone), "\(sql)")
        }
        let comment = try batched.connection.first("SELECT comment, email FROM feedback WHERE id = $1", [batchResults[1].id]) {
            [$0.optionalString(0), $0.optionalString(1)]
        }
        #expect(comment?[1] == "reader@example.com" && comment?[0]?.contains("added later") == true)
    }
}
