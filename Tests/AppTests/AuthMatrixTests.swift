import Foundation
import Testing
import TestSupport
@testable import Feedback

@Suite struct AuthMatrixTests {
    /// Every team endpoint with the scope it needs.
    static let endpoints: [(method: String, path: String, body: String?, scope: Scope)] = [
        ("GET", "/v1/feedback", nil, .read),
        ("GET", "/v1/feedback/999", nil, .read),
        ("PATCH", "/v1/feedback/999", #"{"status":"triaged"}"#, .triage),
        ("DELETE", "/v1/feedback/999", nil, .admin),
        ("GET", "/v1/stats/summary", nil, .read),
        ("GET", "/v1/stats/pages", nil, .read),
        ("GET", "/v1/stats/timeseries", nil, .read),
        ("GET", "/v1/stats/reasons", nil, .read),
        ("GET", "/v1/stats/sources", nil, .read),
        ("GET", "/v1/insights", nil, .read),
        ("GET", "/v1/tokens", nil, .admin),
        ("POST", "/v1/tokens", #"{"name":"matrix-made","scope":"read"}"#, .admin),
        ("DELETE", "/v1/tokens/nobody", nil, .admin),
    ]

    @Test(arguments: Backend.allCases) func everyEndpointAgainstEveryCredential(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        var tokens: [Scope: String] = [:]
        for scope in Scope.allCases { tokens[scope] = try live.token(scope) }
        for endpoint in Self.endpoints {
            let none = try live.send(endpoint.method, endpoint.path, token: nil, body: endpoint.body)
            #expect(none.status == 401, "\(endpoint.method) \(endpoint.path) without a token")
            #expect(none.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
            let wrong = try live.send(endpoint.method, endpoint.path, token: "hk_not-a-real-token", body: endpoint.body)
            #expect(wrong.status == 401, "\(endpoint.method) \(endpoint.path) with a wrong token")
            #expect(wrong.header("WWW-Authenticate")?.contains("invalid_token") == true)
            for scope in Scope.allCases {
                let response = try live.send(endpoint.method, endpoint.path, token: tokens[scope], body: endpoint.body)
                if scope >= endpoint.scope {
                    #expect(response.status != 401 && response.status != 403, "\(endpoint.method) \(endpoint.path) with \(scope): \(response)")
                    #expect(response.status < 500)
                } else {
                    #expect(response.status == 403, "\(endpoint.method) \(endpoint.path) with \(scope)")
                }
            }
        }
    }

    @Test(arguments: Backend.allCases) func publicEndpointsNeedNoToken(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        #expect(try live.get("/healthz", token: nil).status == 200)
        #expect(try live.get("/readyz", token: nil).status == 200)
        #expect(try live.post(#"{"page":"/a","rating":"up"}"#).status == 201)
    }

    @Test(arguments: Backend.allCases) func tokensAreStoredHashedAndRevocationIsImmediate(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let admin = try live.token(.admin)
        let created = try live.send("POST", "/v1/tokens", token: admin, body: #"{"name":"ci-reader","scope":"read"}"#)
        #expect(created.status == 201)
        let secret = created.json?["token"] as? String ?? ""
        #expect(secret.hasPrefix("hk_") && secret.count > 40)
        #expect(try live.get("/v1/stats/summary", token: secret).status == 200)
        let duplicate = try live.send("POST", "/v1/tokens", token: admin, body: #"{"name":"ci-reader","scope":"read"}"#)
        #expect(duplicate.status == 409)
        let stored = try live.database.query("SELECT token_hash FROM api_tokens") { $0.string(0) }
        #expect(!stored.contains(secret))
        #expect(stored.allSatisfy { $0.count == 64 })
        let listed = try live.get("/v1/tokens", token: admin)
        #expect(listed.items.contains { $0["name"] as? String == "ci-reader" && $0["scope"] as? String == "read" })
        #expect(!listed.text.contains(secret))
        #expect(try live.send("DELETE", "/v1/tokens/ci-reader", token: admin).status == 204)
        #expect(try live.get("/v1/stats/summary", token: secret).status == 401)
    }

    @Test(arguments: Backend.allCases) func lastUsedIsRecorded(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let reader = try live.token(.read, name: "used")
        #expect(try live.get("/v1/feedback", token: reader).status == 200)
        // Recorded off the request path, so it lands a little later.
        func lastUsed() throws -> Int64? {
            try live.database.first("SELECT last_used_at FROM api_tokens WHERE name = 'used'") { $0.isNull(0) ? nil : $0.int64(0) } ?? nil
        }
        _ = try waitUntil { try lastUsed() != nil }
        #expect(try lastUsed() != nil)
    }
}
