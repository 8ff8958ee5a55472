import Foundation
import Postgres
import Testing
import TestSupport
@testable import Feedback

/// The storage backends the API suites run against: `@Test(arguments: Backend.allCases)` and
/// `LiveApp(backend)`. PostgreSQL is the tests' shared server (`PostgresServer.shared()`), a fresh
/// database per test. HEARKEN_SKIP_POSTGRES=1 leaves PostgreSQL out; a missing server fails the test.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var allCases: [Backend] { PostgresServer.isSkipped ? [.sqlite] : [.sqlite, .postgres] }

    var testDescription: String { rawValue }

    /// A new empty database for one test: a file in `directory`, or a PostgreSQL database (URL).
    func newDatabase(in directory: TemporaryDirectory) throws -> String {
        switch self {
        case .sqlite: return directory.file("hearken.db")
        case .postgres:
            let server = try PostgresServer.shared()
            return server.url(database: try server.createDatabase())
        }
    }
}

/// Plain SQL on the test's database beside the running server, in the SQL both backends speak
/// (`?` placeholders): what the tests check and seed without the API. On PostgreSQL a connection of
/// the test's own; the rollups are folded first, as SQLite's `readNow` does.
final class DatabaseProbe {
    private let sqlite: (any FeedbackStorage)?
    private let postgres: PostgresSession?

    init(store: any FeedbackStorage, path: String) throws {
        if StorageBackends.isPostgres(path) {
            sqlite = nil
            postgres = PostgresSession(try Postgres.Connection(path))
        } else {
            sqlite = store
            postgres = nil
        }
    }

    deinit { postgres?.connection.close() }

    /// Runs `work` on a session that sees every acknowledged write, with the rollups folded.
    func session<T>(_ work: (any SQLSession) throws -> T) throws -> T {
        if let postgres {
            try Self.foldEverything(postgres.connection)
            return try work(postgres)
        }
        guard let sqlite else { throw NotSQLite() }
        return try sqlite.readNow { try work($0) }
    }

    func query<T>(_ sql: String, _ values: [any DatabaseBindable] = [], _ map: (any SQLRow) throws -> T) throws -> [T] {
        try session { try $0.fetch(sql, values, reuse: false, map) }
    }

    func first<T>(_ sql: String, _ values: [any DatabaseBindable] = [], _ map: (any SQLRow) throws -> T) throws -> T? {
        try session { try $0.fetchFirst(sql, values, reuse: false, map) }
    }

    /// Stores submissions at chosen times as the backend's own write path does, folded; their ids.
    /// SQLite: the rows and the fold in one transaction on the writer. PostgreSQL: `PostgresIngestor`
    /// on the test's connection, then `PostgresFold`.
    func store(_ rows: [(NewFeedback, at: Int64)]) throws -> [Int64] {
        if let postgres {
            let ingestor = PostgresIngestor(duplicateWindow: 0, maxCommentLength: .max)
            let results = ingestor.write(rows.map { .init($0.0, receivedAt: $0.at) }, connection: postgres.connection)
            let ids = try results.map { try $0.get().id }
            try Self.foldEverything(postgres.connection)
            return ids
        }
        guard let sqlite else { throw NotSQLite() }
        return try sqlite.writeNow { db in
            try db.transaction {
                let ids = try rows.map { try FeedbackRows.insert($0.0, receivedAt: $0.at, clientHash: nil, connection: db) }
                try DerivedData.fold(limit: .max, connection: db)
                return ids
            }
        }
    }

    /// Folds until the queue is empty; a server instance folding meanwhile holds the lock, so its fold
    /// is waited for rather than skipped.
    static func foldEverything(_ connection: Postgres.Connection) throws {
        let empty = try waitUntil {
            _ = try PostgresFold.foldAll(connection, maxPasses: 1000)
            return try PostgresFold.pendingRows(connection) == 0
        }
        guard empty else { throw FoldTimeout() }
    }

    struct FoldTimeout: Error, CustomStringConvertible {
        var description: String { "the fold queue did not empty within \(patientSeconds) s" }
    }
}
