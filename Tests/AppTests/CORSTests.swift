import Foundation
import Testing
import TestSupport
@testable import App

@Suite struct CORSTests {
    let body = #"{"page":"https://docs.example.com/a","rating":"up"}"#

    @Test func withoutAnAllowListAnyOriginMayPostButNeverWithCredentials() throws {
        let live = try LiveApp()
        let response = try live.post(body, headers: [("Origin", "https://somewhere.example")])
        #expect(response.status == 201)
        #expect(response.header("Access-Control-Allow-Origin") == "*")
        #expect(response.header("Access-Control-Allow-Credentials") == nil)
        let preflight = try RawClient.request(port: live.port, "OPTIONS", "/v1/feedback", headers: [
            ("Origin", "https://somewhere.example"), ("Access-Control-Request-Method", "POST"), ("Access-Control-Request-Headers", "content-type"),
        ])
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "*")
        #expect(preflight.header("Access-Control-Allow-Methods") == "POST")
        #expect(preflight.header("Access-Control-Allow-Headers")?.contains("Content-Type") == true)
        #expect(preflight.header("Access-Control-Allow-Credentials") == nil)
    }

    @Test func allowListAdmitsListedOriginsAndRefusesOthers() throws {
        let live = try LiveApp { $0.allowedOrigins = ["https://docs.example.com", "http://localhost:3000/"] }
        let allowed = try live.post(body, headers: [("Origin", "https://Docs.Example.com")])
        #expect(allowed.status == 201)
        #expect(allowed.header("Access-Control-Allow-Origin") == "https://Docs.Example.com")
        #expect(allowed.header("Vary") == "Origin")
        #expect(try live.post(body, headers: [("Origin", "http://localhost:3000")]).status == 201)

        let refused = try live.post(body, headers: [("Origin", "https://evil.example")])
        #expect(refused.status == 403)
        #expect(errorField(refused).code == "origin_not_allowed")
        #expect(refused.header("Access-Control-Allow-Origin") == nil)
        #expect(try live.count() == 2)

        let badPreflight = try RawClient.request(port: live.port, "OPTIONS", "/v1/feedback", headers: [
            ("Origin", "https://evil.example"), ("Access-Control-Request-Method", "POST"),
        ])
        #expect(badPreflight.status == 403)
        let wrongMethod = try RawClient.request(port: live.port, "OPTIONS", "/v1/feedback", headers: [
            ("Origin", "https://docs.example.com"), ("Access-Control-Request-Method", "DELETE"),
        ])
        #expect(wrongMethod.status == 403)
        let good = try RawClient.request(port: live.port, "OPTIONS", "/v1/feedback", headers: [
            ("Origin", "https://docs.example.com"), ("Access-Control-Request-Method", "POST"),
        ])
        #expect(good.status == 204)
        #expect(good.header("Access-Control-Allow-Origin") == "https://docs.example.com")
    }

    @Test func requestsWithoutOriginAreNotCrossOrigin() throws {
        let live = try LiveApp { $0.allowedOrigins = ["https://docs.example.com"] }
        let response = try live.post(body)
        #expect(response.status == 201)
        #expect(response.header("Access-Control-Allow-Origin") == nil)
    }

    @Test func invalidOriginSettingStopsStartup() throws {
        let dir = TemporaryDirectory()
        let run = try ServerProcess(["serve", "--db", dir.file("h.db"), "--allowed-origin", "docs.example.com/path"], waitForPort: false)
        #expect(run.waitForExit() != 0)
        #expect(run.log.contains("--allowed-origin"))
        let env = try ServerProcess(["serve", "--print-config"], environment: ["HEARKEN_ALLOWED_ORIGINS": "https://a.example, https://b.example:8443"], waitForPort: false)
        #expect(env.waitForExit() == 0)
        #expect(env.log.contains("https://a.example,https://b.example:8443"))
    }
}
