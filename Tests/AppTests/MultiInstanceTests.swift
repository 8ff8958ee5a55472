import Foundation
import Postgres
import Testing
import TestSupport
@testable import Feedback

/// Three real `hearken serve` processes on one PostgreSQL database: what one instance acknowledges is
/// stored whatever happens to another, the fold counts every vote once, and the state that must be
/// shared (idempotency keys, the client-hash secret, the duplicate window) is.
@Suite(.enabled(if: !PostgresServer.isSkipped), .serialized) struct MultiInstanceTests {
    static func database() throws -> String {
        let server = try PostgresServer.shared()
        return server.url(database: try server.createDatabase())
    }

    /// 10 rounds of load spread over three instances; in each, one instance is killed with -9 while
    /// writes are in flight and started again. Every acknowledged (id, page) is stored, and the rollups
    /// equal a recomputation from the rows.
    @Test(.timeLimit(.minutes(5))) func killingAnInstanceLosesNothingAcknowledged() throws {
        let cluster = try Cluster(url: try Self.database(), instances: 3)
        let load = Load(workers: 4, cluster: cluster)
        defer { load.stop() }
        for round in 0..<10 {
            load.round.store(round, ordering: .relaxed)
            let victim = round % 3
            let before = load.acknowledged.count
            #expect(waitUntil(timeout: 60) { load.acknowledged.count >= before + 20 }, "round \(round): no load before the kill")
            cluster.kill(victim)
            let killed = load.acknowledged.count
            #expect(waitUntil(timeout: 60) { load.acknowledged.count >= killed + 20 }, "round \(round): the others stopped answering")
            try cluster.start(victim)
            let restarted = load.acknowledged(by: victim)
            #expect(waitUntil(timeout: 60) { load.acknowledged(by: victim) >= restarted + 5 },
                    "round \(round): instance \(victim) did not take writes after its restart: \(cluster.log(victim).suffix(1500))")
        }
        load.stop()
        let acks = load.acknowledged
        // Only the killed instance's connections may fail (refused, reset, closed); every answer given
        // is a 201, and none took the 15 s a hang would.
        let unexpected = load.otherOutcomes.filter { !$0.outcome.hasPrefix("error:") || $0.outcome.contains("timed out") }
        #expect(unexpected.isEmpty, "\(unexpected.prefix(10))")
        let connection = try Postgres.Connection(cluster.url)
        defer { connection.close() }
        let missing = try ClusterChecks.missing(acks, connection)
        #expect(missing.isEmpty, "\(missing.count) of \(acks.count) acknowledged writes are not stored: \(missing.prefix(5))")
        #expect(acks.count >= 10 * 45)
        try ClusterChecks.expectRollupsMatchTheRows(connection)
    }

    /// A client retrying with one Idempotency-Key on different instances, at the same moment: one row,
    /// and every answer is that row's.
    @Test func anIdempotencyKeySentToEveryInstanceStoresOnce() throws {
        // No duplicate window: the key alone must make the three one.
        let cluster = try Cluster(url: try Self.database(), instances: 3, duplicateWindow: 0)
        for attempt in 0..<20 {
            let page = "/retried/\(attempt)"
            let answers = Self.atOnce(cluster, each: 2, RawClient.requestText("POST", "/v1/feedback", body: #"{"page":"\#(page)","rating":"down","comment":"once"}"#,
                                                                              headers: [("Idempotency-Key", "key-\(attempt)")]))
            #expect(answers.allSatisfy { $0?.status == 201 }, "\(answers.map { $0.map { "\($0.status) \($0.text)" } ?? "no answer" })")
            #expect(Set(answers.map { $0?.json?["id"] as? Int }).count == 1)
            #expect(answers.filter { $0?.header("Idempotent-Replayed") == "true" }.count == answers.count - 1)
        }
        let connection = try Postgres.Connection(cluster.url)
        defer { connection.close() }
        #expect(try connection.first("SELECT count(*), count(DISTINCT page_key) FROM feedback") { [$0.int(0), $0.int(1)] } == [20, 20])
        #expect(try connection.first("SELECT count(*) FROM idempotency_keys") { $0.int(0) } == 20)
        try ClusterChecks.expectRollupsMatchTheRows(connection)
    }

    /// One reader's vote reaching every instance at once counts once: the instances hash the reader
    /// alike (the day's secret is in the database) and share the duplicate window. The reader is the
    /// socket peer (127.0.0.1 for all three), or the address a trusted proxy forwards.
    @Test func oneReadersVoteOnEveryInstanceCountsOnce() throws {
        waitUntilFarFromUTCMidnight() // the client hash's secret changes at midnight
        let cluster = try Cluster(url: try Self.database(), instances: 3, arguments: ["--trusted-proxy", "127.0.0.1"])
        let readers: [(String, [(String, String)])] = [
            ("peer", [("User-Agent", "reader-browser")]),
            ("forwarded", [("User-Agent", "reader-browser"), ("X-Forwarded-For", "198.51.100.7")]),
        ]
        for (name, headers) in readers {
            for attempt in 0..<5 {
                let page = "https://docs.example.com/\(name)/\(attempt)"
                let answers = Self.atOnce(cluster, RawClient.requestText("POST", "/v1/feedback", body: #"{"page":"\#(page)","rating":"down"}"#, headers: headers))
                let statuses = answers.map { $0?.status ?? 0 }.sorted()
                #expect(statuses == [200, 200, 201], "\(name) \(attempt): \(answers.map { $0.map { "\($0.status) \($0.text)" } ?? "no answer" })")
                #expect(answers.filter { $0?.json?["duplicate"] as? Bool == true }.count == 2)
                #expect(Set(answers.map { $0?.json?["id"] as? Int }).count == 1)
            }
        }
        // Another forwarded reader is another vote.
        let other = try RawClient.request(port: try #require(cluster.port(1)), "POST", "/v1/feedback",
                                          body: #"{"page":"https://docs.example.com/forwarded/0","rating":"down"}"#,
                                          headers: [("User-Agent", "reader-browser"), ("X-Forwarded-For", "198.51.100.8")])
        #expect(other.status == 201)
        let connection = try Postgres.Connection(cluster.url)
        defer { connection.close() }
        #expect(try connection.first("SELECT count(*) FROM feedback") { $0.int(0) } == 11)
        try ClusterChecks.expectRollupsMatchTheRows(connection)
        #expect(try connection.first("SELECT sum(down) FROM rollup_page_total") { $0.int(0) } == 11)
    }

    /// One request to every instance of the cluster at the same moment, `each` times to each: every
    /// connection is opened first, then all requests are sent, then the answers read (nil for a request
    /// that failed), instance by instance.
    static func atOnce(_ cluster: Cluster, each: Int = 1, _ request: String) -> [RawClient.Response?] {
        let clients = (0..<cluster.count * each).map { index in cluster.port(index / each).flatMap { try? RawClient(port: $0) } }
        for client in clients { try? client?.send(request) }
        return clients.map { try? $0?.readResponse() }
    }
}
