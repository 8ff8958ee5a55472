import Crypto
import Feedback
import Foundation

/// Signature headers of one attempt: Standard Webhooks 1.0 (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`) and, for receivers built the
/// GitHub way, `X-Hearken-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with the whole
/// secret text (`whsec_…`), which is what such receivers are configured with.
enum WebhookSigner {
    static func headers(messageID: String, timestamp: Int64, body: String, secret: String) -> [(String, String)] {
        let key = SymmetricKey(data: Webhooks.key(fromSecret: secret) ?? Array(secret.utf8))
        let signed = Data("\(messageID).\(timestamp).\(body)".utf8)
        let standard = Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString()
        let github = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Array(secret.utf8)))
        return [("webhook-id", messageID), ("webhook-timestamp", String(timestamp)), ("webhook-signature", "v1,\(standard)"),
                ("X-Hearken-Signature", "sha256=" + github.map { String(format: "%02x", $0) }.joined())]
    }
}
