import CPostgres

extension Connection {
    public enum IsolationLevel: String, Sendable {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Inside BEGIN … COMMIT, including a transaction that failed and waits for its ROLLBACK.
    public var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// A statement that failed inside `body` aborts the transaction even if `body` caught its error:
    /// then nothing is committed and this throws (PostgreSQL would answer COMMIT with a silent ROLLBACK).
    @discardableResult
    public func transaction<T>(_ isolation: IsolationLevel = .readCommitted, _ body: () throws -> T) throws -> T {
        guard !isInTransaction else { throw PostgresError.misuse("a transaction is already open on this connection") }
        try run("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        do {
            let result = try body()
            let db = try db()
            guard PQtransactionStatus(db) != PQTRANS_INERROR else {
                throw PostgresError(sqlState: "25P02", message: "a statement failed inside the transaction; it was rolled back")
            }
            let commit = try exec("COMMIT", [])
            guard commit.commandStatus == "COMMIT" else {
                throw PostgresError(sqlState: "25P02", message: "the transaction was rolled back instead of committed", sql: "COMMIT")
            }
            return result
        } catch {
            if isInTransaction { _ = try? run("ROLLBACK") }
            throw error
        }
    }

    /// Takes the session-level advisory lock `key` if no other session holds it; never waits.
    /// It stays until `advisoryUnlock(_:)`, or until the session ends (also by a lost connection).
    public func tryAdvisoryLock(_ key: Int64) throws(PostgresError) -> Bool {
        try exec("SELECT pg_try_advisory_lock($1)", [key]).rows.first?.bool(0) ?? false
    }

    /// Waits until the session-level advisory lock `key` is free and takes it.
    public func advisoryLock(_ key: Int64) throws(PostgresError) {
        _ = try exec("SELECT pg_advisory_lock($1)", [key])
    }

    /// Releases one hold of the lock `key`; false when this session did not hold it.
    @discardableResult
    public func advisoryUnlock(_ key: Int64) throws(PostgresError) -> Bool {
        try exec("SELECT pg_advisory_unlock($1)", [key]).rows.first?.bool(0) ?? false
    }

    /// Runs `body` while holding the advisory lock `key`, or returns nil at once when another
    /// session holds it: for work one instance at a time does (the fold of derived data).
    public func withAdvisoryLock<T>(_ key: Int64, _ body: () throws -> T) throws -> T? {
        guard try tryAdvisoryLock(key) else { return nil }
        do {
            let result = try body()
            try advisoryUnlock(key)
            return result
        } catch {
            _ = try? advisoryUnlock(key)
            throw error
        }
    }
}
