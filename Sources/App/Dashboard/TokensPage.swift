import Feedback
import HTTP

/// `/dashboard/tokens` (admins): the tokens with their scope and last use, a form that creates one
/// (its secret shown once, on the answer to that form) and a revoke button per token.
enum TokensPage {
    static func render(_ session: DashboardSession, _ db: FeedbackReader, created: (name: String, secret: String)? = nil, error: String? = nil) throws -> String {
        var html = "<h1>Tokens</h1>\n"
        if let created {
            html += "<div class=\"notice\" role=\"status\"><p>Token <strong>\(h(created.name))</strong> created. Copy it now; it is not shown again:</p>"
            html += "<p class=\"secret\">\(h(created.secret))</p></div>"
        }
        if let error { html += "<p class=\"error\" role=\"alert\">\(h(error))</p>" }
        html += "<table><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Scope</th><th scope=\"col\">Created</th><th scope=\"col\">Last used</th><th scope=\"col\"><span class=\"visually-hidden\">Revoke</span></th></tr></thead><tbody>"
        for token in try db.tokens() {
            html += "<tr><td>\(h(token.name))</td><td>\(token.scope.rawValue)</td><td>\(h(Timestamp.day(milliseconds: token.createdAt)))</td>"
            html += "<td>\(token.lastUsedAt.map { h(Timestamp.rfc3339(milliseconds: $0)) } ?? "never")</td><td>"
            html += "<form class=\"inline\" method=\"post\" action=\"/dashboard/tokens/revoke\">\(DashboardPage.csrfField(session))"
            html += "<input type=\"hidden\" name=\"name\" value=\"\(h(token.name))\"><button type=\"submit\" aria-label=\"Revoke \(h(token.name))\">Revoke</button></form></td></tr>"
        }
        html += "</tbody></table>\n<h2>Create a token</h2>\n"
        html += "<form class=\"filters\" method=\"post\" action=\"/dashboard/tokens\">\(DashboardPage.csrfField(session))"
        html += "<label for=\"token-name\">Name<input id=\"token-name\" type=\"text\" name=\"name\" required maxlength=\"64\" pattern=\"[A-Za-z0-9._\\-]+\"></label>"
        html += "<label for=\"token-scope\">Scope<select id=\"token-scope\" name=\"scope\">"
        html += Scope.allCases.map { "<option value=\"\($0.rawValue)\">\($0.rawValue)</option>" }.joined() + "</select></label>"
        html += "<button type=\"submit\">Create</button></form>"
        html += "<p class=\"hint\">Revoking a token ends its dashboard sessions at once, yours included if you signed in with it.</p>"
        return html
    }

    static func create(_ fields: [String: [String]], _ session: DashboardSession, _ db: FeedbackEditor) throws -> Response {
        let name = fields["name"]?.first ?? ""
        guard let scope = fields["scope"]?.first.flatMap(Scope.init(rawValue:)) else {
            return page(.badRequest, try render(session, db.reader, error: "Choose a scope: read, triage or admin."), session)
        }
        do {
            let secret = try db.createToken(name: name, scope: scope)
            return page(.ok, try render(session, db.reader, created: (name, secret)), session)
        } catch let error as TokenError {
            return page(error == .invalidName ? .badRequest : .conflict, try render(session, db.reader, error: error.description), session)
        }
    }

    static func revoke(_ fields: [String: [String]], _ db: FeedbackEditor) throws -> Response {
        _ = try db.revokeToken(name: fields["name"]?.first ?? "")
        return DashboardPage.see("/dashboard/tokens")
    }

    private static func page(_ status: HTTPStatus, _ body: String, _ session: DashboardSession) -> Response {
        DashboardPage.render(status, title: "Tokens", current: .tokens, session: session, body: body)
    }
}
