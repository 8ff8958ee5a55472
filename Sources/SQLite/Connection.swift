import CSQLite
import Synchronization

/// How an SQLite connection is opened.
public struct ConnectionOptions: Sendable {
    public enum Durability: String, Sendable, CaseIterable {
        /// `synchronous=FULL`: a committed transaction survives power loss.
        case full
        /// `synchronous=NORMAL`: survives a process crash; power loss may drop the last commits.
        case normal
    }

    public var readOnly: Bool
    public var durability: Durability
    public var busyTimeoutMilliseconds: Int32
    /// SQLite's page cache for this connection. The default 2 MiB makes a growing database with
    /// several indexes and rollups re-read pages from the OS on every write.
    public var cacheKiB: Int
    /// Bytes of the file read through mmap instead of read(2); 0 turns it off.
    public var mmapBytes: Int

    public init(readOnly: Bool = false, durability: Durability = .full, busyTimeoutMilliseconds: Int32 = 5000,
                cacheKiB: Int = 32 * 1024, mmapBytes: Int = 0) {
        self.readOnly = readOnly
        self.durability = durability
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.cacheKiB = cacheKiB
        self.mmapBytes = mmapBytes
    }
}

/// One SQLite connection. Not thread-safe: confine it to one queue (see `DatabaseQueue`).
public final class Connection {
    private(set) var handle: OpaquePointer?
    public let path: String
    private var cache: [String: Statement] = [:]
    /// The WAL hook's closure; SQLite holds only an unretained pointer to it.
    var walHook: WALHookBox?
    /// Unique among the process's connections, unlike an object's address, which a new connection may reuse.
    public let serial = Connection.serials.wrappingAdd(1, ordering: .relaxed).newValue
    private static let serials = Atomic<UInt64>(0)

    /// Process-wide settings, applied once before the first connection opens (SQLite refuses them
    /// once initialized). Nothing here reads SQLite's memory statistics.
    static let libraryConfigured: Bool = hearken_sqlite_disable_memory_statistics() == SQLITE_OK

    public init(path: String, options: ConnectionOptions = ConnectionOptions()) throws(SQLiteError) {
        _ = Self.libraryConfigured
        self.path = path
        var db: OpaquePointer?
        let flags = (options.readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE))
            | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open database"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, message: "\(message): \(path)")
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, options.busyTimeoutMilliseconds)
        do {
            if !options.readOnly {
                try execute("PRAGMA journal_mode=WAL")
            }
            try execute("PRAGMA synchronous=\(options.durability == .full ? "FULL" : "NORMAL")")
            try execute("PRAGMA foreign_keys=ON")
            try execute("PRAGMA cache_size=-\(options.cacheKiB)")
            try execute("PRAGMA temp_store=MEMORY")
            if options.mmapBytes > 0 { try execute("PRAGMA mmap_size=\(options.mmapBytes)") }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private func db() throws(SQLiteError) -> OpaquePointer {
        guard let handle else { throw SQLiteError(code: SQLITE_MISUSE, message: "connection is closed") }
        return handle
    }

    /// Finalizes cached statements and closes the connection. Safe to call twice.
    public func close() {
        cache.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
        walHook = nil
    }

    public var isOpen: Bool { handle != nil }

    /// Changes whenever what this connection reads may have changed: `PRAGMA data_version` moves with every
    /// commit of another connection (or process), `sqlite3_total_changes64` with every row this one changed.
    /// Equal values mean the same data, so a result computed from it may be kept.
    public func dataVersion() throws -> (commits: Int64, ownChanges: Int64) {
        let commits = try first("PRAGMA data_version") { $0.int64(0) } ?? 0
        return (commits, sqlite3_total_changes64(try db()))
    }

    /// Whether the main database was opened read-only. Only such a connection can trust `dataVersion()`
    /// across its own transactions: a writer's ROLLBACK leaves `sqlite3_total_changes64` raised.
    public var isReadOnly: Bool {
        guard let handle else { return false }
        return sqlite3_db_readonly(handle, "main") == 1
    }

    /// Runs one or more SQL statements without parameters (used for migrations and pragmas).
    public func execute(_ sql: String) throws(SQLiteError) {
        let db = try db()
        var message: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &message)
        if rc != SQLITE_OK {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(message)
            throw SQLiteError(code: sqlite3_extended_errcode(db), message: text, sql: sql)
        }
    }

    /// A new statement, finalized when released.
    public func prepare(_ sql: String) throws(SQLiteError) -> Statement {
        try Statement(connection: db(), sql: sql, persistent: false)
    }

    /// How many statements this connection keeps prepared (what `cached` has kept so far).
    public var cachedStatements: Int { cache.count }

    /// A statement from this connection's cache, prepared once per SQL text.
    public func cached(_ sql: String) throws(SQLiteError) -> Statement {
        if let statement = cache[sql] { return statement }
        let statement = try Statement(connection: db(), sql: sql, persistent: true)
        cache[sql] = statement
        return statement
    }

    public func run(_ sql: String, _ values: [any SQLBindable] = []) throws(SQLiteError) {
        try cached(sql).run(values)
    }

    public func query<T>(_ sql: String, _ values: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> [T] {
        try cached(sql).query(values, map)
    }

    public func first<T>(_ sql: String, _ values: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> T? {
        try cached(sql).first(values, map)
    }

    public var lastInsertRowID: Int64 { handle.map { sqlite3_last_insert_rowid($0) } ?? 0 }
    public var changes: Int { handle.map { Int(sqlite3_changes($0)) } ?? 0 }
    public var isInTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    public enum TransactionKind: String, Sendable {
        case deferred = "DEFERRED", immediate = "IMMEDIATE"

        var beginSQL: String {
            switch self {
            case .deferred: "BEGIN DEFERRED"
            case .immediate: "BEGIN IMMEDIATE"
            }
        }
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// ROLLBACK is always attempted because SQLite may already have rolled back on FULL, IOERR or BUSY.
    public func transaction<T>(_ kind: TransactionKind = .immediate, _ body: () throws -> T) throws -> T {
        // Prepared once and kept, like other cached statements: parsing them cost more than running them.
        try run(kind.beginSQL)
        do {
            let result = try body()
            try run("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }
}

@available(*, unavailable)
extension Connection: Sendable {}
