import Foundation
import Synchronization
import Testing
import TestSupport
@testable import App
@testable import Feedback
@testable import HTTP

@Suite struct AbuseTests {
    func body(_ page: String = "https://docs.example.com/a", rating: String = "up", extra: String = "") -> String {
        #"{"page":"\#(page)","rating":"\#(rating)"\#(extra)}"#
    }

    func drops(_ live: LiveApp) throws -> [String: Int] {
        live.app.store.maintain()
        let rows = try live.app.store.read { try $0.drops(sinceDay: 0) }
        return Dictionary(rows.map { ($0.reason, $0.count) }, uniquingKeysWith: +)
    }

    @Test(arguments: Backend.allCases) func rateLimitAnswers429WithRetryAfterAndStoresNothingMore(_ backend: Backend) throws {
        // 1 a minute (burst 5): no token comes back within a minute, however slowly the posts below go.
        let live = try LiveApp(backend) { $0.publicSide.rateLimitPerMinute = 1 }
        var statuses: [Int] = []
        for i in 0..<8 { statuses.append(try live.post(body("https://docs.example.com/p\(i)")).status) }
        #expect(statuses.prefix(5).allSatisfy { $0 == 201 })
        #expect(statuses.suffix(3).allSatisfy { $0 == 429 })
        let limited = try live.post(body("https://docs.example.com/late"))
        #expect(limited.status == 429)
        #expect(errorField(limited).code == "rate_limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try live.count() == 5)
        // Vote links share the budget and get an HTML page.
        let vote = try live.get("/v1/vote?page=%2Fx&rating=up")
        #expect(vote.status == 429)
        #expect(vote.header("Retry-After") != nil)
        #expect(try drops(live)["rate_limit"] == 5)
    }

