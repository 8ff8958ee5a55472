import Crypto
import Foundation
import SQLite

/// Computes the client hash: HMAC-SHA256 of address, user agent and page host under a secret
/// that changes every UTC day. Older secrets are deleted, so hashes cannot be linked across days.
/// Used only on the writer's queue.
final class ClientHasher {
    private var day = ""
    /// The day's key, already keyed into an HMAC state that each hash copies (keying costs two extra blocks).
    private var key: HMAC<SHA256>?

    func hash(address: String?, userAgent: String?, pageHost: String?, day today: String, connection: Connection) throws -> String? {
        guard let address else { return nil }
        return Self.digest(try key(for: today, connection: connection), address: address, userAgent: userAgent, pageHost: pageHost)
    }

    /// The hash under the day's keyed HMAC state; both backends hash this way.
    static func digest(_ key: HMAC<SHA256>, address: String, userAgent: String?, pageHost: String?) -> String {
        var hmac = key
        hmac.update(data: Array("\(address)\n\(userAgent ?? "")\n\(pageHost ?? "")".utf8))
        return Hex.encode(hmac.finalize().prefix(16))
    }

    private func key(for today: String, connection: Connection) throws -> HMAC<SHA256> {
        if today == day, let key { return key }
        let stored = try connection.first("SELECT secret FROM client_hash_keys WHERE day = ?", [today]) { row -> [UInt8]? in
            if case .blob(let bytes) = row.value(0) { return bytes }
            return nil
        }
        let secret: SymmetricKey
        if let bytes = stored ?? nil, bytes.count == 32 {
            secret = SymmetricKey(data: bytes)
        } else {
            secret = SymmetricKey(size: .bits256)
            let bytes = secret.withUnsafeBytes { Array($0) }
            try connection.run("INSERT OR REPLACE INTO client_hash_keys(day, secret) VALUES (?, ?)", [today, SQLValue.blob(bytes)])
        }
        try connection.run("DELETE FROM client_hash_keys WHERE day <> ?", [today])
        let keyed = HMAC<SHA256>(key: secret)
        day = today
        key = keyed
        return keyed
    }

    /// Forgets the cached key, for example after a failed transaction that may have rolled its row back.
    func reset() {
        day = ""
        key = nil
    }
}

enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
