import Feedback
import HTTP
import Logging
import SQLite
import Synchronization

/// Bearer-token access for team endpoints: authenticates on a database queue, checks the scope,
/// runs the handler's work there and answers. Handlers never block an event loop.
struct TeamAccess: Sendable {
    let store: FeedbackStore
    let logger: Logger
    /// When each token's `last_used_at` was last written, to write it at most once a minute.
    private let touched = TouchLog()

    init(store: FeedbackStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    typealias Work = @Sendable (Request, TokenInfo, Connection) throws -> Response

    /// A read-only endpoint, run on a reader connection.
    func read(_ scope: Scope, _ work: @escaping Work) -> Handler {
        { request, responder in
            store.read({ connection in
                let token = try authenticate(request, scope, connection)
                return try work(request, token, connection)
            }, completion: { result in responder.respond(answer(result)) })
        }
    }

    /// An endpoint that changes data: authenticated on a reader, then run on the writer connection.
    func write(_ scope: Scope, _ work: @escaping Work) -> Handler {
        { request, responder in
            store.read({ connection in try authenticate(request, scope, connection) }, completion: { result in
                switch result {
                case .failure:
                    responder.respond(answer(result.map { _ in Response() }))
                case .success(let token):
                    store.write({ connection in try work(request, token, connection) }, completion: { responder.respond(answer($0)) })
                }
            })
        }
    }

    private func answer(_ result: Result<Response, any Error>) -> Response {
        switch result {
        case .success(let response): return response
        case .failure(let error as APIError): return error.response
        case .failure(let error):
            logger.error("team endpoint failed: \(error)")
            return APIError(.internalServerError, "internal_error", "the request failed on the server; see its log").response
        }
    }

    private func authenticate(_ request: Request, _ scope: Scope, _ connection: Connection) throws -> TokenInfo {
        guard let header = request.headers["authorization"] else {
            throw Self.unauthorized("this endpoint needs an API token: Authorization: Bearer TOKEN", error: nil)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("use the Bearer scheme: Authorization: Bearer TOKEN", error: "invalid_request")
        }
        guard let token = try Tokens.authenticate(parts[1].trimmingCharacters(), connection: connection) else {
            throw Self.unauthorized("the API token is unknown or revoked", error: "invalid_token")
        }
        guard token.scope >= scope else {
            throw APIError(.forbidden, "insufficient_scope", "this endpoint needs a token with scope \(scope.rawValue); \(token.name) has \(token.scope.rawValue)")
        }
        let now = Timestamp.nowMilliseconds()
        if touched.shouldTouch(token.name, now: now) {
            store.write({ try Tokens.touch(name: token.name, at: now, connection: $0) }, completion: { _ in })
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
