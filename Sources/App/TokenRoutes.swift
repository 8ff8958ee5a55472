import Feedback
import Foundation
import HTTP

/// Token management for admin tokens: list, create (the secret is shown once), revoke.
struct TokenRoutes {
    let access: TeamAccess

    func register(in router: inout Router) {
        router.get("/v1/tokens", access.read(.admin) { request, _, db in
            _ = try QueryParameters(request, allowed: ["format"])
            let table = ResultTable(columns: ["name", "scope", "created_at", "last_used_at"], rows: try db.tokens().map {
                [.text($0.name), .text($0.scope.rawValue), .time($0.createdAt), .time($0.lastUsedAt)]
            })
            return try OutputFormat.choose(request).render(table)
        })
        router.add("POST", "/v1/tokens", bodyLimit: 4096, access.write(.admin) { request, _, db in
            guard request.contentType == "application/json" else {
                throw APIError(.unsupportedMediaType, "unsupported_media_type", "POST /v1/tokens takes application/json")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
                throw APIError(.badRequest, "invalid_json", "request body must be a JSON object")
            }
            guard let name = object["name"] as? String, Tokens.isValidName(name) else {
                throw APIError(.badRequest, "invalid_field", "name \(TokenError.invalidName)", field: "name")
            }
            guard let scopeName = object["scope"] as? String, let scope = Scope(rawValue: scopeName) else {
                throw APIError(.badRequest, "invalid_field", "scope must be read, triage or admin", field: "scope")
            }
            do {
                let token = try db.createToken(name: name, scope: scope)
                let json = JSONBody.object([("name", JSONText.quoted(name)), ("scope", JSONText.quoted(scope.rawValue)), ("token", JSONText.quoted(token))])
                return JSONBody.response(.created, json, headers: [("Location", "/v1/tokens/\(name)"), ("Cache-Control", "no-store")])
            } catch TokenError.nameTaken {
                throw APIError(.conflict, "conflict", "a token named \(name) already exists", field: "name")
            }
        })
        router.add("DELETE", "/v1/tokens/:name", access.write(.admin) { request, _, db in
            let name = request.parameters["name"] ?? ""
            guard try db.revokeToken(name: name) else {
                throw APIError(.notFound, "not_found", "no token named \(name)", field: "name")
            }
            return Response(status: .noContent)
        })
    }
}
