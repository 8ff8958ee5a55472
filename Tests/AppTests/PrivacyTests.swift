import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback
@testable import HTTP

@Suite struct PrivacyTests {
    @Test func commentsWithPersonalDataAreFlaggedAndMaskedUnlessAnAdminAsks() throws {
        let live = try LiveApp()
        let created = try live.post(#"{"page":"/a","rating":"down","comment":"mail me at sam@example.com or +44 20 7946 0958"}"#)
        #expect(created.status == 201)
        _ = try live.post(#"{"page":"/b","rating":"down","comment":"the curl example on line 12 is wrong"}"#)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE pii = 1") == 1)
        let reader = try live.token(.read), admin = try live.token(.admin)
        let listed = try live.get("/v1/feedback?page=/a", token: reader)
        let item = (listed.json?["items"] as? [[String: Any]])?.first
        #expect(item?["comment"] as? String == "mail me at [email] or [phone]")
        #expect(item?["pii"] as? Bool == true)
        let other = try live.get("/v1/feedback?page=/b", token: reader)
        #expect((other.json?["items"] as? [[String: Any]])?.first?["comment"] as? String == "the curl example on line 12 is wrong")
        let csv = try live.get("/v1/feedback?format=csv&page=/a", token: reader)
        #expect(!csv.text.contains("sam@example.com"))
        #expect(try live.get("/v1/feedback?pii=show", token: reader).status == 403)
        let shown = try live.get("/v1/feedback?pii=show&page=/a", token: admin)
        #expect((shown.json?["items"] as? [[String: Any]])?.first?["comment"] as? String == "mail me at sam@example.com or +44 20 7946 0958")
        let id = created.json?["id"] as? Int ?? 0
        #expect(try live.get("/v1/feedback/\(id)", token: reader).json?["comment"] as? String == "mail me at [email] or [phone]")
        #expect(try live.get("/v1/feedback?pii=maybe", token: admin).status == 400)
    }

    /// Regression: `q=` searched the raw comment, so a reader could confirm that a masked comment
    /// holds a given address by searching for it.
    @Test func searchOnlyMatchesWhatAMaskedListingShows() throws {
        let live = try LiveApp()
        #expect(try live.post(#"{"page":"/a","rating":"down","comment":"write to sam@example.com about the broken token example"}"#).status == 201)
        #expect(try live.post(#"{"page":"/b","rating":"down","comment":"sam says the token example is broken"}"#).status == 201)
        let reader = try live.token(.read), admin = try live.token(.admin)
        func pages(_ query: String, token: String, pii: String = "") throws -> [String] {
            let answer = try live.get("/v1/feedback?q=\(query)\(pii)", token: token)
            #expect(answer.status == 200)
            return ((answer.json?["items"] as? [[String: Any]]) ?? []).compactMap { $0["page_key"] as? String }.sorted()
        }
        #expect(try pages("sam%40example.com", token: reader) == [])
        #expect(try pages("example.com", token: reader) == [])
        #expect(try pages("sam", token: reader) == ["/b"])
        #expect(try pages("exam*", token: reader) == ["/a", "/b"], "the words outside the address still match")
        #expect(try pages("broken%20token", token: reader) == ["/a", "/b"])
        #expect(try pages("email", token: reader) == [], "the index holds the words written, not the mask")
        #expect(try pages("sam%40example.com", token: admin, pii: "&pii=show") == ["/a"])
        #expect(try pages("sam", token: admin, pii: "&pii=show") == ["/a", "/b"])
    }

    /// Hidden matches must not cut a page short or end the listing early.
    @Test func maskedSearchStillFillsPagesAndFollowsCursors() throws {
        let live = try LiveApp { $0.storage.duplicateWindowSeconds = 0 }
        for i in 0..<7 {
            #expect(try live.post(#"{"page":"/v\#(i)","rating":"down","comment":"the guide is wrong"}"#).status == 201)
            for j in 0..<3 {
                #expect(try live.post(#"{"page":"/h\#(i)-\#(j)","rating":"down","comment":"ask wrong@guide.example"}"#).status == 201)
            }
        }
        let reader = try live.token(.read)
        var seen: [String] = []
        var path = "/v1/feedback?q=wrong&limit=2"
        for _ in 0..<10 {
            let answer = try live.get(path, token: reader)
            let items = (answer.json?["items"] as? [[String: Any]]) ?? []
            seen += items.compactMap { $0["page_key"] as? String }
            guard let next = answer.json?["next_cursor"] as? String else { break }
            #expect(items.count == 2, "a page before the last is full")
            path = "/v1/feedback?q=wrong&limit=2&cursor=\(next)"
        }
        #expect(seen == (0..<7).reversed().map { "/v\($0)" })
    }

    @Test func followUpCommentsAreScannedToo() throws {
        let live = try LiveApp()
        let vote = try live.post(#"{"page":"/a","rating":"down"}"#)
        let token = try #require(vote.json?["followup_token"] as? String), url = try #require(vote.json?["followup_url"] as? String)
        let added = try RawClient.request(port: live.port, "POST", url, body: #"{"token":"\#(token)","comment":"card 4111 1111 1111 1111 was charged twice"}"#)
        #expect(added.status == 200)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE pii = 1") == 1)
    }

    @Test func rawAddressesNeverReachTheDatabase() throws {
        let live = try LiveApp { $0.publicSide.trustedProxies = [CIDR("127.0.0.1")].compactMap { $0 } }
        for i in 0..<5 {
            #expect(try live.post(#"{"page":"/a\#(i)","rating":"up","comment":"hello"}"#, headers: [browser, ("X-Forwarded-For", "198.51.100.77")]).status == 201)
        }
        _ = try live.get("/v1/vote?page=%2Fv&rating=up", headers: [browser, ("X-Forwarded-For", "198.51.100.77")])
        live.app.store.maintain()
        try live.app.store.writeNow { try $0.execute("PRAGMA wal_checkpoint(TRUNCATE)") }
        for file in ["hearken.db", "hearken.db-wal"] {
            let bytes = (try? Data(contentsOf: URL(fileURLWithPath: live.directory.file(file)))) ?? Data()
            #expect(bytes.range(of: Data("198.51.100.77".utf8)) == nil, "\(file)")
        }
        // One client: one hash per UTC day. The days come from the rows themselves, so a run that crosses
        // midnight (two days, two secrets, two hashes) passes for the right reason rather than failing.
        let perDay = try live.app.store.readNow {
            try $0.query("SELECT received_at / 86400000, count(DISTINCT client_hash), min(length(client_hash)) FROM feedback GROUP BY 1 ORDER BY 1") {
                (day: $0.int64(0), hashes: $0.int(1), length: $0.int(2))
            }
        }
        #expect(!perDay.isEmpty && perDay.count <= 2 && perDay.allSatisfy { $0.hashes == 1 && $0.length == 32 }, "\(perDay)")
        #expect(try live.count("SELECT count(DISTINCT client_hash) FROM feedback") == perDay.count, "days do not share a hash")
        let keyDays = try live.app.store.readNow { try $0.query("SELECT day FROM client_hash_keys") { $0.string(0) } }
        #expect(keyDays == [Timestamp.day(milliseconds: (perDay.last?.day ?? 0) * 86_400_000)], "only the latest day's secret exists")
    }

    @Test func retentionErasesOldReaderDataButKeepsAggregateCounts() throws {
        let live = try LiveApp { $0.storage.retentionDays = 30 }
        let now = Timestamp.nowMilliseconds(), day: Int64 = 86_400_000
        _ = try live.insert([
            (page: "https://docs.example.com/old", rating: .down, reason: "outdated", comment: "old comment", source: "docs", version: "1", at: now - 40 * day),
            (page: "https://docs.example.com/old", rating: .up, reason: nil, comment: "another old one", source: "docs", version: "1", at: now - 31 * day),
            (page: "https://docs.example.com/new", rating: .down, reason: "inaccurate", comment: "recent comment", source: "docs", version: "1", at: now - 2 * day),
        ])
        try live.app.store.writeNow { try $0.execute("UPDATE feedback SET email = 'r@example.com', client_hash = 'abcd', user_agent = 'UA'") }
        let before = try live.count("SELECT sum(up) + sum(down) + sum(comments) FROM rollup_page_total")
        // The first maintenance run after startup erases; wait for it rather than calling it.
        let erasedSQL = "SELECT count(*) FROM feedback WHERE comment IS NULL AND email IS NULL AND client_hash IS NULL AND user_agent IS NULL"
        _ = try waitUntil { try live.count(erasedSQL) == 2 }
        #expect(try live.count(erasedSQL) == 2)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE comment = 'recent comment' AND email IS NOT NULL") == 1)
        #expect(try live.count("SELECT count(*) FROM feedback") == 3, "votes stay")
        #expect(try live.count("SELECT sum(up) + sum(down) + sum(comments) FROM rollup_page_total") == before, "aggregates stay")
        #expect(try live.count("SELECT count(*) FROM feedback_fts WHERE feedback_fts MATCH 'old'") == 0, "search index forgets erased comments")
    }

    @Test func retentionWorksThroughLargeBacklogsInChunks() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicates(dir.file("h.db")))
        defer { store.close() }
        let old = Timestamp.nowMilliseconds() - 100 * 86_400_000
        try store.writeNow { db in
            try db.transaction {
                for i in 0..<(Retention.chunk * 2 + 10) {
                    // Many rows share one millisecond, as an import would make.
                    try db.run("INSERT INTO feedback(received_at, page, page_key, rating, comment, source) VALUES (?, '/a', '/a', 'up', 'c', 'docs')", [old + Int64(i / 3000)])
                }
            }
        }
        var rounds = 0
        while try store.writeNow({ try Retention.eraseChunk(before: old + 1_000_000, connection: $0) }) > 0 { rounds += 1 }
        #expect(rounds >= 2)
        #expect(try store.readNow { try $0.first("SELECT count(*) FROM feedback WHERE comment IS NOT NULL") { $0.int(0) } } == 0)
        #expect(try store.writeNow { try Retention.eraseChunk(before: old + 1_000_000, connection: $0) } == 0)
    }
}

func withoutDuplicates(_ path: String) -> StorageOptions {
    var options = StorageOptions(path: path)
    options.duplicateWindowSeconds = 0
    return options
}
