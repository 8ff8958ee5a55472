import Feedback
import HTTP

/// `GET /` (landing page), `GET/POST /login` (token sign-in) and `POST /logout`.
struct SignInRoutes {
    let access: DashboardAccess
    /// Sign-in attempts per client, limited like public writes so tokens cannot be guessed at speed.
    let limiter: RateLimiter
    let resolver: ClientAddressResolver

    func register(in router: inout Router) {
        router.get("/") { request, responder in
            access.store.read({ try access.session(request, $0) }, completion: { result in
                if case .success(.some) = result { return responder.respond(DashboardPage.see("/dashboard")) }
                responder.respond(Self.landing())
            })
        }
        router.get("/login") { request, responder in
            let next = DashboardAccess.safeNext(request.queryValue("next"))
            access.store.read({ try access.session(request, $0) }, completion: { result in
                if case .success(.some) = result { return responder.respond(DashboardPage.see(next)) }
                responder.respond(Self.form(.ok, next: next, message: nil))
            })
        }
        router.post("/login", bodyLimit: 8 * 1024) { request, responder in signIn(request, responder) }
        router.post("/logout", bodyLimit: 8 * 1024) { request, responder in
            let fields = DashboardAccess.formFields(request)
            let signedOut = DashboardPage.see("/login", headers: [("Set-Cookie", cookie(nil, request))])
            guard DashboardAccess.isSameOrigin(request), let secret = DashboardAccess.cookie(request),
                  let csrf = fields["csrf"]?.first, Sessions.csrfMatches(csrf, secret: secret) else {
                return responder.respond(DashboardAccess.forbidden("Sign-out needs the form of a signed-in page.", nil))
            }
            access.store.write({ try $0.deleteDashboardSession(secret) }, completion: { _ in responder.respond(signedOut) })
        }
    }

    private func signIn(_ request: Request, _ responder: Responder) {
        let fields = DashboardAccess.formFields(request)
        let next = DashboardAccess.safeNext(fields["next"]?.first)
        guard DashboardAccess.isSameOrigin(request) else {
            return responder.respond(DashboardAccess.forbidden("This sign-in form was sent from another site and was refused.", nil))
        }
        let client = resolver.resolve(request)?.clientKey ?? request.remoteAddress
        if let retryAfter = limiter.take(client, now: Timestamp.nowMilliseconds()) {
            return responder.respond(Self.form(.tooManyRequests, next: next, message: "Too many sign-in attempts. Try again in \(retryAfter) seconds.",
                                               headers: [("Retry-After", String(retryAfter))]))
        }
        let token = fields["token"]?.first?.trimmingCharacters(in: .whitespaces) ?? ""
        access.store.write({ editor -> String? in
            guard let info = try editor.reader.authenticate(token: token) else { return nil }
            try editor.deleteExpiredDashboardSessions(now: Timestamp.nowMilliseconds(), lifetime: access.lifetime)
            return try editor.createDashboardSession(tokenName: info.name, now: Timestamp.nowMilliseconds())
        }, completion: { result in
            switch result {
            case .success(let secret?):
                responder.respond(DashboardPage.see(next, headers: [("Set-Cookie", cookie(secret, request))]))
            case .success(nil):
                responder.respond(Self.form(.unauthorized, next: next, message: "That token is unknown or was revoked."))
            case .failure(StoreError.unavailable(let reason)):
                access.logger.error("sign-in failed: storage unavailable: \(reason)")
                var response = Self.form(.serviceUnavailable, next: next, message: "The database cannot be reached right now. Try again in a few seconds.")
                response.headers.add("Retry-After", "5")
                responder.respond(response)
            case .failure(let error):
                access.logger.error("sign-in failed: \(error)")
                responder.respond(Self.form(.internalServerError, next: next, message: "Sign-in failed on the server; see its log."))
            }
        })
    }

    /// The session cookie (or, for nil, one that deletes it). `Secure` when the browser reached us over
    /// HTTPS, which only a trusted proxy's `X-Forwarded-Proto` can say.
    private func cookie(_ secret: String?, _ request: Request) -> String {
        var value = "\(DashboardAccess.cookieName)=\(secret ?? ""); Path=/; HttpOnly; SameSite=Strict"
        if secret == nil { value += "; Max-Age=0" }
        if let peer = IPAddress(request.remoteAddress), resolver.isTrusted(peer),
           request.headers["x-forwarded-proto"]?.lowercased() == "https" {
            value += "; Secure"
        }
        return value
    }

    static func form(_ status: HTTPStatus, next: String, message: String?, headers: [(String, String)] = []) -> Response {
        var body = "<div class=\"login\">\n<h1>Sign in to Hearken</h1>\n"
        if let message { body += "<p class=\"error\" role=\"alert\">\(h(message))</p>\n" }
        body += """
            <form method="post" action="/login">
            <input type="hidden" name="next" value="\(h(next))">
            <p><label for="token">API token</label><br>
            <input id="token" name="token" type="password" autocomplete="current-password" required spellcheck="false"></p>
            <p><button type="submit">Sign in</button></p>
            </form>
            <p class="hint">Any API token works; the dashboard then has that token's scope (read, triage or admin).
            Create one on the server with <code>hearken token create --name NAME --scope triage</code>.</p>
            </div>
            """
        return DashboardPage.render(status, title: "Sign in", current: nil, session: nil, body: body, headers: headers)
    }

    static func landing() -> Response {
        DashboardPage.render(title: "Feedback on your docs", current: nil, session: nil, body: """
            <h1>Hearken</h1>
            <p>This server collects “Was this page helpful?” votes, reasons and comments from documentation pages,
            and shows the team which pages fail readers, since when, and what readers wrote.</p>
            <p><a href="/login">Sign in</a> with an API token to see the dashboard.</p>
            <p>Docs authors: <a href="/embed">the widget and vote-link snippets</a> for your pages.</p>
            """)
    }
}
