/// A PostgreSQL failure: the SQLSTATE when the server sent one, its message, and the SQL involved
/// (never the bound values, which may hold readers' data).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE (`23505`…), or nil for failures on the client side or of the link.
    public let sqlState: String?
    public let message: String
    /// The server's DETAIL line. Kept apart from `description`: it may quote row values.
    public let detail: String?
    /// The violated constraint's name, for constraint errors.
    public let constraint: String?
    public let sql: String?
    /// The connection was bad when the failure came back: the server is gone or the link broke.
    public let connectionLost: Bool

    public init(sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil,
                sql: String? = nil, connectionLost: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.sql = sql
        self.connectionLost = connectionLost
    }

    /// The first two characters of the SQLSTATE: its class (`23` integrity, `40` rollback, `08` connection).
    public var sqlStateClass: String? { sqlState.map { String($0.prefix(2)) } }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    public var isSerializationFailure: Bool { sqlState == "40001" }
    public var isDeadlock: Bool { sqlState == "40P01" }
    /// Worth running the whole transaction again: the server gave it up to keep others consistent.
    public var isRetryableTransactionFailure: Bool { isSerializationFailure || isDeadlock }
    /// The server cannot be reached or went away: class 08, a shutdown or start-up in progress
    /// (57P01–57P03), or a connection libpq reports as bad. `Connection.reset()` may bring it back.
    public var isConnectionFailure: Bool {
        connectionLost || sqlStateClass == "08" || ["57P01", "57P02", "57P03"].contains(sqlState ?? "")
    }

    public var description: String {
        var text = "PostgreSQL error \(sqlState ?? "(client)"): \(message)"
        if let sql { text += " (in: \(sql.prefix(200)))" }
        return text
    }

    static func misuse(_ message: String, sql: String? = nil) -> PostgresError {
        PostgresError(message: message, sql: sql)
    }
}
