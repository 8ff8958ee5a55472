import Crypto
import Foundation

/// What a token may do; each scope includes the ones below it.
public enum Scope: String, Sendable, CaseIterable, Comparable {
    case read, triage, admin

    private var rank: Int { Scope.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: Scope, b: Scope) -> Bool { a.rank < b.rank }
}

public struct TokenInfo: Sendable, Equatable {
    public let name: String
    public let scope: Scope
    public let createdAt: Int64
    public let lastUsedAt: Int64?
}

public enum TokenError: Error, Equatable, CustomStringConvertible {
    case invalidName
    case nameTaken(String)

    public var description: String {
        switch self {
        case .invalidName: "token names are 1-64 characters of a-z, A-Z, 0-9, '-', '_' and '.'"
        case .nameTaken(let name): "a token named \(name) already exists"
        }
    }
}

/// API tokens. A token is shown once at creation; only its SHA-256 is stored.
public enum Tokens {
    public static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.count) && name.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0))
        }
    }

    /// Creates a token and returns its secret text: `hk_` and 43 base64url characters (32 random bytes).
    public static func create(name: String, scope: Scope, connection: any SQLSession) throws -> String {
        guard isValidName(name) else { throw TokenError.invalidName }
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let token = "hk_" + secret.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        do {
            try connection.perform("INSERT INTO api_tokens(name, scope, token_hash, created_at) VALUES (?, ?, ?, ?)",
                                   [name, scope.rawValue, hash(token), Timestamp.nowMilliseconds()])
        } catch {
            if connection.isConstraintViolation(error) { throw TokenError.nameTaken(name) }
            throw error
        }
        return token
    }

    public static func list(connection: any SQLSession) throws -> [TokenInfo] {
        try connection.fetch("SELECT name, scope, created_at, last_used_at FROM api_tokens ORDER BY name") { row in
            TokenInfo(name: row.string(0), scope: Scope(rawValue: row.string(1)) ?? .read, createdAt: row.int64(2),
                      lastUsedAt: row.isNull(3) ? nil : row.int64(3))
        }
    }

    /// Deletes the token; false when there is none by that name.
    public static func revoke(name: String, connection: any SQLSession) throws -> Bool {
        try connection.perform("DELETE FROM api_tokens WHERE name = ?", [name])
        return connection.changes > 0
    }

    /// The token's record when `token` is a current token.
    public static func authenticate(_ token: String, connection: any SQLSession) throws -> TokenInfo? {
        guard token.hasPrefix("hk_"), token.utf8.count < 200 else { return nil }
        let digest = hash(token)
        let row = try connection.fetchFirst("SELECT name, scope, created_at, last_used_at, token_hash FROM api_tokens WHERE token_hash = ?", [digest]) { row in
            (TokenInfo(name: row.string(0), scope: Scope(rawValue: row.string(1)) ?? .read, createdAt: row.int64(2),
                       lastUsedAt: row.isNull(3) ? nil : row.int64(3)), row.string(4))
        }
        // The lookup is by hash; compare again in constant time so no timing depends on the secret.
        guard let (info, stored) = row, constantTimeEqual(Array(stored.utf8), Array(digest.utf8)) else { return nil }
        return info
    }

    public static func touch(name: String, at time: Int64, connection: any SQLSession) throws {
        try connection.perform("UPDATE api_tokens SET last_used_at = ? WHERE name = ?", [time, name])
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
