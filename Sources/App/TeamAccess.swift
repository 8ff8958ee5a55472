import Feedback
import HTTP
import Logging
import Synchronization

/// Bearer-token access for team endpoints: authenticates on a database queue, checks the scope,
/// runs the handler's work there and answers. Handlers never block an event loop.
struct TeamAccess: Sendable {
    let store: any FeedbackStorage
    let logger: Logger
    /// When each token's `last_used_at` was last written, to write it at most once a minute.
    private let touched = TouchLog()

    init(store: any FeedbackStorage, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    typealias ReadWork = @Sendable (Request, TokenInfo, FeedbackReader) throws -> Response
    typealias WriteWork = @Sendable (Request, TokenInfo, FeedbackEditor) throws -> Response

    /// A read-only endpoint, run on a reader.
    func read(_ scope: Scope, _ work: @escaping ReadWork) -> Handler {
        { request, responder in
            store.read({ reader in
                let token = try authenticate(request, scope, reader)
                return try work(request, token, reader)
            }, completion: { result in responder.respond(answer(result)) })
        }
    }

    /// An endpoint that changes data: authenticated on a reader, then run on the writer.
    func write(_ scope: Scope, _ work: @escaping WriteWork) -> Handler {
        { request, responder in
            store.read({ reader in try authenticate(request, scope, reader) }, completion: { result in
                switch result {
                case .failure:
                    responder.respond(answer(result.map { _ in Response() }))
                case .success(let token):
                    store.write({ editor in try work(request, token, editor) }, completion: { responder.respond(answer($0)) })
                }
            })
        }
    }

    private func answer(_ result: Result<Response, any Error>) -> Response {
        switch result {
        case .success(let response): return response
        case .failure(let error as APIError): return error.response
        case .failure(StoreError.unavailable(let reason)):
            logger.error("team endpoint failed: storage unavailable: \(reason)")
            var unavailable = APIError(.serviceUnavailable, "storage_unavailable", "the database is unavailable; retry later")
            unavailable.headers = [("Retry-After", "5")]
            return unavailable.response
        case .failure(let error):
            logger.error("team endpoint failed: \(error)")
            return APIError(.internalServerError, "internal_error", "the request failed on the server; see its log").response
        }
    }

    private func authenticate(_ request: Request, _ scope: Scope, _ reader: FeedbackReader) throws -> TokenInfo {
        guard let header = request.headers["authorization"] else {
            throw Self.unauthorized("this endpoint needs an API token: Authorization: Bearer TOKEN", error: nil)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("use the Bearer scheme: Authorization: Bearer TOKEN", error: "invalid_request")
        }
        guard let token = try reader.authenticate(token: parts[1].trimmingCharacters()) else {
            throw Self.unauthorized("the API token is unknown or revoked", error: "invalid_token")
        }
        guard token.scope >= scope else {
            throw APIError(.forbidden, "insufficient_scope", "this endpoint needs a token with scope \(scope.rawValue); \(token.name) has \(token.scope.rawValue)")
        }
        let now = Timestamp.nowMilliseconds()
        if touched.shouldTouch(token.name, now: now) {
            store.write({ try $0.touchToken(name: token.name, at: now) }, completion: { _ in })
        }
        return token
    }

    private static func unauthorized(_ message: String, error: String?) -> APIError {
        var failure = APIError(.unauthorized, "unauthorized", message)
        failure.headers = [("WWW-Authenticate", "Bearer realm=\"hearken\"" + (error.map { ", error=\"\($0)\"" } ?? ""))]
        return failure
    }
}

private final class TouchLog: Sendable {
    private let last = Mutex<[String: Int64]>([:])

    func shouldTouch(_ name: String, now: Int64) -> Bool {
        last.withLock { last in
            if let previous = last[name], now - previous < 60_000 { return false }
            last[name] = now
            return true
        }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
