import SQLite

/// SQLite's connection is the SQLite session: its statement cache serves `reuse: true`.
extension Connection: SQLSession {
    public var dialect: SQLDialect { .sqlite }

    public func perform(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool) throws {
        try statement(sql, reuse).run(values.map(\.sqliteValue))
    }

    public func fetch<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> [T] {
        try statement(sql, reuse).query(values.map(\.sqliteValue)) { try map($0) }
    }

    public func fetchFirst<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> T? {
        try statement(sql, reuse).first(values.map(\.sqliteValue)) { try map($0) }
    }

    public func withTransaction<T>(_ body: () throws -> T) throws -> T {
        try transaction(.immediate, body)
    }

    public func insertReturningID(_ sql: String, _ values: [any DatabaseBindable]) throws -> Int64 {
        try perform(sql, values, reuse: true)
        return lastInsertRowID
    }

    public func isConstraintViolation(_ error: any Error) -> Bool {
        (error as? SQLiteError)?.isConstraint ?? false
    }

    private func statement(_ sql: String, _ reuse: Bool) throws -> Statement {
        reuse ? try cached(sql) : try prepare(sql)
    }
}

extension Row: SQLRow {
    public func blob(_ index: Int) -> [UInt8] {
        if case .blob(let bytes) = value(index) { return bytes }
        return []
    }
}

extension DatabaseBindable {
    var sqliteValue: SQLValue {
        switch databaseValue {
        case .null: .null
        case .integer(let value): .integer(value)
        case .real(let value): .real(value)
        case .text(let value): .text(value)
        case .blob(let value): .blob(value)
        }
    }
}
