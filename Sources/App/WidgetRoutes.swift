import Feedback
import Foundation
import HTTP

/// `GET /widget.js` (the embeddable widget, with this server's reasons built in) and `GET /embed`
/// (copy-ready snippets for docs authors, filled in with this server's URL).
struct WidgetRoutes {
    let rules: FeedbackRules
    let publicURL: String?
    let resolver: ClientAddressResolver

    func register(in router: inout Router) {
        let script = Array(Self.script(rules: rules).utf8)
        let etag = "\"" + Self.fingerprint(script) + "\""
        router.get("/widget.js") { request, responder in
            var response: Response
            if request.headers.tokens("if-none-match").contains(where: { $0 == etag || $0 == "*" || $0 == "W/" + etag }) {
                response = Response(status: .notModified)
            } else {
                response = Response(status: .ok, contentType: "text/javascript; charset=utf-8", body: script)
            }
            response.headers.add("ETag", etag)
            response.headers.add("Cache-Control", "public, max-age=3600")
            response.headers.add("Cross-Origin-Resource-Policy", "cross-origin")
            response.headers.add("X-Content-Type-Options", "nosniff")
            responder.respond(response)
        }
        router.get("/embed") { request, responder in
            responder.respond(EmbedPage.response(base: baseURL(for: request)))
        }
    }

    /// The widget's source with the configured reasons and comment limit built in.
    static func script(rules: FeedbackRules) -> String {
        func choices(_ rating: String) -> String {
            "[" + ReasonChoices.reasons(for: rating, from: rules.reasons).map { "[\(JSONText.quoted($0)),\(JSONText.quoted(ReasonChoices.label($0)))]" }
                .joined(separator: ",") + "]"
        }
        let config = "{\"reasons\":{\"up\":\(choices("up")),\"down\":\(choices("down"))},\"maxComment\":\(rules.maxCommentLength)}"
        let source = EmbeddedWidget.files.first { $0.name == "widget.js" }?.text ?? ""
        return source.replacingOccurrences(of: "__HEARKEN_CONFIG__", with: config)
    }

    /// The URL readers reach this server at: the configured one, else from the request (the scheme from
    /// `X-Forwarded-Proto` only when a trusted proxy sent it).
    func baseURL(for request: Request) -> String {
        if let publicURL { return publicURL }
        let host = request.headers["host"].flatMap { RedirectPolicy.host(of: "http://" + $0) != nil ? $0 : nil } ?? "localhost"
        var scheme = "http"
        if let peer = IPAddress(request.remoteAddress), resolver.isTrusted(peer),
           request.headers["x-forwarded-proto"]?.lowercased() == "https" {
            scheme = "https"
        }
        return "\(scheme)://\(host)"
    }

    /// FNV-1a, 64 bits, as hex: a cheap content fingerprint for the ETag.
    static func fingerprint(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
