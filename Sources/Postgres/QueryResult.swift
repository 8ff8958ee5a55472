import CPostgres

/// A result libpq returned, cleared when the last row referring to it is gone.
final class QueryResult {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    var rowCount: Int { Int(PQntuples(handle)) }

    /// Rows the command touched (INSERT, UPDATE, DELETE, COPY…), 0 for others.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    var commandStatus: String { String(cString: PQcmdStatus(handle)) }

    var rows: [Row] { (0..<rowCount).map { Row(result: self, index: Int32($0)) } }
}

@available(*, unavailable)
extension QueryResult: Sendable {}

/// One row of a result. Values arrive in PostgreSQL's text format; the accessors convert them the
/// way SQLite's do: a NULL or a value of another shape reads as 0 or "", `value(_:)` tells them apart.
public struct Row {
    let result: QueryResult
    let index: Int32

    public var columnCount: Int { Int(PQnfields(result.handle)) }
    public func columnName(_ column: Int) -> String { String(cString: PQfname(result.handle, Int32(column))) }
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result.handle, index, Int32(column)) == 1 }

    public func string(_ column: Int) -> String {
        guard let text = PQgetvalue(result.handle, index, Int32(column)) else { return "" }
        let count = Int(PQgetlength(result.handle, index, Int32(column)))
        return text.withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    public func int64(_ column: Int) -> Int64 {
        let text = string(column)
        return Int64(text) ?? Double(text).flatMap { Int64(exactly: $0.rounded(.towardZero)) } ?? 0
    }

    public func int(_ column: Int) -> Int { Int(truncatingIfNeeded: int64(column)) }
    public func double(_ column: Int) -> Double { Double(string(column)) ?? 0 }
    /// PostgreSQL writes booleans as `t` and `f`.
    public func bool(_ column: Int) -> Bool { string(column) == "t" }

    /// A bytea column's bytes (the server sends them hex-encoded, `\x…`).
    public func bytes(_ column: Int) -> [UInt8] {
        guard !isNull(column), let text = PQgetvalue(result.handle, index, Int32(column)) else { return [] }
        var count = 0
        let decoded = text.withMemoryRebound(to: UInt8.self, capacity: 1) { PQunescapeBytea($0, &count) }
        guard let decoded else { return [] }
        defer { PQfreemem(decoded) }
        return Array(UnsafeBufferPointer(start: decoded, count: count))
    }

    public func optionalString(_ column: Int) -> String? { isNull(column) ? nil : string(column) }
    public func optionalInt(_ column: Int) -> Int? { isNull(column) ? nil : int(column) }
    public func optionalInt64(_ column: Int) -> Int64? { isNull(column) ? nil : int64(column) }
    public func optionalDouble(_ column: Int) -> Double? { isNull(column) ? nil : double(column) }

    /// The value typed by its column's type: integers, floats, booleans and bytea as such, the rest as text.
    public func value(_ column: Int) -> PostgresValue {
        guard !isNull(column) else { return .null }
        switch PQftype(result.handle, Int32(column)) {
        case TypeOID.int2, TypeOID.int4, TypeOID.int8, TypeOID.oid: return .integer(int64(column))
        case TypeOID.float4, TypeOID.float8: return .real(double(column))
        case TypeOID.bool: return .bool(bool(column))
        case TypeOID.bytea: return .bytes(bytes(column))
        default: return .text(string(column))
        }
    }
}

@available(*, unavailable)
extension Row: Sendable {}
