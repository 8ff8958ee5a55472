import App
import Feedback
import Dispatch
import Foundation
import Synchronization
import Testing
import TestSupport

/// An in-process server on a PostgreSQL database (several may share one): `LiveApp` pointed at it,
/// with the duplicate window back at its default (the tests check it across instances).
final class PostgresApp {
    let live: LiveApp
    var app: Application { live.app }
    var port: Int { live.port }

    init(_ connectionString: String, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        live = try LiveApp { configuration in
            configuration.storage.path = connectionString
            configuration.storage.duplicateWindowSeconds = StorageOptions(path: connectionString).duplicateWindowSeconds
            configure(&configuration)
        }
    }

    func post(_ body: String, headers: [(String, String)] = []) throws -> RawClient.Response {
        try RawClient.request(port: port, "POST", "/v1/feedback", body: body, headers: headers)
    }

    func get(_ path: String, token: String) throws -> RawClient.Response {
        try send("GET", path, token: token)
    }

    func send(_ method: String, _ path: String, token: String? = nil, body: String? = nil) throws -> RawClient.Response {
        try RawClient.request(port: port, method, path, body: body, headers: token.map { [("Authorization", "Bearer \($0)")] } ?? [])
    }

    func token(_ scope: Scope) throws -> String {
        try app.store.write { try $0.createToken(name: "t-\(scope.rawValue)-\(UUID().uuidString.prefix(8))", scope: scope) }
    }

    func votes(token: String) throws -> Int {
        try get("/v1/stats/summary", token: token).json?["votes"] as? Int ?? -1
    }
}

/// `hearken serve --db postgres://…`: the API on PostgreSQL, alone and as several instances on one database.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresServeTests {
    @Test func oneInstanceIngestsAndReads() throws {
        let server = try PostgresServer.shared()
        let database = try server.createDatabase()
        let live = try PostgresApp(server.url(database: database))
        let token = try live.token(.read)
        let created = try live.post(#"{"page":"/guide/a","rating":"down","comment":"stale example"}"#)
        #expect(created.status == 201)
        let id = try #require(created.json?["id"] as? Int)
        #expect(try live.votes(token: token) == 1)
        let listed = try live.get("/v1/feedback", token: token).json?["items"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["id"] as? Int } == [id])
        #expect(listed.first?["comment"] as? String == "stale example")

        let key = [("Idempotency-Key", "retry-\(UUID().uuidString)")]
        let first = try live.post(#"{"page":"/guide/b","rating":"up"}"#, headers: key)
        let replay = try live.post(#"{"page":"/guide/b","rating":"up"}"#, headers: key)
        #expect(first.status == 201)
        #expect(replay.json?["id"] as? Int == first.json?["id"] as? Int)

        // The same reader (address and user agent) voting the same way again counts once.
        let reader = [("User-Agent", "reader-one")]
        #expect(try live.post(#"{"page":"/guide/c","rating":"up"}"#, headers: reader).status == 201)
        let again = try live.post(#"{"page":"/guide/c","rating":"up"}"#, headers: reader)
        #expect(again.status == 200)
        #expect(try live.votes(token: token) == 3)

        // Maintenance forgets idempotency keys past their window, and only those.
        try server.psql("INSERT INTO idempotency_keys(key_hash, feedback_id, status, created_at) VALUES ('\\x00', \(id), 201, 0)", database: database)
        // Two hours ahead: past the hourly gate even if the timer's first run came first.
        live.app.store.maintain(now: Timestamp.nowMilliseconds() + 7_200_000)
        #expect(try server.psql("SELECT count(*) FROM idempotency_keys", database: database).trimmingCharacters(in: .whitespacesAndNewlines) == "1")
        #expect(live.app.store.sizeBytes > 0)
    }
}

/// Several instances on one database: what one acknowledged, the others see and honour.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresInstancesTests {
    @Test func twoInstancesShareKeysDuplicatesAndFollowupSecret() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let one = try PostgresApp(url), two = try PostgresApp(url)
        let token = try one.token(.read)

        let key = [("Idempotency-Key", "both-\(UUID().uuidString)")]
        let first = try one.post(#"{"page":"/shared/key","rating":"up"}"#, headers: key)
        let second = try two.post(#"{"page":"/shared/key","rating":"up"}"#, headers: key)
        #expect(first.status == 201)
        #expect(second.json?["id"] as? Int == first.json?["id"] as? Int)

        let reader = [("User-Agent", "one-reader")]
        #expect(try one.post(#"{"page":"/shared/vote","rating":"down"}"#, headers: reader).status == 201)
        let repeated = try two.post(#"{"page":"/shared/vote","rating":"down"}"#, headers: reader)
        #expect(repeated.status == 200)
        #expect(repeated.json?["duplicate"] as? Bool == true)
        #expect(try two.votes(token: token) == 2)
        #expect(try one.votes(token: token) == 2)
        // Instance 2 counted the repeat as a dropped duplicate; maintenance stores it where instance 1 reads it.
        two.app.store.maintain()
        let drops = try one.get("/v1/stats/drops", token: token).json?["totals"] as? [String: Int]
        #expect(drops?["duplicate"] == 1)

        // One secret in server_secrets: instance 2 accepts the token instance 1 issued. (Applying a
        // follow-up on PostgreSQL is the editor's row writes, which come separately.)
        let voted = try one.post(#"{"page":"/shared/followup","rating":"down"}"#)
        let id = try #require(voted.json?["id"] as? Int)
        let followup = try #require(voted.json?["followup_token"] as? String)
        #expect(two.app.store.followups.verify(followup, id: Int64(id)) == .valid)
        #expect(two.app.store.followups.verify(followup, id: Int64(id) + 1) == .invalid)
    }

    /// A vote acknowledged by either instance is in the very next aggregate read on either instance,
    /// while other clients keep both writers and folds busy.
    @Test(.timeLimit(.minutes(5))) func readsSeeEveryAcknowledgedVoteUnderLoad() throws {
        let server = try PostgresServer.shared()
        let url = server.url(database: try server.createDatabase())
        let one = try PostgresApp(url), two = try PostgresApp(url)
        let token = try one.token(.read)
        let ports = [one.port, two.port]
        let stop = Atomic<Bool>(false)
        let load = DispatchGroup()
        for worker in 0..<4 {
            DispatchQueue.global().async(group: load) {
                var n = 0
                while !stop.load(ordering: .relaxed) {
                    n += 1
                    _ = try? RawClient.request(port: ports[(worker + n) % 2], "POST", "/v1/feedback",
                                               body: #"{"page":"/load/\#(worker)/\#(n)","rating":"up"}"#)
                }
            }
        }
        defer {
            stop.store(true, ordering: .relaxed)
            load.wait()
        }
        for round in 0..<30 {
            let (writer, reader) = round % 3 == 0 ? (one, one) : round % 3 == 1 ? (one, two) : (two, one)
            #expect(try writer.post(#"{"page":"/ryw-\#(round)/p","rating":"down"}"#).status == 201)
            let summary = try reader.get("/v1/stats/summary?page_prefix=/ryw-\(round)/", token: token)
            #expect(summary.json?["votes"] as? Int == 1, "round \(round)")
        }
    }
}
