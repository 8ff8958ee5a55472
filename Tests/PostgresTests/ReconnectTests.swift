import Postgres
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct ReconnectTests {
    /// A server of its own: stopping the shared one would fail other tests running meanwhile.
    @Test func resetReconnectsAfterTheServerRestarts() throws {
        let server = try PostgresServer()
        // Kept alive to the end: its deinit stops the server, and Swift may release it after its last use.
        try withExtendedLifetime(server) {
            let database = try server.createDatabase()
            let db = try Connection(server.connectionString(database: database))
            try db.execute("CREATE TABLE r(n BIGINT)")
            try db.run("INSERT INTO r VALUES (1)")
            let prepared = try db.cached("SELECT count(*) FROM r WHERE n >= $1")
            try server.stop()
            do {
                try db.run("INSERT INTO r VALUES (2)")
                Issue.record("a query succeeded with the server stopped")
            } catch let error as PostgresError {
                #expect(error.isConnectionFailure, "\(error)")
            }
            #expect(!db.isConnected)
            #expect(throws: PostgresError.self) { try db.reset() }
            try server.start()
            try db.reset()
            #expect(db.isConnected)
            try db.run("INSERT INTO r VALUES (3)")
            #expect(try db.query("SELECT n FROM r ORDER BY n") { $0.int(0) } == [1, 3])
            // Server-side prepared statements died with the old session: cached() prepares anew, and
            // a statement taken before the restart prepares itself again when the server says so.
            #expect(try db.cached("SELECT count(*) FROM r WHERE n >= $1").first([0]) { $0.int(0) } == 2)
            #expect(try prepared.first([0]) { $0.int(0) } == 2)
        }
    }
}
