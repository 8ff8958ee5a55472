import Feedback
import SQLite

/// Tests that look at the SQLite file under a running server reach its connections through here.
struct NotSQLite: Error, CustomStringConvertible {
    var description: String { "this test needs the SQLite backend" }
}

extension FeedbackStorage {
    private func sqlite() throws -> FeedbackStore {
        guard let store = self as? FeedbackStore else { throw NotSQLite() }
        return store
    }

    /// A query on one of the SQLite store's reader connections, after folding.
    func readNow<T>(_ work: (Connection) throws -> T) throws -> T {
        try sqlite().readNow(work)
    }

    /// Work on the SQLite store's writer connection.
    func writeNow<T>(_ work: (Connection) throws -> T) throws -> T {
        try sqlite().writeNow(work)
    }
}
