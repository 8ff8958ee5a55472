import Crypto
import Foundation
import SQLite

/// One-time tokens that let the reader who voted add a reason and comment to that record, and nobody
/// else. A token is `EXPIRES.MAC`: the expiry (Unix seconds) and an HMAC-SHA256 of record id and expiry
/// under a server secret, so nothing about it is stored; "one-time" is the record's `followed_up_at`.
public struct FollowupTokens: Sendable {
    public enum Verdict: Equatable, Sendable {
        case valid
        case expired
        case invalid
    }

    /// The secret's bytes (`SymmetricKey` is not `Sendable`).
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }
    /// How long after the vote the follow-up stays open, in milliseconds.
    public let lifetime: Int64

    init(key: SymmetricKey, lifetime: Int64) {
        secret = key.withUnsafeBytes { Array($0) }
        self.lifetime = lifetime
    }

    /// Tokens under a fresh random secret (tests).
    init(lifetime: Int64) { self.init(key: SymmetricKey(size: .bits256), lifetime: lifetime) }

    /// Loads the server's follow-up secret, creating it on first use.
    static func load(connection: Connection, lifetime: Int64) throws -> FollowupTokens {
        let stored = try connection.first("SELECT value FROM server_state WHERE name = 'followup_secret'") { row -> [UInt8]? in
            if case .blob(let bytes) = row.value(0) { return bytes }
            return nil
        }
        if let bytes = stored ?? nil, bytes.count == 32 {
            return FollowupTokens(key: SymmetricKey(data: bytes), lifetime: lifetime)
        }
        let key = SymmetricKey(size: .bits256)
        try connection.run("INSERT OR REPLACE INTO server_state(name, value) VALUES ('followup_secret', ?)",
                           [SQLValue.blob(key.withUnsafeBytes { Array($0) })])
        return FollowupTokens(key: key, lifetime: lifetime)
    }

    public func expiry(receivedAt: Int64) -> Int64 { receivedAt + lifetime }

    /// The token for a record received at `receivedAt`; the same inputs give the same token.
    public func issue(id: Int64, receivedAt: Int64) -> String {
        let expires = expiry(receivedAt: receivedAt) / 1000
        return "\(expires).\(Base64URL.encode(mac(id: id, expires: expires)))"
    }

    public func verify(_ token: String, id: Int64, now: Int64 = Timestamp.nowMilliseconds()) -> Verdict {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 12, let expires = Int64(parts[0]), expires > 0,
              let code = Base64URL.decode(parts[1]), code.count == 32 else { return .invalid }
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: Data(message(id: id, expires: expires).utf8), using: key) else {
            return .invalid
        }
        return now / 1000 <= expires ? .valid : .expired
    }

    private func message(id: Int64, expires: Int64) -> String { "followup:\(id):\(expires)" }

    private func mac(id: Int64, expires: Int64) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Data(message(id: id, expires: expires).utf8), using: key))
    }
}

/// base64url without padding (RFC 4648 §5), for tokens that travel in URLs and forms.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}
