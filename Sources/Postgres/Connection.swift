import CPostgres
import Foundation

/// One PostgreSQL connection through libpq. Not thread-safe: confine it to one queue (see `DatabaseQueue`).
public final class Connection {
    private(set) var handle: OpaquePointer?
    /// The connection string with its password hidden: safe for logs and errors.
    public let redactedConnectionString: String
    /// The password written in the connection string (as written and percent-decoded), scrubbed from
    /// every message that leaves here.
    private let passwords: [String]
    private let notices: NoticeSink
    /// Server-side prepared statements of this session, by SQL text; forgotten when the session is.
    private var prepared: [String: String] = [:]
    /// Never reset, so a statement kept from an old session cannot run another's SQL under its name.
    private var preparedCount = 0

    /// Opens a connection. `connectionString` goes to libpq unchanged (URI or key=value; `sslmode`,
    /// service files and the `PG*` variables work as usual); only the client encoding is fixed to UTF-8.
    /// Server notices (NOTICE, WARNING) go to `notices`, or nowhere. `defaults` are libpq keywords
    /// (`connect_timeout`, `keepalives_idle`…) used only where the connection string does not set them.
    public init(_ connectionString: String, notices: (@Sendable (String) -> Void)? = nil,
                defaults: [(keyword: String, value: String)] = []) throws(PostgresError) {
        redactedConnectionString = ConnectionString.redacted(connectionString)
        passwords = ConnectionString.passwordForms(in: connectionString)
        self.notices = NoticeSink(notices)
        // With expand_dbname, "dbname" is read as a whole connection string, and later keywords
        // override it: the encoding must be UTF-8 for Swift strings whatever the environment says.
        // Keywords before it are overridden by the string's own: that is where `defaults` go.
        let keywords = defaults.map(\.keyword) + ["dbname", "client_encoding", "fallback_application_name"]
        let values = defaults.map(\.value) + [connectionString, "UTF8", "hearken"]
        let connection = withCStrings(keywords) { keys in
            withCStrings(values) { values in PQconnectdbParams(keys, values, 1) }
        }
        guard let connection else { throw PostgresError(message: "out of memory opening a connection", connectionLost: true) }
        handle = connection
        guard PQstatus(connection) == CONNECTION_OK else {
            let failure = PostgresError(message: scrub(lastMessage(connection)) + " (connecting to \(redactedConnectionString))",
                                        connectionLost: true)
            close()
            throw failure
        }
        self.notices.install(on: connection)
    }

    deinit { close() }

