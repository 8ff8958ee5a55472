import Foundation
import Testing
import TestSupport
@testable import App

/// What App installs into the HTTP server: the access log, the API's error shape, the CORS headers,
/// and the server-wide `Allow` derived from its routes.
@Suite struct ServerHooksTests {
    @Test func accessLogHasOneLinePerRequestWithPathButNeverTheQuery() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db"), "--log-level", "info"])
        defer {
            server.signal(SIGTERM)
            _ = server.waitForExit()
        }
        #expect(try RawClient.request(port: server.port, "GET", "/healthz").status == 200)
        let missing = try RawClient.request(port: server.port, "GET", "/nowhere?email=reader%40example.com",
                                            headers: [("X-Request-Id", "hooks-test-1")])
        #expect(missing.status == 404)
        let deadline = Date().addingTimeInterval(30)
        while !server.log.contains("GET /nowhere 404") && Date() < deadline { usleep(20_000) }
        let log = server.log
        #expect(log.contains("GET /healthz 200"))
        #expect(log.contains("GET /nowhere 404"))
        #expect(log.contains("hooks-test-1"))
        #expect(!log.contains("example.com"), "the query never reaches the log")
    }

    @Test func preflightAllowsTheIdempotencyKeyHeader() throws {
        let live = try LiveApp()
        let preflight = try RawClient.request(port: live.port, "OPTIONS", "/v1/feedback", headers: [
            ("Origin", "https://somewhere.example"), ("Access-Control-Request-Method", "POST"),
        ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Headers") == "Content-Type, Idempotency-Key")
    }

    @Test func optionsAsteriskListsTheMethodsOfTheAppsRoutes() throws {
        let live = try LiveApp()
        let response = try RawClient.request(port: live.port, "OPTIONS", "*")
        #expect(response.status == 204)
        let allowed = Set((response.header("Allow") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let routed = Set(live.app.routes.map(\.method))
        #expect(allowed == routed.union(["HEAD", "OPTIONS"]))
    }

    @Test func serverDetectedErrorsUseTheAPIErrorShape() throws {
        let live = try LiveApp()
        let client = try RawClient(port: live.port)
        try client.send("GET / HTTP/3.0\r\nHost: a\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 505)
        #expect(errorField(response).code == "http_version_not_supported")
        #expect(response.text.contains(#""field":null"#))
    }
}
