import App
import Feedback
import Foundation
import Logging
import Testing
import TestSupport

/// An in-process server on a PostgreSQL database (several may share one).
final class PostgresApp {
    let app: Application
    let port: Int

    init(_ connectionString: String, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        var configuration = AppConfiguration(databasePath: connectionString)
        configuration.server.port = 0
        configuration.publicSide.rateLimitPerMinute = 0
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        app = try Application(configuration: configuration, logger: logger)
        port = try app.start()
    }

    func post(_ body: String, headers: [(String, String)] = []) throws -> RawClient.Response {
        try RawClient.request(port: port, "POST", "/v1/feedback", body: body, headers: headers)
    }

    func get(_ path: String, token: String) throws -> RawClient.Response {
        try RawClient.request(port: port, "GET", path, headers: [("Authorization", "Bearer \(token)")])
    }

    func token(_ scope: Scope) throws -> String {
        try app.store.write { try $0.createToken(name: "t-\(scope.rawValue)-\(UUID().uuidString.prefix(8))", scope: scope) }
    }

    func votes(token: String) throws -> Int {
        try get("/v1/stats/summary", token: token).json?["votes"] as? Int ?? -1
    }

    deinit { app.shutdown() }
}

/// `hearken serve --db postgres://…`: the API on PostgreSQL, alone and as several instances on one database.
@Suite(.enabled(if: !PostgresServer.isSkipped)) struct PostgresServeTests {
    @Test func oneInstanceIngestsAndReads() throws {
        let server = try PostgresServer.shared()
        let live = try PostgresApp(server.url(database: try server.createDatabase()))
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
    }
}