    @Test func rateLimitZeroTurnsItOff() throws {
        let live = try LiveApp { $0.publicSide.rateLimitPerMinute = 0 }
        for i in 0..<40 { #expect(try live.post(body("https://docs.example.com/p\(i)")).status == 201) }
    }

    @Test func tokenBucketRefillsOverTimeAndKeepsClientsApart() {
        let limiter = RateLimiter(perMinute: 60, burst: 2)
        #expect(limiter.take("a", now: 0) == nil)
        #expect(limiter.take("a", now: 0) == nil)
        #expect(limiter.take("a", now: 0) == 1)
        #expect(limiter.take("b", now: 0) == nil, "another client has its own bucket")
        #expect(limiter.take("a", now: 1000) == nil, "one token back after a second at 60/min")
        #expect(limiter.take("a", now: 1000) != nil)
    }

    @Test(arguments: Backend.allCases) func trustedProxyForwardedForNamesTheClientOthersCannotSpoofIt(_ backend: Backend) throws {
        waitUntilFarFromUTCMidnight() // two clients, two hashes: on one day
        let live = try LiveApp(backend) {
            $0.publicSide.rateLimitPerMinute = 1 // burst 5, and no refill within a minute
            $0.publicSide.trustedProxies = [CIDR("127.0.0.0/8")].compactMap { $0 }
        }
        // Behind the trusted proxy, each forwarded client has its own budget.
        for client in ["198.51.100.1", "198.51.100.2"] {
            for i in 0..<5 {
                #expect(try live.post(body("https://docs.example.com/\(client)/\(i)"), headers: [("X-Forwarded-For", client)]).status == 201)
            }
            #expect(try live.post(body("https://docs.example.com/\(client)/x"), headers: [("X-Forwarded-For", client)]).status == 429)
        }
        // A client-supplied address before the proxy's own entry is not believed: the last untrusted hop counts.
        let spoof = try live.post(body("https://docs.example.com/s"), headers: [("X-Forwarded-For", "203.0.113.9, 198.51.100.1")])
        #expect(spoof.status == 429)
        // The client hash comes from the forwarded address, never the proxy's.
        let hashes = try live.database.query("SELECT DISTINCT client_hash FROM feedback") { $0.string(0) }
        #expect(hashes.count == 2)
    }

    @Test func forwardedForFromAnUntrustedPeerIsIgnored() throws {
        let live = try LiveApp { $0.publicSide.rateLimitPerMinute = 1 }
        for i in 0..<5 { #expect(try live.post(body("https://docs.example.com/\(i)"), headers: [("X-Forwarded-For", "198.51.100.\(i)")]).status == 201) }
        #expect(try live.post(body("https://docs.example.com/z"), headers: [("X-Forwarded-For", "198.51.100.77")]).status == 429)
    }

    @Test func resolverWalksForwardedForRightToLeft() {
        let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.0/8", "fd00::/8"].compactMap(CIDR.init))
        func resolve(_ peer: String, _ forwarded: [String]) -> String? {
            let request = Request(method: "GET", target: "/", headers: HTTPHeaders(forwarded.map { ("X-Forwarded-For", $0) }), remoteAddress: peer)
            return resolver.resolve(request)?.description
        }
        #expect(resolve("10.1.2.3", ["198.51.100.4"]) == "198.51.100.4")
        #expect(resolve("10.1.2.3", ["6.6.6.6, 198.51.100.4, 10.9.9.9"]) == "198.51.100.4")
        #expect(resolve("10.1.2.3", ["6.6.6.6", "198.51.100.4"]) == "198.51.100.4", "several header lines are one list")
        #expect(resolve("192.0.2.1", ["198.51.100.4"]) == "192.0.2.1")
        #expect(resolve("10.1.2.3", ["garbage"]) == "10.1.2.3")
        #expect(resolve("::ffff:10.1.2.3", ["198.51.100.4"]) == "198.51.100.4", "IPv4-mapped peers match IPv4 networks")
        #expect(CIDR("10.0.0.0/33") == nil && CIDR("nonsense") == nil && CIDR("10.0.0.0/x") == nil)
        #expect(IPAddress("2001:db8:1:2:3:4:5:6")?.clientKey == IPAddress("2001:db8:1:2:ffff::1")?.clientKey, "IPv6 clients count per /64")
    }

    @Test(arguments: Backend.allCases) func honeypotIsAnsweredAsAcceptedButNothingIsStored(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let json = try live.post(body(extra: #","website":"http://spam.example""#))
        #expect(json.status == 201)
        #expect(json.json?["id"] != nil && json.json?["followup_token"] != nil)
        let form = try live.post("page=%2Fa&rating=up&website=buy+now", contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 201)
        #expect(try live.count() == 0)
        let emptyTrap = try live.post(body(extra: #","website":"""#))
        #expect(emptyTrap.status == 201)
        #expect(try live.count() == 1, "an empty honeypot is a person")
        #expect(try drops(live)["honeypot"] == 2)
    }

    @Test(arguments: Backend.allCases) func sameClientSameVoteSamePageCountsOnceAndTheLaterCommentAttaches(_ backend: Backend) throws {
        waitUntilFarFromUTCMidnight() // a repeat is found by the client hash, which changes at midnight
        let live = try LiveApp(backend) { $0.storage.duplicateWindowSeconds = 600 }
        let first = try live.post(body(rating: "down"), headers: [browser])
        #expect(first.status == 201)
        let again = try live.post(body(rating: "down", extra: #","reason":"outdated","comment":"the example uses v1""#), headers: [browser])
        #expect(again.status == 200)
        #expect(again.json?["duplicate"] as? Bool == true)
        #expect(again.json?["id"] as? Int == first.json?["id"] as? Int)
        #expect(try live.count() == 1)
        let row = try live.database.first("SELECT reason, comment FROM feedback") { ($0.string(0), $0.string(1)) }
        #expect(row?.0 == "outdated" && row?.1 == "the example uses v1")
        #expect(try live.count("SELECT sum(down) FROM rollup_page_total") == 1)
        #expect(try live.count("SELECT sum(comments) FROM rollup_page_total") == 1)
        // Another rating, page or client is a new vote.
        #expect(try live.post(body(rating: "up"), headers: [browser]).status == 201)
        #expect(try live.post(body("https://docs.example.com/b", rating: "down"), headers: [browser]).status == 201)
        #expect(try live.post(body(rating: "down"), headers: [("User-Agent", "another browser")]).status == 201)
        #expect(try live.count() == 4)
        #expect(try drops(live)["duplicate"] == 1)
    }

    @Test func duplicateWindowSurvivesARestart() throws {
        waitUntilFarFromUTCMidnight() // a repeat is found by the client hash, which changes at midnight
        let dir = TemporaryDirectory()
        var options = StorageOptions(path: dir.file("h.db"))
        options.duplicateWindowSeconds = 600
        func submit(_ store: FeedbackStore) throws -> StoredFeedback {
            let feedback = try FeedbackValidator().validate(FeedbackInput(fields: ["page": .text("/a"), "rating": .text("up")], userAgent: "UA", clientAddress: "192.0.2.1"))
            let done = DispatchSemaphore(value: 0)
            let outcome = Mutex<Result<StoredFeedback, WriteFailure>?>(nil)
            store.writer.submit(feedback) { result in
                outcome.withLock { $0 = result }
                done.signal()
            }
            done.wait()
            return try #require(try outcome.withLock { $0 }?.get())
        }
        let store = try FeedbackStore(options: options)
        let first = try submit(store)
        store.close()
        let reopened = try FeedbackStore(options: options)
        defer { reopened.close() }
        let second = try submit(reopened)
        #expect(second.duplicate && second.id == first.id)
    }

    @Test(arguments: Backend.allCases) func idempotencyKeyReplaysTheFirstAnswerAndStoresNothingNew(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let key = ("Idempotency-Key", "2b0c5e8e-1c1e-4f2a-9d0e-5a3f0f1d7a11")
        let first = try live.post(body(extra: #","comment":"first""#), headers: [key])
        #expect(first.status == 201)
        let retry = try live.post(body(extra: #","comment":"first""#), headers: [key])
        #expect(retry.status == 201)
        #expect(retry.header("Idempotent-Replayed") == "true")
        #expect(retry.json?["id"] as? Int == first.json?["id"] as? Int)
        #expect(retry.json?["followup_token"] as? String == first.json?["followup_token"] as? String)
        #expect(try live.count() == 1)
        #expect(try live.post(body(), headers: [("Idempotency-Key", "another")]).status == 201)
        #expect(try live.count() == 2)
        let bad = try live.post(body(), headers: [("Idempotency-Key", "has space")])
        #expect(bad.status == 400)
        #expect(errorField(bad).field == "Idempotency-Key")
        // Keys are stored hashed.
        #expect(try live.count("SELECT count(*) FROM idempotency_keys WHERE length(key_hash) = 32") == 2)
    }

    @Test(arguments: Backend.allCases) func concurrentRetriesWithOneKeyStoreOneRow(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let group = DispatchGroup()
        // Every answer is kept, failures included: each must be the one 201 or a replay of it.
        let answers = Mutex<[String]>([])
        let ids = Mutex<Set<Int>>([])
        let port = live.port, body = self.body()
        for _ in 0..<20 {
            group.enter()
            DispatchQueue.global().async {
                defer { group.leave() }
                do {
                    let response = try RawClient.request(port: port, "POST", "/v1/feedback", body: body, headers: [("Idempotency-Key", "same-key")])
                    answers.withLock { $0.append("\(response.status) replayed=\(response.header("Idempotent-Replayed") ?? "no")") }
                    if let id = response.json?["id"] as? Int { ids.withLock { _ = $0.insert(id) } }
                } catch {
                    answers.withLock { $0.append("\(error)") }
                }
            }
        }
        group.wait()
        let seen = answers.withLock { $0 }.sorted()
        #expect(seen == ["201 replayed=no"] + Array(repeating: "201 replayed=true", count: 19), "\(seen)")
        #expect(ids.withLock { $0.count } == 1)
        #expect(try live.count() == 1)
    }

    @Test func refusedOriginsAreCounted() throws {
        let live = try LiveApp { $0.allowedOrigins = ["https://docs.example.com"] }
        #expect(try live.post(body(), headers: [("Origin", "https://evil.example")]).status == 403)
        #expect(try live.count() == 0)
        #expect(try drops(live)["origin"] == 1)
    }

    @Test(arguments: Backend.allCases) func dropsEndpointReportsEveryReason(_ backend: Backend) throws {
        let live = try LiveApp(backend) { $0.publicSide.rateLimitPerMinute = 1; $0.allowedOrigins = ["https://docs.example.com"] }
        _ = try live.post(body(extra: #","website":"x""#))
        _ = try live.post(body(), headers: [("Origin", "https://evil.example")])
        for _ in 0..<6 { _ = try live.post(body("https://docs.example.com/\(UUID())")) }
        let token = try live.token(.read)
        live.app.store.maintain()
        let report = try live.get("/v1/stats/drops", token: token)
        #expect(report.status == 200)
        let totals = report.json?["totals"] as? [String: Int]
        #expect(totals?["honeypot"] == 1)
        #expect(totals?["origin"] == 1)
        #expect(totals?["rate_limit"] == 2, "the honeypot post used a token too; the refused origin did not")
        #expect(totals?["duplicate"] == 0 && totals?["crawler"] == 0)
        let csv = try live.get("/v1/stats/drops?format=csv", token: token)
        #expect(csv.text.hasPrefix("day,reason,count"))
    }
}
