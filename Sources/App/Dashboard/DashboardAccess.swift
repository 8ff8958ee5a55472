import Feedback
import HTTP
import Logging
import Synchronization

/// A signed-in browser as a dashboard handler sees it.
struct DashboardSession: Sendable {
    let secret: String
    let tokenName: String
    let scope: Scope
    /// The form token every changing form must send back.
    var csrf: String { Sessions.csrfToken(for: secret) }
}

/// Session sign-in for the dashboard pages: the `hearken_session` cookie, never a Bearer token, and
/// only here: `/v1/*` goes through `TeamAccess`, which reads `Authorization` alone.
struct DashboardAccess: Sendable {
    static let cookieName = "hearken_session"

    let store: any FeedbackStorage
    let lifetime: SessionLifetime
    let logger: Logger

    typealias Work = @Sendable (Request, DashboardSession, FeedbackReader) throws -> Response
    typealias Action = @Sendable (Request, [String: [String]], DashboardSession, FeedbackEditor) throws -> Response

    /// A page: without a current session, 303 to the sign-in form, which comes back here afterwards.
    func page(_ scope: Scope = .read, _ work: @escaping Work) -> Handler {
        { request, responder in
            store.read({ reader in
                guard let session = try session(request, reader) else { return Self.signIn(request) }
                guard session.scope >= scope else { return Self.forbidden("This page needs a token with scope \(scope.rawValue).", session) }
                return try work(request, session, reader)
            }, completion: { responder.respond(answer($0, request)) })
        }
    }

    /// A page built from two reads that run side by side on the two readers (the overview:
    /// ranking the period's pages beside insights and the rest), so its time is the longer read's, not the sum.
    func page<A: Sendable, B: Sendable>(first: @escaping @Sendable (Request, FeedbackReader) throws -> A,
                                        second: @escaping @Sendable (Request, FeedbackReader) throws -> B,
                                        render: @escaping @Sendable (Request, DashboardSession, A, B) throws -> Response) -> Handler {
        { request, responder in
            store.read({ reader in try session(request, reader) }, completion: { result in
                guard case .success(let found) = result, let session = found else {
                    if case .failure(let error) = result { return responder.respond(answer(.failure(error), request)) }
                    return responder.respond(Self.signIn(request))
                }
                let join = Join<A, B> { a, b in
                    responder.respond(answer(Result { try render(request, session, a.get(), b.get()) }, request))
                }
                store.read({ try first(request, $0) }, completion: { join.first($0) })
                store.read({ try second(request, $0) }, completion: { join.second($0) })
            })
        }
    }

    /// A form that changes something: same origin, a session, its CSRF token and the scope, then `work`
    /// on the writer.
    func action(_ scope: Scope, _ work: @escaping Action) -> Handler {
        { request, responder in
            guard Self.isSameOrigin(request) else {
                return responder.respond(Self.forbidden("This form was sent from another site and was refused.", nil))
            }
            let fields = Self.formFields(request)
            store.read({ reader in try session(request, reader) }, completion: { result in
                switch result {
                case .failure(let error): responder.respond(answer(.failure(error), request))
                case .success(nil): responder.respond(DashboardPage.see("/login"))
                case .success(let session?):
                    guard let csrf = fields["csrf"]?.first, Sessions.csrfMatches(csrf, secret: session.secret) else {
                        return responder.respond(Self.forbidden("The form's security token is missing or out of date. Reload the page and try again.", session))
                    }
                    guard session.scope >= scope else {
                        return responder.respond(Self.forbidden("This change needs a token with scope \(scope.rawValue); \(session.tokenName) has \(session.scope.rawValue).", session))
                    }
                    store.write({ editor in try work(request, fields, session, editor) },
                                completion: { responder.respond(answer($0, request)) })
                }
            })
        }
    }

    /// The current session of the request's cookie, touched (idle clock restarted) at most every minute.
    func session(_ request: Request, _ reader: FeedbackReader) throws -> DashboardSession? {
        guard let secret = Self.cookie(request) else { return nil }
        let now = Timestamp.nowMilliseconds()
        guard let info = try reader.dashboardSession(secret, now: now, lifetime: lifetime) else { return nil }
        if now - info.lastSeenAt >= min(60_000, lifetime.idleMilliseconds / 10) {
            store.write({ try $0.touchDashboardSession(secret, now: now) }, completion: { _ in })
        }
        return DashboardSession(secret: secret, tokenName: info.token.name, scope: info.token.scope)
    }

