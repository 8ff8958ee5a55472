import App
@testable import Feedback
import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport

/// Changes to stored rows through the API on PostgreSQL, with two instances on one database:
/// follow-ups, triage, erasure and retention answer as on SQLite, and every instance's aggregates
/// show a change as soon as it is answered.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresEditTests {
    private func summary(_ live: PostgresApp, token: String, prefix: String) throws -> (votes: Int?, comments: Int?) {
        let json = try live.get("/v1/stats/summary?page_prefix=\(prefix)", token: token).json
        return (json?["votes"] as? Int, json?["comments"] as? Int)
    }

    @Test func followupTokenFromOneInstanceIsUsedOnceOnEither() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let one = try PostgresApp(url), two = try PostgresApp(url)
        let token = try one.token(.read)

        let voted = try one.post(#"{"page":"/followup/a","rating":"down"}"#)
        let id = try #require(voted.json?["id"] as? Int)
        let followup = try #require(voted.json?["followup_token"] as? String)
        let path = "/v1/feedback/\(id)/followup"
        // One character changed in the middle (the last one may carry only padding bits).
        var characters = Array(followup)
        characters[characters.count / 2] = characters[characters.count / 2] == "A" ? "B" : "A"
        let forged = try two.send("POST", path, body: #"{"token":"\#(String(characters))","comment":"forged"}"#)
        #expect(forged.status == 403)
        #expect(errorField(forged).code == "invalid_token")
        let added = try two.send("POST", path, body: #"{"token":"\#(followup)","reason":"outdated","comment":"the example fails"}"#)
        #expect(added.status == 200)
        #expect(added.json?["updated"] as? Bool == true)
        for instance in [one, two] {
            let again = try instance.send("POST", path, body: #"{"token":"\#(followup)","comment":"once more"}"#)
            #expect(again.status == 409)
            #expect(errorField(again).code == "followup_used")
            #expect(try summary(instance, token: token, prefix: "/followup/").comments == 1)
        }
        let listed = try one.get("/v1/feedback?page_prefix=/followup/", token: token).json?["items"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["comment"] as? String } == ["the example fails"])

        // The same token sent to both instances at the same moment: one is accepted, the other refused.
        for round in 0..<5 {
            let vote = try one.post(#"{"page":"/followup/race/\#(round)","rating":"down"}"#)
            let raceID = try #require(vote.json?["id"] as? Int)
            let raceToken = try #require(vote.json?["followup_token"] as? String)
            let statuses = Mutex<[Int]>([])
            let ports = [one.port, two.port]
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                let status = (try? RawClient.request(port: ports[i], "POST", "/v1/feedback/\(raceID)/followup",
                                                     body: #"{"token":"\#(raceToken)","comment":"from \#(i)"}"#).status) ?? -1
                statuses.withLock { $0.append(status) }
            }
            #expect(statuses.withLock { $0.sorted() } == [200, 409], "round \(round)")
        }
        #expect(try summary(two, token: token, prefix: "/followup/").comments == 6)
    }

    @Test func triageAndErasureChangeEveryInstancesStatsAtOnce() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let one = try PostgresApp(url), two = try PostgresApp(url)
        let read = try one.token(.read), triage = try one.token(.triage), admin = try one.token(.admin)
        var ids: [Int] = []
        for i in 0..<4 {
            let created = try [one, two][i % 2].post(#"{"page":"/edit/p","rating":"down","comment":"comment \#(i)"}"#,
                                                     headers: [("User-Agent", "reader-\(i)")])
            ids.append(try #require(created.json?["id"] as? Int))
        }
        func expectEverywhere(votes: Int, comments: Int, _ step: String) throws {
            for instance in [one, two] {
                let counts = try summary(instance, token: read, prefix: "/edit/")
                #expect(counts.votes == votes && counts.comments == comments, "\(step): \(counts)")
            }
        }
        try expectEverywhere(votes: 4, comments: 4, "before")
        // Folded rows (the reads above folded them), then a row still queued.
        #expect(try two.send("PATCH", "/v1/feedback/\(ids[0])", token: triage, body: #"{"status":"spam"}"#).status == 200)
        try expectEverywhere(votes: 3, comments: 3, "spam on instance 2")
        #expect(try one.send("PATCH", "/v1/feedback/\(ids[0])", token: triage, body: #"{"status":"triaged"}"#).status == 200)
        try expectEverywhere(votes: 4, comments: 4, "back from spam on instance 1")
        #expect(try one.send("DELETE", "/v1/feedback/\(ids[1])", token: admin).status == 204)
        try expectEverywhere(votes: 3, comments: 3, "erased on instance 1")
        #expect(try two.send("DELETE", "/v1/feedback/\(ids[1])", token: admin).status == 404)
        let queued = try one.post(#"{"page":"/edit/p","rating":"up","comment":"queued"}"#, headers: [("User-Agent", "reader-q")])
        let queuedID = try #require(queued.json?["id"] as? Int)
        #expect(try two.send("PATCH", "/v1/feedback/\(queuedID)", token: triage, body: #"{"status":"spam"}"#).status == 200)
        try expectEverywhere(votes: 3, comments: 3, "a queued row spammed")
        #expect(try two.send("DELETE", "/v1/feedback/\(ids[2])", token: admin).status == 204)
        try expectEverywhere(votes: 2, comments: 2, "erased on instance 2")
        let pages = try one.get("/v1/stats/pages?page_prefix=/edit/", token: read).json?["items"] as? [[String: Any]] ?? []
        #expect(pages.map { $0["votes"] as? Int } == [2])
    }

    /// Retention on PostgreSQL: more rows than one chunk, past the period, lose what identifies their
    /// readers; recent rows keep it; the aggregates keep every count.
    @Test(.timeLimit(.minutes(5))) func retentionErasesOldReaderDataInChunks() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let live = try PostgresApp(server.url(database: database)) { $0.storage.retentionDays = 30 }
        let token = try live.token(.read)
        let now = Timestamp.nowMilliseconds(), day: Int64 = 86_400_000
        let old = Retention.chunk * 2 + 10
        // Many rows share one millisecond, as an import makes them.
        _ = try server.psql("""
            INSERT INTO feedback(received_at, page, page_key, rating, comment, email, client_hash, user_agent, source)
            SELECT \(now - 40 * day) + i / 3000, '/retention/old', '/retention/old', 'down', 'old comment', 'r@example.com', 'abcd', 'UA', 'docs'
            FROM generate_series(0, \(old - 1)) AS i
            """, database: database)
        #expect(try live.post(#"{"page":"/retention/new","rating":"down","comment":"recent comment","email":"n@example.com"}"#).status == 201)
        let before = try summary(live, token: token, prefix: "/retention/")
        #expect(before.votes == old + 1 && before.comments == old + 1)

        func count(_ condition: String) throws -> Int {
            Int(try server.psql("SELECT count(*) FROM feedback WHERE \(condition)", database: database)
                .trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        }
        let erased = "comment IS NULL AND email IS NULL AND client_hash IS NULL AND user_agent IS NULL"
        // Two hours ahead: past the hourly gate even if the timer's first run came first.
        live.app.store.maintain(now: now + 7_200_000)
        #expect(try waitUntil { try count(erased) == old })
        #expect(try count(erased) == old)
        #expect(try count("comment = 'recent comment' AND email IS NOT NULL") == 1)
        let after = try summary(live, token: token, prefix: "/retention/")
        #expect(after.votes == before.votes && after.comments == before.comments, "aggregates keep their counts")
    }
}
