import App
import Dispatch
import Feedback
import Foundation
import Synchronization
import Testing
import TestSupport

/// PostgreSQL going away under a running instance: readiness says so, submissions get 503 in
/// bounded time, the instance reconnects by itself, and every acknowledged vote is stored.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresOutageTests {
    @Test(.timeLimit(.minutes(5))) func instanceRecoversFromAServerRestartWithoutLosingAcknowledgedVotes() throws {
        let server = try PostgresServer()
        // With a password (the test server trusts the socket and ignores it): never shown in answers.
        let password = "Outage-Secret-Pw"
        let url = server.url(database: try server.createDatabase()).replacingOccurrences(of: "postgres@", with: "postgres:\(password)@")
        let live = try PostgresApp(url)
        let token = try live.token(.read)
        func ready() -> Int { (try? RawClient.request(port: live.port, "GET", "/readyz").status) ?? 0 }
        #expect(ready() == 200)

        // Steady submissions through the outage; what got 201 must all be there at the end.
        let port = live.port
        let acknowledged = Mutex<[Int]>([])
        let refused = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let load = DispatchGroup()
        DispatchQueue.global().async(group: load) {
            var n = 0
            while !stop.load(ordering: .relaxed) {
                n += 1
                guard let response = try? RawClient.request(port: port, "POST", "/v1/feedback", body: #"{"page":"/outage/\#(n)","rating":"up"}"#)
                else { continue }
                if response.status == 201, let id = response.json?["id"] as? Int {
                    acknowledged.withLock { $0.append(id) }
                } else if response.status == 503 {
                    refused.add(1, ordering: .relaxed)
                }
            }
        }
        #expect(waitUntil { acknowledged.withLock { $0.count } >= 20 })
        let browser = try Browser.signedIn(live.live, token: token)

        try server.stop()
        #expect(waitUntil { ready() == 503 })
        // Team endpoints, dashboard pages and the sign-in form say "retry later" too, not 500.
        let listing = try live.get("/v1/feedback", token: token)
        #expect(listing.status == 503 && errorField(listing).code == "storage_unavailable" && listing.header("Retry-After") != nil)
        let page = try browser.get("/dashboard")
        #expect(page.status == 503 && page.header("Retry-After") != nil && page.text.contains("Try again"))
        #expect(!page.text.contains(password))
        let signIn = try Browser(live.live).post("/login", ["token": token, "next": "/dashboard"])
        #expect(signIn.status == 503 && signIn.header("Retry-After") != nil && signIn.header("Set-Cookie") == nil)
        let reason = try RawClient.request(port: live.port, "GET", "/readyz")
        #expect(reason.text.contains("PostgreSQL"))
        #expect(!reason.text.contains(password))
        let started = Date()
        let down = try RawClient.request(port: live.port, "POST", "/v1/feedback", body: #"{"page":"/outage/down","rating":"down"}"#)
        #expect(down.status == 503)
        #expect(errorField(down).code == "storage_unavailable")
        #expect(down.header("Retry-After") != nil)
        #expect(!down.text.contains(password))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(waitUntil { refused.load(ordering: .relaxed) > 0 })

        try server.start()
        #expect(waitUntil(timeout: 60) { ready() == 200 })
        let before = acknowledged.withLock { $0.count }
        #expect(waitUntil(timeout: 60) { acknowledged.withLock { $0.count } >= before + 20 })
        stop.store(true, ordering: .relaxed)
        load.wait()

        let ids = acknowledged.withLock { $0 }
        #expect(Set(ids).count == ids.count)
        // At least: a batch whose COMMIT answer the dying server never sent got 503 yet may be stored.
        #expect(try live.votes(token: token) >= ids.count)
        for id in ids {
            #expect(try live.get("/v1/feedback/\(id)", token: token).status == 200, "acknowledged \(id) is missing")
        }

        // Restarted while idle: the writer's link is dead but nothing used it since. The next
        // submission notices before sending anything and reconnects: 201 at the first try.
        try server.stop()
        try server.start()
        #expect(try live.post(#"{"page":"/outage/after-idle-restart","rating":"up"}"#).status == 201)
    }
}
