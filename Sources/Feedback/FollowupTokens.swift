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

    private let box: KeyBox
    private var key: SymmetricKey { box.key }
    /// How long after the vote the follow-up stays open, in milliseconds.
    public let lifetime: Int64

    init(key: SymmetricKey, lifetime: Int64) {
        box = KeyBox(key: key)
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
        var hmac = box.keyed
        hmac.update(data: Array(message(id: id, expires: expires).utf8))
        return Array(hmac.finalize())
    }
}

/// The key and the HMAC state keyed with it, built once: keying an HMAC hashes both key pads, which
/// cost more than the token's own message; a copy of the keyed state skips that.
private final class KeyBox: @unchecked Sendable { // immutable after init; both are values never mutated in place
    let key: SymmetricKey
    let keyed: HMAC<SHA256>
    init(key: SymmetricKey) {
        self.key = key
        keyed = HMAC<SHA256>(key: key)
    }
}

/// base64url without padding (RFC 4648 §5), for tokens that travel in URLs and forms.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// By hand: Foundation's base64 plus three `replacingOccurrences` cost more than the HMAC itself.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 2 < bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: Substring) -> [UInt8]? {
        guard text.utf8.allSatisfy({ ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).map { Array($0) }
    }
}
