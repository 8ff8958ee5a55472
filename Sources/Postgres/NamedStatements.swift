import CPostgres

extension Connection {
    /// Prepares `sql` on the server under `name`, for a caller that keeps its own bounded set of
    /// statements (`cached(_:)` keeps every one for the session's life). The name must not be one
    /// `cached(_:)` uses (`hearken_N`). Parameters take the types of `values` (integers int8, reals
    /// float8, bytes bytea; text and NULL are left to the server), as an unprepared run would: left
    /// untyped, a parameter in a SELECT list would be text, which an INSERT … SELECT cannot store as a number.
    public func prepare(_ sql: String, name: String, typedLike values: [any PostgresBindable]) throws(PostgresError) -> PreparedStatement {
        let db = try db()
        let types = values.map(\.postgresValue.typeOID)
        let result = types.withUnsafeBufferPointer { PQprepare(db, name, sql, Int32(types.count), $0.baseAddress) }
        _ = try check(result, sql: sql)
        return PreparedStatement(connection: self, name: name, sql: sql)
    }

    /// Frees a statement `prepare(_:name:)` made, so the server forgets its plan.
    public func deallocate(_ statement: PreparedStatement) throws(PostgresError) {
        try execute("DEALLOCATE \"\(statement.name.replacingOccurrences(of: "\"", with: "\"\""))\"")
    }
}

extension PostgresError {
    /// SQLSTATE 26000: the named statement does not exist (the session was reset since it was prepared).
    public var isUnknownStatement: Bool { sqlState == "26000" }
}