    private func answer(_ result: Result<Response, any Error>, _ request: Request) -> Response {
        switch result {
        case .success(let response): return response
        case .failure(let error as APIError):
            return DashboardPage.message(error.status, title: "That did not work", text: error.message, session: nil)
        case .failure(StoreError.unavailable(let reason)):
            logger.error("dashboard page failed: storage unavailable: \(reason)")
            return Self.unavailable(title: "The database is unavailable", session: nil)
        case .failure(let error):
            logger.error("dashboard page failed: \(error)")
            return DashboardPage.message(.internalServerError, title: "Something went wrong", text: "The page failed on the server; see its log.", session: nil)
        }
    }

    /// 503 with `Retry-After`, as the API answers: the database can be reached again in a moment.
    static func unavailable(title: String, session: DashboardSession?) -> Response {
        var response = DashboardPage.message(.serviceUnavailable, title: title,
                                             text: "The database cannot be reached right now. Try again in a few seconds.", session: session)
        response.headers.add("Retry-After", "5")
        return response
    }

    static func forbidden(_ text: String, _ session: DashboardSession?) -> Response {
        DashboardPage.message(.forbidden, title: "Not allowed", text: text, session: session)
    }

    /// 303 to the sign-in form with this page as `next`.
    static func signIn(_ request: Request) -> Response {
        DashboardPage.see("/login" + QueryString.make([("next", request.path + (request.query.map { "?" + $0 } ?? ""))]))
    }

    /// The session secret from the `Cookie` header(s).
    static func cookie(_ request: Request) -> String? {
        for header in request.headers.values("cookie") {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters() == cookieName { return parts[1].trimmingCharacters() }
            }
        }
        return nil
    }

    /// A changing request must come from a page of this server: `Origin` names this host, or, without
    /// `Origin`, `Sec-Fetch-Site` says same-origin. Requests with neither (not from a browser) pass; the
    /// CSRF token still has to match.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let origin = request.headers["origin"]?.lowercased() {
            guard let host = request.headers["host"]?.lowercased() else { return false }
            return origin == "http://" + host || origin == "https://" + host
        }
        if let site = request.headers["sec-fetch-site"]?.lowercased() { return site == "same-origin" }
        return true
    }

    /// The fields of an `application/x-www-form-urlencoded` body; repeated names keep every value.
    static func formFields(_ request: Request) -> [String: [String]] {
        guard request.contentType == "application/x-www-form-urlencoded",
              let pairs = FormDecoding.pairs(String(decoding: request.body, as: UTF8.self)) else { return [:] }
        var fields: [String: [String]] = [:]
        for (name, value) in pairs { fields[name, default: []].append(value) }
        return fields
    }

    /// `next` when it is a dashboard path on this server; anything else (other hosts, `//host`,
    /// backslashes, control characters) becomes the overview, so sign-in is no open redirect.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.utf8.count <= 2048, next == "/dashboard" || next.hasPrefix("/dashboard/") || next.hasPrefix("/dashboard?"),
              next.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\\" }) else { return "/dashboard" }
        return next
    }
}

/// Waits for two results from different queues and hands both on once, from whichever finishes last.
final class Join<A: Sendable, B: Sendable>: Sendable {
    private let state = Mutex<(a: Result<A, any Error>?, b: Result<B, any Error>?)>((nil, nil))
    private let done: @Sendable (Result<A, any Error>, Result<B, any Error>) -> Void

    init(_ done: @escaping @Sendable (Result<A, any Error>, Result<B, any Error>) -> Void) { self.done = done }

    func first(_ result: Result<A, any Error>) {
        let both = state.withLock { state -> (Result<A, any Error>, Result<B, any Error>)? in
            state.a = result
            return state.b.map { (result, $0) }
        }
        if let both { done(both.0, both.1) }
    }

    func second(_ result: Result<B, any Error>) {
        let both = state.withLock { state -> (Result<A, any Error>, Result<B, any Error>)? in
            state.b = result
            return state.a.map { ($0, result) }
        }
        if let both { done(both.0, both.1) }
    }
}
