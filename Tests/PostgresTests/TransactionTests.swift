import Postgres
import Testing
import TestSupport

private struct Planned: Error {}

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct TransactionTests {
    @Test func commitsOnReturnAndRollsBackOnThrow() throws {
        let (db, _, _) = try freshDatabase()
        try db.execute("CREATE TABLE t(n BIGINT)")
        try db.transaction { try db.run("INSERT INTO t VALUES (1)") }
        #expect(throws: Planned.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (2)")
                throw Planned()
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT n FROM t") { $0.int(0) } == [1])
    }

    @Test func aCaughtFailureInsideStillRollsBack() throws {
        let (db, _, _) = try freshDatabase()
        try db.execute("CREATE TABLE t(n BIGINT PRIMARY KEY)")
        #expect(throws: PostgresError.self) {
            try db.transaction {
                try db.run("INSERT INTO t VALUES (1)")
                _ = try? db.run("INSERT INTO t VALUES (1)")
            }
        }
        #expect(!db.isInTransaction)
        #expect(try db.query("SELECT n FROM t") { $0.int(0) } == [])
    }

    @Test func isolationLevelIsApplied() throws {
        let (db, _, _) = try freshDatabase()
        let level = try db.transaction(.serializable) { try db.first("SHOW transaction_isolation") { $0.string(0) } }
        #expect(level == "serializable")
        #expect(throws: PostgresError.self) { try db.transaction { try db.transaction {} } }
    }

    @Test func serializationFailuresAreRecognized() throws {
        let (a, server, database) = try freshDatabase()
        let b = try Connection(server.connectionString(database: database))
        try a.execute("CREATE TABLE c(id BIGINT PRIMARY KEY, n BIGINT); INSERT INTO c VALUES (1, 0)")
        try a.run("BEGIN ISOLATION LEVEL REPEATABLE READ")
        #expect(try a.first("SELECT n FROM c WHERE id = 1") { $0.int(0) } == 0)
        try b.run("UPDATE c SET n = n + 1 WHERE id = 1")
        do {
            try a.run("UPDATE c SET n = n + 1 WHERE id = 1")
            Issue.record("a concurrent update went through under REPEATABLE READ")
        } catch {
            #expect(error.isSerializationFailure && error.isRetryableTransactionFailure)
        }
        try a.run("ROLLBACK")
    }

    @Test func advisoryLockExcludesASecondSession() throws {
        let (a, server, database) = try freshDatabase()
        let b = try Connection(server.connectionString(database: database))
        let key: Int64 = 0x1234_5678_9abc
        #expect(try a.tryAdvisoryLock(key))
        #expect(try !b.tryAdvisoryLock(key))
        #expect(try b.withAdvisoryLock(key) { 1 } == nil)
        #expect(try !b.advisoryUnlock(key))
        #expect(try a.advisoryUnlock(key))
        #expect(try b.withAdvisoryLock(key) { try a.tryAdvisoryLock(key) } == false)
        // withAdvisoryLock let go when its body returned, and also when it throws.
        #expect(try a.tryAdvisoryLock(key))
        try a.advisoryUnlock(key)
        #expect(throws: Planned.self) { try b.withAdvisoryLock(key) { throw Planned() } }
        #expect(try a.tryAdvisoryLock(key))
    }
}
