/// Which SQL a session speaks. Query code branches on it only where the SQL itself differs.
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    /// A comparison as the number 1 or 0: SQLite's comparisons are integers already, PostgreSQL's
    /// are booleans, which `sum` does not take.
    func flag(_ condition: String) -> String {
        switch self {
        case .sqlite: condition
        case .postgres: "(\(condition))::int"
        }
    }

    /// How many rows of a group satisfy `condition`.
    func count(_ condition: String) -> String {
        switch self {
        case .sqlite: "sum(\(condition))"
        case .postgres: "count(*) FILTER (WHERE \(condition))"
        }
    }

    /// A group's values of an integer column joined with commas.
    func commaList(_ column: String) -> String {
        switch self {
        case .sqlite: "group_concat(\(column))"
        case .postgres: "string_agg(\(column)::text, ',')"
        }
    }

    /// `insert` (an `INSERT INTO …`) made to skip rows whose key is taken rather than fail.
    func ignoringConflicts(_ insert: String) -> String {
        switch self {
        case .sqlite: "INSERT OR IGNORE INTO" + insert.dropFirst("INSERT INTO".count)
        case .postgres: insert + " ON CONFLICT DO NOTHING"
        }
    }
}

/// A value bound to a statement parameter, whatever the backend.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// Types bound directly as statement parameters.
public protocol DatabaseBindable {
    var databaseValue: DatabaseValue { get }
}

extension Int: DatabaseBindable { public var databaseValue: DatabaseValue { .integer(Int64(self)) } }
extension Int64: DatabaseBindable { public var databaseValue: DatabaseValue { .integer(self) } }
extension Double: DatabaseBindable { public var databaseValue: DatabaseValue { .real(self) } }
extension String: DatabaseBindable { public var databaseValue: DatabaseValue { .text(self) } }
extension Bool: DatabaseBindable { public var databaseValue: DatabaseValue { .integer(self ? 1 : 0) } }
extension DatabaseValue: DatabaseBindable { public var databaseValue: DatabaseValue { self } }
extension Optional: DatabaseBindable where Wrapped: DatabaseBindable {
    public var databaseValue: DatabaseValue { self?.databaseValue ?? .null }
}

/// The current row of a query, read by column index; valid only inside the row's closure.
public protocol SQLRow {
    func isNull(_ index: Int) -> Bool
    func int(_ index: Int) -> Int
    func int64(_ index: Int) -> Int64
    func double(_ index: Int) -> Double
    func string(_ index: Int) -> String
    func blob(_ index: Int) -> [UInt8]
}

extension SQLRow {
    public func optionalString(_ index: Int) -> String? { isNull(index) ? nil : string(index) }
    public func optionalInt(_ index: Int) -> Int? { isNull(index) ? nil : int(index) }
}

/// One database session (an SQLite connection, later a PostgreSQL one): what the domain's query code
/// is written against. Not thread-safe: used only inside the closure a store hands it to.
///
/// Statements use `?` placeholders (or `?N`); a backend that numbers them differently rewrites them.
/// The names differ from `SQLite.Connection`'s own methods on purpose: the connection conforms
/// directly, and the ingest path keeps calling its SQLite methods without ambiguity.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    /// Runs one or more statements without parameters.
    func execute(_ sql: String) throws
    /// Runs a statement that returns no rows. `reuse: false` for SQL text built per call (filters),
    /// which a backend should not keep prepared.
    func perform(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool) throws
    /// Runs a query and maps every row.
    func fetch<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> [T]
    /// Runs a query and maps the first row, if any.
    func fetchFirst<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> T?
    /// Runs `body` in a transaction that takes the write lock at once: committed when it returns,
    /// rolled back when it throws.
    func withTransaction<T>(_ body: () throws -> T) throws -> T
    /// Runs one INSERT of one row into a table with an `id` key and returns the id it got
    /// (SQLite: the last insert rowid; PostgreSQL, which has none: the same SQL with `RETURNING id`).
    func insertReturningID(_ sql: String, _ values: [any DatabaseBindable]) throws -> Int64
    /// Rows the last INSERT, UPDATE or DELETE changed.
    var changes: Int { get }
    /// Whether `error` (thrown by this session) is a violated constraint: a unique key taken, a foreign key missing.
    func isConstraintViolation(_ error: any Error) -> Bool
}

extension SQLSession {
    public func perform(_ sql: String, _ values: [any DatabaseBindable] = []) throws {
        try perform(sql, values, reuse: true)
    }

    public func fetch<T>(_ sql: String, _ values: [any DatabaseBindable] = [], _ map: (any SQLRow) throws -> T) throws -> [T] {
        try fetch(sql, values, reuse: true, map)
    }

    public func fetchFirst<T>(_ sql: String, _ values: [any DatabaseBindable] = [], _ map: (any SQLRow) throws -> T) throws -> T? {
        try fetchFirst(sql, values, reuse: true, map)
    }
}
