import Foundation
import Testing
import TestSupport
@testable import App

/// With the duplicate window on (the default; the other tests turn it off), a vote link opened
/// again by the same reader counts once.
@Suite struct VoteLinkRepeatTests {
    @Test func repeatedVoteLinkCountsOnceWithTheDuplicateWindowOn() throws {
        let live = try LiveApp { $0.storage.duplicateWindowSeconds = 3600 }
        let link = "/v1/vote?page=https%3A%2F%2Fdocs.example.com%2Fguide%2Fauth&rating=up"
        let reader = [("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")]
        for _ in 0..<3 {
            let page = try RawClient.request(port: live.port, "GET", link, headers: reader)
            #expect(page.status == 200)
            #expect(page.header("Content-Type")?.hasPrefix("text/html") == true)
        }
        #expect(try live.count() == 1)
        let token = try live.token(.read)
        #expect(try live.get("/v1/stats/summary", token: token).json?["votes"] as? Int == 1, "aggregates count it once too")
        // The other answer, and another reader, are new votes.
        #expect(try RawClient.request(port: live.port, "GET", link.replacingOccurrences(of: "rating=up", with: "rating=down"), headers: reader).status == 200)
        #expect(try RawClient.request(port: live.port, "GET", link, headers: [("User-Agent", "Mozilla/5.0 (Macintosh) Safari/605.1")]).status == 200)
        #expect(try live.count() == 3)
        live.app.store.maintain()
        let drops = try live.app.store.readNow { try live.app.store.drops.counts(sinceDay: 0, connection: $0) }
        #expect(drops.filter { $0.reason == "duplicate" }.reduce(0) { $0 + $1.count } == 2)
    }
}
