import Foundation
import Testing
import TestSupport
@testable import App
@testable import HTTP

/// The rate limit's documented edges: follow-ups spend the same budget, the default burst is
/// 60/6 = 10, and IPv6 clients count per /64.
@Suite struct RateLimitTests {
    /// A honeypot submission: screened by the rate limit like any other, but never written, so the
    /// requests stay fast and the bucket does not refill while a slow machine commits.
    private static let decoy = #"{"page":"/guide/rate","rating":"up","website":"https://spam.example"}"#

    @Test func followupsSpendThePublicWriteBudget() throws {
        let live = try LiveApp { $0.publicSide.rateLimitPerMinute = 6 } // burst 5, one token per 10 s
        let first = try live.post(#"{"page":"/guide/a","rating":"down"}"#)
        let second = try live.post(#"{"page":"/guide/b","rating":"down"}"#)
        let firstID = try #require(first.json?["id"] as? Int), secondID = try #require(second.json?["id"] as? Int)
        let firstToken = try #require(first.json?["followup_token"] as? String)
        let secondToken = try #require(second.json?["followup_token"] as? String)
        let followup = { (id: Int, token: String, comment: String) in
            try RawClient.request(port: live.port, "POST", "/v1/feedback/\(id)/followup", body: #"{"token":"\#(token)","comment":"\#(comment)"}"#)
        }
        #expect(try followup(firstID, firstToken, "first").status == 200)
        #expect(try followup(firstID, firstToken, "again").status == 409)
        #expect(try followup(firstID, firstToken, "and again").status == 409)
        // Five tokens spent (two votes, three follow-ups): the next follow-up is refused before its token is looked at.
        let limited = try followup(secondID, secondToken, "over the limit")
        #expect(limited.status == 429)
        #expect(errorField(limited).code == "rate_limited")
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE comment IS NOT NULL") == 1)
        let form = try RawClient.request(port: live.port, "POST", "/v1/feedback/\(secondID)/followup", body: "token=\(secondToken)&comment=form",
                                         contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 429)
        #expect(form.header("Retry-After") != nil)
    }

    @Test func defaultRateLimitAllowsABurstOfTen() throws {
        let directory = TemporaryDirectory()
        // No --rate-limit: the binary's default (60 a minute, so one token back per second).
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db")])
        let client = try RawClient(port: server.port, timeout: 30)
        let started = Date()
        var accepted = 0, limited: RawClient.Response?
        while limited == nil && accepted < 200 {
            try client.send(RawClient.requestText("POST", "/v1/feedback", body: Self.decoy))
            let response = try client.readResponse()
            if response.status == 429 { limited = response } else { #expect(response.status == 201); accepted += 1 }
        }
        let elapsed = Date().timeIntervalSince(started)
        let refusal = try #require(limited, "no 429 after \(accepted) submissions in \(elapsed) s")
        #expect(errorField(refusal).code == "rate_limited")
        #expect(refusal.header("Retry-After") == "1")
        // Ten at once, plus at most one refilled per second that passed while they were sent.
        #expect(accepted >= 10, "burst was \(accepted)")
        #expect(Double(accepted) <= 10 + elapsed.rounded(.up), "\(accepted) accepted in \(elapsed) s")
    }

    @Test func separateIPv6Slash64sCountSeparately() throws {
        let live = try LiveApp {
            $0.publicSide.rateLimitPerMinute = 6 // burst 5
            $0.publicSide.trustedProxies = [CIDR("127.0.0.0/8")].compactMap { $0 }
        }
        let post = { (client: String) in try live.post(Self.decoy, headers: [("X-Forwarded-For", client)]).status }
        for i in 1...5 { #expect(try post("2001:db8:1:1::\(i)") == 201) }
        #expect(try post("2001:db8:1:1:ffff:ffff:ffff:ffff") == 429, "another address in the same /64 shares its budget")
        #expect(try post("2001:db8:1:2::1") == 201, "the next /64 has its own")
        #expect(try post("2001:db8:2:1::1") == 201)
        #expect(try post("198.51.100.7") == 201, "IPv4 clients count per address")
    }
}
