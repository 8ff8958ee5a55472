/// A value bound to a statement parameter or read from a result.
public enum PostgresValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bytes([UInt8])
    case bool(Bool)
}

/// Types that can be bound directly as statement parameters.
public protocol PostgresBindable {
    var postgresValue: PostgresValue { get }
}

extension Int: PostgresBindable { public var postgresValue: PostgresValue { .integer(Int64(self)) } }
extension Int64: PostgresBindable { public var postgresValue: PostgresValue { .integer(self) } }
extension Double: PostgresBindable { public var postgresValue: PostgresValue { .real(self) } }
extension String: PostgresBindable { public var postgresValue: PostgresValue { .text(self) } }
extension Bool: PostgresBindable { public var postgresValue: PostgresValue { .bool(self) } }
extension [UInt8]: PostgresBindable { public var postgresValue: PostgresValue { .bytes(self) } }
extension PostgresValue: PostgresBindable { public var postgresValue: PostgresValue { self } }
extension Optional: PostgresBindable where Wrapped: PostgresBindable {
    public var postgresValue: PostgresValue { self?.postgresValue ?? .null }
}

/// Type OIDs from PostgreSQL's catalog (pg_type), fixed since forever.
enum TypeOID {
    static let unknown: UInt32 = 0
    static let bool: UInt32 = 16
    static let bytea: UInt32 = 17
    static let int8: UInt32 = 20
    static let int2: UInt32 = 21
    static let int4: UInt32 = 23
    static let oid: UInt32 = 26
    static let float4: UInt32 = 700
    static let float8: UInt32 = 701
}

extension PostgresValue {
    /// The text PostgreSQL's input functions read for this value (nil for NULL and bytes, which are
    /// sent in binary). Double's shortest round-trip form ("1e-05", "inf", "nan") is accepted by float8in.
    var text: String? {
        switch self {
        case .null, .bytes: nil
        case .integer(let v): String(v)
        case .real(let v): v.description
        case .text(let v): v
        case .bool(let v): v ? "t" : "f"
        }
    }

    /// The parameter's declared type. Text is left for the server to infer from its context, so a
    /// string can fill any column whose input function reads it (dates, JSON, enums…).
    var typeOID: UInt32 {
        switch self {
        case .null, .text: TypeOID.unknown
        case .integer: TypeOID.int8
        case .real: TypeOID.float8
        case .bool: TypeOID.bool
        case .bytes: TypeOID.bytea
        }
    }
}
