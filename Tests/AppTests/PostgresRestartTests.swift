import Foundation
import Postgres
import Testing
import TestSupport
@testable import Feedback

/// PostgreSQL restarted (`pg_ctl stop`, then `start`) while two instances take writes: during the gap
/// submissions get a prompt 503 `storage_unavailable` with Retry-After (never a hang, never a 201 for a
/// row that is then missing), `/readyz` says 503, and the instances recover by themselves.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresRestartTests {
    @Test(.timeLimit(.minutes(5))) func instancesAnswer503DuringTheGapAndRecoverByThemselves() throws {
        // A server of the test's own (the shared one stays up), durable: what was acknowledged must survive its restart.
        let server = try PostgresServer(durable: true)
        let url = server.url(database: try server.createDatabase())
        let cluster = try Cluster(url: url, instances: 2)
        func ready(_ index: Int) -> Int? {
            guard let port = cluster.port(index) else { return nil }
            return try? RawClient.request(port: port, "GET", "/readyz", timeout: 15).status
        }
        #expect(ready(0) == 200 && ready(1) == 200)
        // A request that takes longer than this counts as a hang.
        let load = Load(workers: 4, cluster: cluster, timeout: 15)
        defer { load.stop() }
        #expect(waitUntil(timeout: 60) { load.acknowledged(by: 0) >= 20 && load.acknowledged(by: 1) >= 20 })

        try server.stop()
        let refusedBefore = load.otherOutcomes.count
        #expect(waitUntil(timeout: 60) { ready(0) == 503 && ready(1) == 503 }, "readiness while PostgreSQL is down: \(String(describing: ready(0))), \(String(describing: ready(1)))")
        #expect(waitUntil(timeout: 60) { load.otherOutcomes.count >= refusedBefore + 10 }, "no submission was refused during the gap")
        try server.start()

        #expect(waitUntil(timeout: 60) { ready(0) == 200 && ready(1) == 200 }, "the instances did not become ready again: \(cluster.log(0).suffix(1500))")
        let recovered = (load.acknowledged(by: 0), load.acknowledged(by: 1))
        #expect(waitUntil(timeout: 60) { load.acknowledged(by: 0) >= recovered.0 + 20 && load.acknowledged(by: 1) >= recovered.1 + 20 },
                "the instances did not take writes again")
        load.stop()

        // During the gap: 503 storage_unavailable with Retry-After, nothing else (no timeout, no 500).
        let refusals = Dictionary(grouping: load.otherOutcomes.map(\.outcome), by: { $0 }).mapValues(\.count)
        #expect(!refusals.isEmpty && refusals.keys.allSatisfy { $0.hasPrefix("503 storage_unavailable Retry-After=") && !$0.hasSuffix("=none") },
                "\(refusals)")
        let acks = load.acknowledged
        let connection = try Postgres.Connection(url)
        defer { connection.close() }
        let missing = try ClusterChecks.missing(acks, connection)
        #expect(missing.isEmpty, "\(missing.count) of \(acks.count) acknowledged writes are not stored: \(missing.prefix(5))")
        try ClusterChecks.expectRollupsMatchTheRows(connection)
    }
}
