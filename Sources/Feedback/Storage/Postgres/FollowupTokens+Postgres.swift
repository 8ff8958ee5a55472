import Crypto
import Postgres

extension FollowupTokens {
    /// Loads the follow-up secret every instance shares from `server_secrets`: the first instance to
    /// start stores one, and whichever loses that race reads the winner's, so a token one instance
    /// issued is accepted by all.
    static func load(postgres connection: Postgres.Connection, lifetime: Int64) throws -> FollowupTokens {
        let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try connection.run("INSERT INTO server_secrets(name, secret) VALUES ('followup_secret', $1) ON CONFLICT (name) DO NOTHING", [fresh])
        guard let bytes = try connection.first("SELECT secret FROM server_secrets WHERE name = 'followup_secret'", [], { $0.bytes(0) }),
              bytes.count == 32 else {
            throw StorageError.noRowInserted(sql: "INSERT INTO server_secrets")
        }
        return FollowupTokens(key: SymmetricKey(data: bytes), lifetime: lifetime)
    }
}
