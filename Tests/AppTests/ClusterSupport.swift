import Foundation
import Postgres
import Synchronization
import Testing
import TestSupport
@testable import Feedback
#if canImport(Glibc)
import Glibc
#endif

/// Several real `hearken serve` processes on one PostgreSQL database, each of which the test may kill
/// and start again (on a new port). Ports are read by load threads while the test restarts instances.
final class Cluster: @unchecked Sendable { // `processes` guarded by `lock`
    let url: String
    private let arguments: [String]
    private let lock = NSLock()
    private var processes: [ServerProcess?]

    init(url: String, instances: Int, duplicateWindow: Int = 600, arguments: [String] = []) throws {
        self.url = url
        // Every vote in these tests comes from 127.0.0.1: no rate limit.
        self.arguments = ["serve", "--port", "0", "--db", url, "--rate-limit", "0", "--duplicate-window", String(duplicateWindow)] + arguments
        processes = Array(repeating: nil, count: instances)
        for index in 0..<instances { try start(index) }
    }

    var count: Int { lock.withLock { processes.count } }

    /// The instance's port, nil while it is down.
    func port(_ index: Int) -> Int? {
        lock.withLock { processes[index]?.port }
    }

    func start(_ index: Int) throws {
        let process = try ServerProcess(arguments)
        lock.withLock { processes[index] = process }
    }

    /// SIGKILL: no shutdown, no flush; waits until the process is gone.
    func kill(_ index: Int) {
        let process = lock.withLock { () -> ServerProcess? in
            defer { processes[index] = nil }
            return processes[index]
        }
        process?.signal(SIGKILL)
        _ = process?.waitForExit()
    }

    func log(_ index: Int) -> String { lock.withLock { processes[index]?.log ?? "" } }

    deinit {
        for process in processes { process?.signal(SIGTERM) }
        for process in processes { _ = process?.waitForExit() }
    }
}

/// Votes posted without pause by `workers` threads, spread over a cluster's instances in turn, each on
/// a page of its own (`/r<round>/w<worker>/s<seq>`). Keeps every acknowledged (id, page), and every
/// other outcome, for the checks afterwards.
final class Load: Sendable {
    struct Ack: Sendable {
        let id: Int64
        let page: String
        let instance: Int
    }

    /// Raised by the test between rounds; becomes part of each page.
    let round = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    private let acks = Mutex<[Ack]>([])
    /// Answers other than 201 ("503 storage_unavailable Retry-After=1") and transport errors, by instance.
    private let others = Mutex<[(instance: Int, outcome: String)]>([])
    private let group = DispatchGroup()

    init(workers: Int, cluster: Cluster, timeout: Double = 15) {
        for worker in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                var seq = 0
                while !stopping.load(ordering: .relaxed) {
                    seq += 1
                    let instance = (worker + seq) % cluster.count
                    guard let port = cluster.port(instance) else { continue }
                    let page = "/r\(round.load(ordering: .relaxed))/w\(worker)/s\(seq)"
                    let comment = seq % 5 == 0 ? #","comment":"note \#(seq)""# : ""
                    let reason = seq % 7 == 0 ? #","reason":"outdated""# : ""
                    let body = #"{"page":"\#(page)","rating":"\#(seq % 3 == 0 ? "down" : "up")"\#(comment)\#(reason)}"#
                    do {
                        let response = try RawClient.request(port: port, "POST", "/v1/feedback", body: body, timeout: timeout)
                        if response.status == 201, let id = response.json?["id"] as? Int {
                            acks.withLock { $0.append(Ack(id: Int64(id), page: page, instance: instance)) }
                        } else {
                            let code = ((response.json?["error"] as? [String: Any])?["code"] as? String) ?? response.text.prefix(80).description
                            others.withLock { $0.append((instance, "\(response.status) \(code) Retry-After=\(response.header("Retry-After") ?? "none")")) }
                        }
                    } catch {
                        others.withLock { $0.append((instance, "error: \(error)")) }
                    }
                }
            }
        }
    }

    var acknowledged: [Ack] { acks.withLock { $0 } }
    func acknowledged(by instance: Int) -> Int { acks.withLock { $0.filter { $0.instance == instance }.count } }
    var otherOutcomes: [(instance: Int, outcome: String)] { others.withLock { $0 } }

    /// Stops the workers and waits for their last requests.
    func stop() {
        stopping.store(true, ordering: .relaxed)
        group.wait()
    }
}

/// Checks on a PostgreSQL database that several instances wrote.
enum ClusterChecks {
    /// The acknowledged writes that are not stored as acknowledged (id and page).
    static func missing(_ acks: [Load.Ack], _ connection: Postgres.Connection) throws -> [Load.Ack] {
        let stored = Dictionary(try connection.query("SELECT id, page_key FROM feedback") { ($0.int64(0), $0.string(1)) },
                                uniquingKeysWith: { first, _ in first })
        return acks.filter { stored[$0.id] != $0.page }
    }

    /// Folds what is queued (waiting for an instance that holds the fold lock), then compares every
    /// rollup with a recomputation from the rows.
    static func expectRollupsMatchTheRows(_ connection: Postgres.Connection, sourceLocation: SourceLocation = #_sourceLocation) throws {
        try DatabaseProbe.foldEverything(connection)
        for (rollup, rows) in RollupRecomputation.checks {
            let folded = try connection.query("SELECT x::text FROM (\(rollup)) x WHERE x.up <> 0 OR x.down <> 0 ORDER BY 1") { $0.string(0) }
            let recomputed = try connection.query("SELECT x::text FROM (\(rows)) x ORDER BY 1") { $0.string(0) }
            #expect(folded == recomputed, "\(rollup): \(folded.count) folded groups, \(recomputed.count) from the rows", sourceLocation: sourceLocation)
        }
    }
}
