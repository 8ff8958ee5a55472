import Foundation
import Testing
import TestSupport
@testable import App

/// Metric labels the README lists: rejections for duplicates and crawlers, the cap on distinct
/// sources, and the `invalid` route for requests that could not be read.
@Suite struct MetricsLabelTests {
    private func samples(_ live: LiveApp) throws -> [String: Double] {
        let response = try live.get("/metrics")
        #expect(response.status == 200)
        return MetricsTests().samples(response.text)
    }

    @Test func duplicateAndCrawlerRejectionsAreCounted() throws {
        let live = try LiveApp { $0.storage.duplicateWindowSeconds = 3600 }
        let vote = #"{"page":"/guide/dup","rating":"up","source":"docs"}"#
        #expect(try live.post(vote).status == 201)
        let repeated = try live.post(vote)
        #expect(repeated.status == 200)
        #expect(repeated.json?["duplicate"] as? Bool == true)
        let crawler = try RawClient.request(port: live.port, "GET", "/v1/vote?page=%2Fguide%2Fcrawled&rating=up",
                                            headers: [("User-Agent", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")])
        #expect(crawler.status == 200)
        let s = try samples(live)
        #expect(s[#"hearken_feedback_rejected_total{reason="duplicate"}"#] == 1)
        #expect(s[#"hearken_feedback_rejected_total{reason="crawler"}"#] == 1)
        #expect(s[#"hearken_feedback_accepted_total{source="docs",rating="up"}"#] == 1, "the repeat is not counted as accepted")
        #expect(try live.count() == 1)
    }

    @Test func pastFiftySourcesTheRestCountAsOther() throws {
        let live = try LiveApp()
        for i in 0..<55 {
            #expect(try live.post(#"{"page":"/guide/s","rating":"down","source":"src-\#(i)"}"#).status == 201)
        }
        // A named source keeps its name for its other rating; a new one past the cap does not get one.
        #expect(try live.post(#"{"page":"/guide/s","rating":"up","source":"src-0"}"#).status == 201)
        #expect(try live.post(#"{"page":"/guide/s","rating":"up","source":"src-99"}"#).status == 201)
        let s = try samples(live)
        let accepted = s.filter { $0.key.hasPrefix("hearken_feedback_accepted_total{") }
        let named = accepted.filter { !$0.key.contains(#"source="other""#) }
        let sources = Set(named.keys.compactMap { $0.split(separator: "\"").dropFirst().first.map(String.init) })
        #expect(sources.count == 50, "\(sources.count) named sources")
        #expect(named.count == 51, "50 sources' down votes and src-0's up vote")
        #expect(named.values.allSatisfy { $0 == 1 })
        #expect(s[#"hearken_feedback_accepted_total{source="other",rating="down"}"#] == 5)
        #expect(s[#"hearken_feedback_accepted_total{source="other",rating="up"}"#] == 1)
        #expect(s[#"hearken_feedback_accepted_total{source="src-0",rating="up"}"#] == 1)
        #expect(accepted.values.reduce(0, +) == 57)
        // The first fifty keep their names; the later ones do not get one.
        #expect(s[#"hearken_feedback_accepted_total{source="src-0",rating="down"}"#] == 1)
        #expect(s[#"hearken_feedback_accepted_total{source="src-54",rating="down"}"#] == nil)
    }

    @Test func unreadableRequestsAreCountedUnderTheInvalidRoute() throws {
        let live = try LiveApp()
        let garbage = try RawClient(port: live.port)
        try garbage.send("NOT A REQUEST LINE\r\n\r\n")
        #expect(try garbage.readResponse().status == 400)
        let badHeader = try RawClient(port: live.port)
        try badHeader.send("GET /healthz HTTP/1.1\r\nHost: a\r\nBad Header : x\r\n\r\n")
        #expect(try badHeader.readResponse().status == 400)
        // Exchanges are counted when they end; wait for both to show.
        var invalid = 0.0
        let deadline = Date().addingTimeInterval(30)
        repeat {
            invalid = try samples(live).filter { $0.key.hasPrefix("hearken_http_requests_total{") && $0.key.contains(#"route="invalid""#)
                && $0.key.contains(#"status="400""#) }.values.reduce(0, +)
            if invalid >= 2 { break }
            usleep(50_000)
        } while Date() < deadline
        #expect(invalid == 2)
        let s = try samples(live)
        #expect(!s.keys.contains { $0.contains("NOT") || $0.contains("Bad Header") }, "nothing of the unreadable request becomes a label")
    }
}
