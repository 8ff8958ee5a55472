import Crypto
import Foundation

/// How long a dashboard session lives.
public struct SessionLifetime: Sendable {
    /// A session unused this long ends (12 hours).
    public var idleMilliseconds: Int64 = 12 * 3_600_000
    /// A session ends this long after sign-in however busy it is (7 days).
    public var absoluteMilliseconds: Int64 = 7 * 86_400_000

    public init() {}
}

/// A signed-in browser: the token it signed in with (and so its scope), and its times.
public struct SessionInfo: Sendable {
    public let token: TokenInfo
    public let createdAt: Int64
    public let lastSeenAt: Int64
}

/// Dashboard sessions. The browser keeps a 32-byte random secret; only its SHA-256 is stored, so a
/// copy of the database cannot be used to sign in. Deleting a token deletes its sessions (foreign key).
public enum Sessions {
    /// Opens a session for the token named `tokenName`; returns the secret for the cookie (base64url, 43 characters).
    public static func create(tokenName: String, now: Int64, connection: any SQLSession) throws -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        let secret = bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        try connection.perform("""
            INSERT INTO sessions(id_hash, token_id, created_at, last_seen_at)
            SELECT ?, id, ?, ? FROM api_tokens WHERE name = ?
            """, [Tokens.hash(secret), now, now, tokenName])
        return secret
    }

    /// The session for a cookie secret while it is current; nil when unknown, expired or its token revoked.
    public static func find(_ secret: String, now: Int64, lifetime: SessionLifetime, connection: any SQLSession) throws -> SessionInfo? {
        guard secret.utf8.count == 43 else { return nil }
        let digest = Tokens.hash(secret)
        let row = try connection.fetchFirst("""
            SELECT t.name, t.scope, t.created_at, t.last_used_at, s.created_at, s.last_seen_at, s.id_hash
            FROM sessions s JOIN api_tokens t ON t.id = s.token_id WHERE s.id_hash = ?
            """, [digest]) { row in
            (SessionInfo(token: TokenInfo(name: row.string(0), scope: Scope(rawValue: row.string(1)) ?? .read, createdAt: row.int64(2),
                                          lastUsedAt: row.isNull(3) ? nil : row.int64(3)),
                         createdAt: row.int64(4), lastSeenAt: row.int64(5)), row.string(6))
        }
        guard let (info, stored) = row, Tokens.constantTimeEqual(Array(stored.utf8), Array(digest.utf8)) else { return nil }
        guard now - info.lastSeenAt < lifetime.idleMilliseconds, now - info.createdAt < lifetime.absoluteMilliseconds else { return nil }
        return info
    }

    /// Records use, which restarts the idle clock.
    public static func touch(_ secret: String, now: Int64, connection: any SQLSession) throws {
        try connection.perform("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", [now, Tokens.hash(secret)])
    }

    /// Ends a session (sign-out).
    public static func delete(_ secret: String, connection: any SQLSession) throws {
        try connection.perform("DELETE FROM sessions WHERE id_hash = ?", [Tokens.hash(secret)])
    }

    /// Deletes sessions past either expiry, so the table does not grow with abandoned sign-ins.
    public static func deleteExpired(now: Int64, lifetime: SessionLifetime, connection: any SQLSession) throws {
        try connection.perform("DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?",
                               [now - lifetime.idleMilliseconds, now - lifetime.absoluteMilliseconds])
    }

    /// The form token that proves a dashboard form came from a page of this session: an HMAC of a fixed
    /// label under the session's secret, which only the signed-in browser (and the server, per request) knows.
    public static func csrfToken(for secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("hearken-csrf".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Hex.encode(mac)
    }

    public static func csrfMatches(_ candidate: String, secret: String) -> Bool {
        Tokens.constantTimeEqual(Array(candidate.utf8), Array(csrfToken(for: secret).utf8))
    }
}
