import Crypto
import Foundation
import Testing
import TestSupport
import HTTP
@testable import App
@testable import Feedback

/// Sign-in, sessions and their ends, over real sockets.
@Suite struct DashboardSessionTests {
    @Test func signInSetsAHashedSessionAndPagesNeedIt() throws {
        let live = try LiveApp()
        let token = try live.token(.read, name: "reader")
        let anonymous = Browser(live)
        let redirected = try anonymous.get("/dashboard/inbox?status=new")
        #expect(redirected.status == 303)
        #expect(redirected.header("Location") == "/login?next=/dashboard/inbox%3Fstatus%3Dnew")
        #expect(try anonymous.get("/").status == 200)
        #expect(try anonymous.get("/").text.contains("href=\"/login\""))

        let wrong = try anonymous.post("/login", ["token": "hk_not-a-token", "next": "/dashboard"])
        #expect(wrong.status == 401)
        #expect(wrong.header("Set-Cookie") == nil)
        #expect(wrong.text.contains("unknown or was revoked"))

        let signIn = try anonymous.post("/login", ["token": token, "next": "/dashboard/inbox?status=new"])
        #expect(signIn.status == 303)
        #expect(signIn.header("Location") == "/dashboard/inbox?status=new")
        let cookie = try #require(signIn.header("Set-Cookie"))
        #expect(cookie.hasPrefix("hearken_session="))
        #expect(cookie.hasSuffix("; Path=/; HttpOnly; SameSite=Strict"))
        let secret = String(cookie.dropFirst("hearken_session=".count).prefix { $0 != ";" })
        #expect(secret.count == 43)
        // Only the hash is stored.
        let stored = try live.app.store.readNow { try $0.query("SELECT id_hash FROM sessions") { $0.string(0) } }
        #expect(stored == [Tokens.hash(secret)])

        let browser = try Browser.signedIn(live, token: token)
        let page = try browser.get("/dashboard")
        #expect(page.status == 200)
        #expect(page.header("Content-Security-Policy") == DashboardPage.contentSecurityPolicy)
        #expect(page.header("X-Content-Type-Options") == "nosniff")
        #expect(page.header("Referrer-Policy") == "same-origin")
        #expect(page.header("Cache-Control") == "no-store")
        #expect(try browser.get("/").status == 303)
        // A read token sees no tokens page.
        #expect(try browser.get("/dashboard/tokens").status == 403)
    }

    @Test func cookiesNeverAuthenticateTheAPI() throws {
        let live = try LiveApp()
        let browser = try Browser.signedIn(live, token: try live.token(.admin))
        for path in ["/v1/stats/summary", "/v1/feedback", "/v1/tokens"] {
            #expect(try browser.get(path).status == 401, "\(path)")
        }
    }

    @Test func sessionsExpireWhenIdleOrOld() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        func age(_ column: String, by milliseconds: Int64) throws {
            try live.app.store.writeNow { try $0.run("UPDATE sessions SET \(column) = \(column) - ?", [milliseconds]) }
        }
        let idle = try Browser.signedIn(live, token: token)
        try age("last_seen_at", by: 11 * 3_600_000)
        #expect(try idle.get("/dashboard/pages").status == 200)   // 11 h idle: still valid, and now touched
        try age("last_seen_at", by: 12 * 3_600_000 + 1000)
        #expect(try idle.get("/dashboard/pages").status == 303)

