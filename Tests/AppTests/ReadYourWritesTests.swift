import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport
@testable import Feedback

/// Rollups and the search index are folded in behind the rows (`DerivedData`); every read must still
/// see every acknowledged write.
@Suite struct ReadYourWritesTests {
    @Test func aVoteCountsInTheStatsAskedForRightAfterItsAnswerUnderConcurrentIngestion() throws {
        let live = try LiveApp()
        let token = try live.token(.read)
        let stop = Atomic<Bool>(false)
        let background = DispatchGroup()
        let port = live.port
        for worker in 0..<4 {
            background.enter()
            DispatchQueue.global().async {
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    _ = try? RawClient.request(port: port, "POST", "/v1/feedback",
                                               body: #"{"page":"/busy/\#(worker)/\#(n % 50)","rating":"up","comment":"noise \#(n)"}"#)
                    n += 1
                }
                background.leave()
            }
        }
        defer {
            stop.store(true, ordering: .relaxed)
            background.wait()
        }
        var total = 0
        for i in 0..<150 {
            let posted = try live.post(#"{"page":"/mine/\#(i)/p","rating":"down","comment":"needle\#(i) here"}"#)
            #expect(posted.status == 201)
            total += 1
            let page = try live.get("/v1/stats/summary?page_prefix=/mine/\(i)/", token: token).json ?? [:]
            #expect(page["down"] as? Int == 1, "vote \(i) missing from its page's stats: \(page)")
            // Listings by page read the rows by page the fold keeps (migrations/0009).
            let listed = try live.get("/v1/feedback?page=/mine/\(i)/p", token: token)
            #expect(listed.items.map { $0["id"] as? Int } == [posted.json?["id"] as? Int], "vote \(i) missing from its page's listing")
            let mine = try live.get("/v1/stats/pages?page_prefix=/mine/&limit=1000", token: token)
            #expect(mine.items.reduce(0) { $0 + (($1["down"] as? Int) ?? 0) } == total, "after vote \(i)")
            if i % 10 == 0 {
                let found = try live.get("/v1/feedback?q=needle\(i)", token: token)
                #expect(found.items.count == 1, "vote \(i) missing from search")
            }
        }
        #expect(try live.count("SELECT count(*) FROM feedback WHERE page LIKE '/busy/%'") > 150, "ingestion ran alongside")
    }
}
