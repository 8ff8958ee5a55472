import CSQLite

/// A prepared statement. Confined to the connection's thread like the connection itself.
public final class Statement {
    let handle: OpaquePointer
    private let connection: OpaquePointer
    public let sql: String

    init(connection: OpaquePointer, sql: String, persistent: Bool) throws(SQLiteError) {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(connection, sql, -1, flags, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw SQLiteError(code: rc, message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        self.handle = statement
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Clears previous bindings and binds `values` to parameters 1...n.
    public func bind(_ values: [any SQLBindable]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard expected == values.count else {
            throw SQLiteError(code: SQLITE_RANGE, message: "expected \(expected) parameters, got \(values.count)", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            try bind(value.sqlValue, at: Int32(offset + 1))
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let v): rc = sqlite3_bind_int64(handle, index, v)
        case .real(let v): rc = sqlite3_bind_double(handle, index, v)
        case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, hearken_sqlite_transient())
        case .blob(let v):
            rc = v.withUnsafeBytes { raw in
                sqlite3_bind_blob(handle, index, raw.baseAddress, Int32(raw.count), hearken_sqlite_transient())
            }
        }
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Advances to the next row; false once the statement is done.
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let failure = error(rc)
            sqlite3_reset(handle)
            throw failure
        }
    }

    /// Runs a statement that returns no rows.
    public func run(_ values: [any SQLBindable] = []) throws(SQLiteError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Runs a query and maps every row.
    public func query<T>(_ values: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> [T] {
        try bind(values)
        defer { sqlite3_reset(handle) }
        var rows: [T] = []
        while try step() { rows.append(try map(Row(statement: handle))) }
        return rows
    }

    /// Runs a query and maps the first row, if any.
    public func first<T>(_ values: [any SQLBindable] = [], _ map: (Row) throws -> T) throws -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        return try map(Row(statement: handle))
    }

    private func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: sqlite3_extended_errcode(connection), message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }
}

@available(*, unavailable)
extension Statement: Sendable {}

/// The current row of a stepping statement; valid only until the next step.
public struct Row {
    let statement: OpaquePointer

    public var columnCount: Int { Int(sqlite3_column_count(statement)) }
    public func isNull(_ index: Int) -> Bool { sqlite3_column_type(statement, Int32(index)) == SQLITE_NULL }
    public func int(_ index: Int) -> Int { Int(sqlite3_column_int64(statement, Int32(index))) }
    public func int64(_ index: Int) -> Int64 { sqlite3_column_int64(statement, Int32(index)) }
    public func double(_ index: Int) -> Double { sqlite3_column_double(statement, Int32(index)) }
    public func string(_ index: Int) -> String {
        guard let text = sqlite3_column_text(statement, Int32(index)) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, Int32(index)))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }
    public func optionalString(_ index: Int) -> String? { isNull(index) ? nil : string(index) }
    public func optionalInt(_ index: Int) -> Int? { isNull(index) ? nil : int(index) }
    public func value(_ index: Int) -> SQLValue {
        switch sqlite3_column_type(statement, Int32(index)) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(int64(index))
        case SQLITE_FLOAT: return .real(double(index))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, Int32(index)))
            guard count > 0, let raw = sqlite3_column_blob(statement, Int32(index)) else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: raw, count: count)))
        default: return .text(string(index))
        }
    }
}
