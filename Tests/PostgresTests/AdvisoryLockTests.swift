import Postgres
import Testing
import TestSupport

@Suite(.enabled(if: postgresWanted, "HEARKEN_SKIP_POSTGRES=1"))
struct AdvisoryLockTests {
    /// Each database has its own lock of a key, and the holder is looked up in the asker's database
    /// only: the same key held in another database (another Hearken on the cluster, or another
    /// test's) is not this one's holder (it was, and a frozen peer's timeout was then forgotten).
    @Test func theHolderIsLookedUpInTheAskersDatabaseOnly() throws {
        let key: Int64 = -0x1234_5678_9abc_def0
        let (here, server, database) = try freshDatabase()
        let (elsewhere, _, _) = try freshDatabase()
        let (empty, _, _) = try freshDatabase()
        try elsewhere.advisoryLock(key)
        #expect(try here.advisoryLockHolder(key) == nil)
        let holder = try Connection(server.connectionString(database: database))
        try holder.advisoryLock(key)
        let pid = try holder.first("SELECT pg_backend_pid()") { $0.int(0) }
        #expect(try here.advisoryLockHolder(key) == pid)
        #expect(try empty.advisoryLockHolder(key) == nil)
        // A transaction-level hold is found the same way.
        #expect(try holder.advisoryUnlock(key))
        try holder.execute("BEGIN")
        _ = try holder.run("SELECT pg_advisory_xact_lock($1)", [key])
        #expect(try here.advisoryLockHolder(key) == pid)
        try holder.execute("ROLLBACK")
        #expect(try here.advisoryLockHolder(key) == nil)
    }
}