    func db() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw .misuse("connection is closed") }
        return handle
    }

    /// Closes the connection. Safe to call twice.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        prepared.removeAll()
    }

    public var isOpen: Bool { handle != nil }

    /// Whether libpq considers the link good. It learns of a broken link only when it next uses it,
    /// so this can be true for a server that just went away; a failing query then sets it false. A link
    /// left in pipeline mode (a failed `pipeline` that could not leave it) runs no ordinary query: false too.
    public var isConnected: Bool {
        handle.map { PQstatus($0) == CONNECTION_OK && PQpipelineStatus($0) == PQ_PIPELINE_OFF } ?? false
    }

    /// Reads, without waiting, whatever the server sent while the link was idle. A server that shut
    /// down or restarted has closed the link: `isConnected` is false afterwards, before any query is
    /// sent on a dead link (libpq keeps its socket non-blocking, so this never blocks).
    public func readPendingInput() {
        guard let handle, PQstatus(handle) == CONNECTION_OK, !isInTransaction else { return }
        // A server shutting down sends its FATAL message, then closes: the first read takes the
        // message, the second meets the end of the stream (or nothing, on a live link).
        for _ in 0..<2 {
            guard PQconsumeInput(handle) == 1, PQstatus(handle) == CONNECTION_OK else { return }
        }
    }

    /// Closes the link and opens a new one with the same parameters (after a restart or failover).
    /// The new session starts without prepared statements, transactions or session locks.
    public func reset() throws(PostgresError) {
        let db = try db()
        prepared.removeAll()
        PQreset(db)
        guard PQstatus(db) == CONNECTION_OK else {
            throw PostgresError(message: scrub(lastMessage(db)) + " (connecting to \(redactedConnectionString))", connectionLost: true)
        }
    }

    /// The server's version as a number (150004 for 15.4).
    public var serverVersion: Int { handle.map { Int(PQserverVersion($0)) } ?? 0 }

    /// Runs one or more SQL statements without parameters (migrations, settings).
    public func execute(_ sql: String) throws(PostgresError) {
        let db = try db()
        _ = try check(PQexec(db, sql), sql: sql)
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [any PostgresBindable] = []) throws(PostgresError) -> Int {
        try exec(sql, values).affectedRows
    }

    /// Runs a query and maps every row.
    public func query<T>(_ sql: String, _ values: [any PostgresBindable] = [], _ map: (Row) throws -> T) throws -> [T] {
        try exec(sql, values).rows.map(map)
    }

    /// Runs a query and maps the first row, if any.
    public func first<T>(_ sql: String, _ values: [any PostgresBindable] = [], _ map: (Row) throws -> T) throws -> T? {
        let result = try exec(sql, values)
        guard result.rowCount > 0 else { return nil }
        return try map(Row(result: result, index: 0))
    }

    /// One round trip: the server parses, plans and runs `sql` with `values` (PQexecParams).
    func exec(_ sql: String, _ values: [any PostgresBindable]) throws(PostgresError) -> QueryResult {
        let db = try db()
        let parameters = try Parameters(values, sql: sql)
        let result = parameters.withPointers { count, types, values, lengths, formats in
            PQexecParams(db, sql, count, types, values, lengths, formats, 0)
        }
        return try check(result, sql: sql)
    }

    /// A statement prepared once per session under a name (PQprepare), for hot paths: later runs
    /// skip parsing and planning. Prepared again transparently after `reset()`.
    public func cached(_ sql: String) throws(PostgresError) -> PreparedStatement {
        let db = try db()
        if let name = prepared[sql] { return PreparedStatement(connection: self, name: name, sql: sql) }
        preparedCount += 1
        let name = "hearken_\(preparedCount)"
        _ = try check(PQprepare(db, name, sql, 0, nil), sql: sql)
        prepared[sql] = name
        return PreparedStatement(connection: self, name: name, sql: sql)
    }

    /// Forgets the statement `cached(_:)` prepared for `sql` under `name`, which the server no longer
    /// knows (SQLSTATE 26000: a pooler in front of the server, or a DEALLOCATE), so the next use
    /// prepares it again; a newer statement for the same text (prepared after a reset) stays.
    func forgetPrepared(_ sql: String, name: String) {
        if prepared[sql] == name { prepared[sql] = nil }
    }

    /// `result` when it succeeded; otherwise clears it and throws its error.
    func check(_ result: OpaquePointer?, sql: String?) throws(PostgresError) -> QueryResult {
        guard let result else { throw error(nil, sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return QueryResult(result)
        default:
            let failure = error(result, sql: sql)
            PQclear(result)
            throw failure
        }
    }

    /// The error a failed result (or a missing one) stands for.
    func error(_ result: OpaquePointer?, sql: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? handle.map(lastMessage) ?? "no connection"
        let lost = handle.map { PQstatus($0) == CONNECTION_BAD } ?? true
        return PostgresError(sqlState: field("C"), message: scrub(message), detail: field("D").map(scrub),
                             constraint: field("n"), sql: sql, connectionLost: lost)
    }

    private func lastMessage(_ connection: OpaquePointer) -> String {
        String(cString: PQerrorMessage(connection)).trimmingTrailingWhitespace()
    }

    /// libpq does not echo passwords, but a message is scrubbed anyway before it can reach a log.
    private func scrub(_ message: String) -> String {
        passwords.reduce(message) { $0.replacingOccurrences(of: $1, with: ConnectionString.mask) }
    }
}

@available(*, unavailable)
extension Connection: Sendable {}

/// A named server-side statement of one connection.
public struct PreparedStatement {
    let connection: Connection
    public let name: String
    public let sql: String

    /// A statement the server forgot is prepared again: at once outside a transaction; inside one,
    /// whose statements now fail anyway, by the next use after the error.
    func exec(_ values: [any PostgresBindable]) throws(PostgresError) -> QueryResult {
        do {
            return try execPrepared(values)
        } catch where error.isUnknownStatement {
            connection.forgetPrepared(sql, name: name)
            guard !connection.isInTransaction else { throw error }
            return try connection.cached(sql).execPrepared(values)
        }
    }

    private func execPrepared(_ values: [any PostgresBindable]) throws(PostgresError) -> QueryResult {
        let db = try connection.db()
        let parameters = try Parameters(values, sql: sql)
        let result = parameters.withPointers { count, _, values, lengths, formats in
            PQexecPrepared(db, name, count, values, lengths, formats, 0)
        }
        return try connection.check(result, sql: sql)
    }

    @discardableResult
    public func run(_ values: [any PostgresBindable] = []) throws(PostgresError) -> Int { try exec(values).affectedRows }

    public func query<T>(_ values: [any PostgresBindable] = [], _ map: (Row) throws -> T) throws -> [T] {
        try exec(values).rows.map(map)
    }

    public func first<T>(_ values: [any PostgresBindable] = [], _ map: (Row) throws -> T) throws -> T? {
        let result = try exec(values)
        guard result.rowCount > 0 else { return nil }
        return try map(Row(result: result, index: 0))
    }
}

@available(*, unavailable)
extension PreparedStatement: Sendable {}

/// Where the server's notices go: libpq calls back with a context pointer to this box.
final class NoticeSink {
    let handler: (@Sendable (String) -> Void)?

    init(_ handler: (@Sendable (String) -> Void)?) { self.handler = handler }

    /// The connection must not outlive this sink (the connection owns it and closes first).
    func install(on connection: OpaquePointer) {
        PQsetNoticeProcessor(connection, { context, message in
            guard let context, let message else { return }
            let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
            sink.handler?(String(cString: message).trimmingTrailingWhitespace())
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer($0) } } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