        try live.app.store.writeNow { try $0.run("DELETE FROM sessions") }
        let old = try Browser.signedIn(live, token: token)
        try age("created_at", by: 7 * 86_400_000 - 60_000)
        #expect(try old.get("/dashboard/pages").status == 200)
        try age("created_at", by: 120_000)
        #expect(try old.get("/dashboard/pages").status == 303)
    }

    @Test func shortLifetimesFromConfigurationEndSessions() throws {
        let live = try LiveApp { $0.sessions.absoluteMilliseconds = 1500 }
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        #expect(try browser.get("/dashboard/pages").status == 200)
        let deadline = Date().addingTimeInterval(30)
        var status = 200
        while status == 200 && Date() < deadline {
            status = try browser.get("/dashboard/pages").status
            if status == 200 { Thread.sleep(forTimeInterval: 0.2) }
        }
        #expect(status == 303)
    }

    @Test func revokingTheTokenEndsItsSessionsAtOnce() throws {
        let live = try LiveApp()
        let admin = try live.token(.admin, name: "admin")
        let browser = try Browser.signedIn(live, token: try live.token(.triage, name: "alice"))
        #expect(try browser.get("/dashboard/inbox").status == 200)
        #expect(try live.send("DELETE", "/v1/tokens/alice", token: admin).status == 204)
        #expect(try browser.get("/dashboard/inbox").status == 303)
        #expect(try live.count("SELECT count(*) FROM sessions") == 0)
        // Through the dashboard's own form as well.
        let adminBrowser = try Browser.signedIn(live, token: admin)
        let csrf = try adminBrowser.csrf(from: "/dashboard/tokens")
        #expect(try adminBrowser.post("/dashboard/tokens/revoke", ["csrf": csrf, "name": "admin"]).status == 303)
        #expect(try adminBrowser.get("/dashboard").status == 303)
    }

    @Test func signOutEndsTheSessionOnTheServer() throws {
        let live = try LiveApp()
        let browser = try Browser.signedIn(live, token: try live.token(.read))
        let csrf = try browser.csrf(from: "/dashboard")
        #expect(try browser.post("/logout", ["csrf": (csrf.hasPrefix("0") ? "1" : "0") + csrf.dropFirst()]).status == 403)
        let out = try browser.post("/logout", ["csrf": csrf])
        #expect(out.status == 303)
        #expect(out.header("Location") == "/login")
        #expect(out.header("Set-Cookie")?.contains("Max-Age=0") == true)
        #expect(try live.count("SELECT count(*) FROM sessions") == 0)
        #expect(try browser.get("/dashboard").status == 303)
    }

    @Test func nextIsADashboardPathOnly() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        let hostile = ["https://evil.example/", "//evil.example/dashboard", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
                       "/dashboard\r\nSet-Cookie: x=1", "http://localhost/dashboard", "/login", "/v1/tokens", "/dashboardx", " /dashboard",
                       "/dashboard/../v1/tokens@evil", "/dashboard/\u{FF0F}evil"]
        for next in hostile {
            let answer = try Browser(live).post("/login", ["token": token, "next": next])
            #expect(answer.status == 303)
            let location = answer.header("Location")
            #expect(location == "/dashboard" || (next.hasPrefix("/dashboard/") && location == next && !next.contains("\r")), "\(next) -> \(location ?? "nil")")
        }
        #expect(DashboardAccess.safeNext("/dashboard/../v1/tokens@evil") == "/dashboard/../v1/tokens@evil") // a path on this server, never another host
        #expect(DashboardAccess.safeNext("/dashboard/\u{FF0F}evil") == "/dashboard")
        let login = try Browser(live).get("/login?next=https%3A%2F%2Fevil.example")
        #expect(login.text.contains("name=\"next\" value=\"/dashboard\""))
    }

    @Test func signInIsRateLimitedAndSecureBehindATrustedHTTPSProxy() throws {
        let proxy = try #require(CIDR("127.0.0.1/32"))
        let live = try LiveApp {
            $0.publicSide.rateLimitPerMinute = 6
            $0.publicSide.trustedProxies = [proxy]
        }
        let token = try live.token(.read)
        let proxied: [(String, String)] = [("Origin", "http://localhost"), ("X-Forwarded-Proto", "https"), ("X-Forwarded-For", "203.0.113.7")]
        let secure = try Browser(live).post("/login", ["token": token], headers: proxied)
        #expect(secure.header("Set-Cookie")?.hasSuffix("; Secure") == true)
        var statuses: [Int] = []
        for _ in 0..<8 { statuses.append(try Browser(live).post("/login", ["token": "hk_wrong"]).status) }
        #expect(statuses.contains(401))
        #expect(statuses.last == 429)
        let limited = try Browser(live).post("/login", ["token": token])
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") != nil)
        // Another client (through the trusted proxy) is not limited by the first.
        #expect(try Browser(live).post("/login", ["token": token], headers: [("X-Forwarded-For", "198.51.100.9")]).status == 303)
    }

    @Test func plainHTTPSignInIsNotSecureEvenIfTheClientClaimsHTTPS() throws {
        let live = try LiveApp()
        let answer = try Browser(live).post("/login", ["token": try live.token(.read)], headers: [("X-Forwarded-Proto", "https")])
        #expect(answer.status == 303)
        #expect(answer.header("Set-Cookie")?.contains("Secure") == false)
    }
}
