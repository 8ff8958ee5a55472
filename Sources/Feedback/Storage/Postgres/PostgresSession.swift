import Dispatch
import Postgres

/// A PostgreSQL connection as the domain's session (dialect `.postgres`). Statements arrive with
/// SQLite's `?` placeholders and are renumbered here; `reuse: true` statements stay prepared on the
/// server, at most `statementCapacity` of them, the least recently used freed first.
/// Not thread-safe, like the connection it wraps: confine both to one queue.
public final class PostgresSession: SQLSession {
    public let connection: Postgres.Connection
    public let statementCapacity: Int
    public private(set) var changes = 0
    private var statements = StatementCache()
    private let lockWaits = LockWaitBreaker()

    public init(_ connection: Postgres.Connection, statementCapacity: Int = 128) {
        self.connection = connection
        self.statementCapacity = max(1, statementCapacity)
    }

    public var dialect: SQLDialect { .postgres }

    public func execute(_ sql: String) throws {
        try connection.execute(sql)
    }

    public func perform(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool) throws {
        let parameters = values.map(\.postgresParameter)
        changes = reuse ? try prepared(sql, parameters) { try $0.run(parameters) } : try connection.run(Placeholders.numbered(sql), parameters)
    }

    public func fetch<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> [T] {
        let parameters = values.map(\.postgresParameter)
        let rows = reuse ? try prepared(sql, parameters) { try $0.query(parameters) { $0 } } : try connection.query(Placeholders.numbered(sql), parameters) { $0 }
        return try rows.map { try map(PostgresRow(row: $0)) }
    }

    public func fetchFirst<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> T? {
        let parameters = values.map(\.postgresParameter)
        let row = reuse ? try prepared(sql, parameters) { try $0.first(parameters) { $0 } } : try connection.first(Placeholders.numbered(sql), parameters) { $0 }
        return try row.map { try map(PostgresRow(row: $0)) }
    }

    /// The transaction advisory lock every `withTransaction` takes first.
    public static let editorLockKey: Int64 = 0x6865_6172_6B65_6E45 // "hearkenE"

    /// READ COMMITTED, and first of all the transaction advisory lock `editorLockKey`: the domain's
    /// transactions read and then write (opening an alert episode once, a follow-up token used once,
    /// a digest sent once), which SQLite makes safe by taking its write lock at `BEGIN IMMEDIATE`.
    /// Here they take turns across instances the same way. It cannot deadlock with ingestion or the
    /// fold: they never take this key, and a transaction waits for it before it holds anything else.
    /// Behind a frozen peer's transaction, `lockWaits` bounds each change queued on this session by
    /// one lock timeout (the changes come here one after another, so only its window rule applies).
    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        try connection.transaction(.readCommitted) {
            try lockWaits.acquire(key: Self.editorLockKey, queued: DispatchTime.now().uptimeNanoseconds, on: connection,
                                  tryLock: { try connection.cached("SELECT pg_try_advisory_xact_lock($1::bigint)").first([Self.editorLockKey]) { $0.bool(0) } == true },
                                  waitLock: { _ = try connection.run("SELECT pg_advisory_xact_lock($1)", [Self.editorLockKey]) })
            return try body()
        }
    }

    /// PostgreSQL has no last-insert id: the statement itself returns the new row's.
    public func insertReturningID(_ sql: String, _ values: [any DatabaseBindable]) throws -> Int64 {
        let id = try fetchFirst(sql + " RETURNING id", values, reuse: true) { $0.int64(0) }
        changes = id == nil ? 0 : 1
        guard let id else { throw StorageError.noRowInserted(sql: sql) }
        return id
    }

    /// SQLSTATE class 23: integrity constraint violations (unique, foreign key, check, not null).
    public func isConstraintViolation(_ error: any Error) -> Bool {
        (error as? PostgresError)?.sqlStateClass == "23"
    }

    /// Runs `body` on the statement prepared for `sql`, preparing it first when needed. A statement
    /// the server forgot (the connection was reset) is prepared again once.
    private func prepared<T>(_ sql: String, _ parameters: [PostgresValue], _ body: (PreparedStatement) throws -> T) throws -> T {
        let statement = try statements.statement(for: sql, typedLike: parameters, capacity: statementCapacity, on: connection)
        do {
            return try body(statement)
        } catch let error as PostgresError where error.isUnknownStatement && !connection.isInTransaction {
            statements.forgetAll()
            return try body(try statements.statement(for: sql, typedLike: parameters, capacity: statementCapacity, on: connection))
        }
    }
}

/// The server-side statements of one session by SQL text, with when each was last used.
struct StatementCache {
    private var entries: [String: (statement: PreparedStatement, used: Int)] = [:]
    private var clock = 0
    /// Never reused, so a name cannot stand for two texts within a session.
    private var named = 0

    var count: Int { entries.count }

    /// The statement for `sql`, prepared with the types of `parameters` the first time it is asked for.
    mutating func statement(for sql: String, typedLike parameters: [PostgresValue], capacity: Int,
                            on connection: Postgres.Connection) throws -> PreparedStatement {
        clock += 1
        if let entry = entries[sql] {
            entries[sql] = (entry.statement, clock)
            return entry.statement
        }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
            entries[oldest.key] = nil
            // Freeing is best effort: a failed DEALLOCATE leaves a plan on the server until the session ends.
            try? connection.deallocate(oldest.value.statement)
        }
        named += 1
        let statement = try connection.prepare(Placeholders.numbered(sql), name: "feedback_\(named)", typedLike: parameters)
        entries[sql] = (statement, clock)
        return statement
    }

    /// After a reset the server has none of them.
    mutating func forgetAll() { entries.removeAll() }
}

/// A result row read the way SQLite's rows read: booleans as 1 and 0, NULL as 0 or "".
struct PostgresRow: SQLRow {
    let row: Postgres.Row

    func isNull(_ index: Int) -> Bool { row.isNull(index) }
    func int(_ index: Int) -> Int { Int(truncatingIfNeeded: int64(index)) }

    func int64(_ index: Int) -> Int64 {
        switch row.string(index) {
        case "t": 1
        case "f": 0
        default: row.int64(index)
        }
    }

    func double(_ index: Int) -> Double {
        switch row.string(index) {
        case "t": 1
        case "f": 0
        default: row.double(index)
        }
    }

    func string(_ index: Int) -> String { row.string(index) }
    func blob(_ index: Int) -> [UInt8] { row.bytes(index) }
}

extension DatabaseBindable {
    var postgresParameter: PostgresValue {
        switch databaseValue {
        case .null: .null
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let value): .bytes(value)
        }
    }
}
