import Crypto
import Foundation
import Logging
import SQLite
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// The whole application in-process on an ephemeral port with a database of its own: an SQLite file in
/// a temp folder, or a fresh database on the tests' PostgreSQL server (`Backend`).
final class LiveApp {
    let directory = TemporaryDirectory()
    let backend: Backend
    let app: Application
    let port: Int
    /// Plain SQL on the same database, for checks and seeding.
    let database: DatabaseProbe

    init(_ backend: Backend = .sqlite, configure: (inout AppConfiguration) -> Void = { _ in }) throws {
        self.backend = backend
        var configuration = AppConfiguration(databasePath: try backend.newDatabase(in: directory))
        configuration.server.port = 0
        // Most tests post many votes from one client; the abuse tests turn these back on.
        configuration.publicSide.rateLimitPerMinute = 0
        configuration.storage.duplicateWindowSeconds = 0
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        app = try Application(configuration: configuration, logger: logger)
        database = try DatabaseProbe(store: app.store, path: configuration.storage.path)
        port = try app.start()
    }

    func post(_ body: String, contentType: String = "application/json", headers: [(String, String)] = []) throws -> RawClient.Response {
        try RawClient.request(port: port, "POST", "/v1/feedback", body: body, contentType: contentType, headers: headers)
    }

    func count(_ sql: String = "SELECT count(*) FROM feedback", _ values: [any DatabaseBindable] = []) throws -> Int {
        try database.first(sql, values) { $0.int(0) } ?? -1
    }

    deinit { app.shutdown() }
}

func errorField(_ response: RawClient.Response) -> (code: String?, field: String?) {
    let error = response.json?["error"] as? [String: Any]
    return (error?["code"] as? String, error?["field"] as? String)
}

@Suite struct IngestionTests {
    @Test(arguments: Backend.allCases) func jsonSubmissionIsStoredAndAcknowledged(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let response = try live.post(#"{"page":"https://docs.example.com/auth#tokens","rating":"down","reason":"outdated","comment":"token example is stale","labels":{"api":"auth"}}"#,
                                     headers: [("User-Agent", "test-agent"), ("Origin", "https://docs.example.com"), ("Referer", "https://docs.example.com/auth")])
        #expect(response.status == 201)
        let id = response.json?["id"] as? Int
        #expect(id != nil)
        #expect(response.header("Location") == "/v1/feedback/\(id ?? -1)")
        #expect((response.json?["received_at"] as? String)?.hasSuffix("Z") == true)
        let row = try live.database.first("SELECT page, page_key, rating, reason, comment, source, user_agent, origin, referer, client_hash FROM feedback WHERE id = ?", [id ?? -1]) { row in
            (0..<10).map { row.optionalString($0) }
        }
        #expect(row?.prefix(9) == ["https://docs.example.com/auth#tokens", "https://docs.example.com/auth", "down", "outdated", "token example is stale",
                                   "docs", "test-agent", "https://docs.example.com", "https://docs.example.com/auth"])
        // The client hash, computed here: HMAC-SHA256 of the peer address, user agent and page host under
        // the day's stored secret, first 16 bytes in hex.
        let secret = try live.database.first("SELECT secret FROM client_hash_keys") { $0.blob(0) } ?? []
        let code = HMAC<SHA256>.authenticationCode(for: Data("127.0.0.1\ntest-agent\ndocs.example.com".utf8), using: SymmetricKey(data: secret))
        #expect(!secret.isEmpty && row?[9] == code.prefix(16).map { String(format: "%02x", $0) }.joined())
        #expect(try live.count("SELECT count(*) FROM feedback_labels WHERE key = 'api' AND value = 'auth'") == 1)
    }

    @Test(arguments: Backend.allCases) func formSubmissionWithLabels(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let response = try live.post("page=%2Fguide%2Fauth%2F&rating=up&reason=good-examples&comment=Nice+one&labels%5Bversion%5D=2&labels[lang]=swift",
                                     contentType: "application/x-www-form-urlencoded")
        #expect(response.status == 201)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE page_key = '/guide/auth' AND comment = 'Nice one'") == 1)
        #expect(try live.count("SELECT count(*) FROM feedback_labels") == 2)
    }

    @Test(arguments: [
        (#"{"page":"/a"}"#, "application/json", 400, "invalid_field", "rating"),
        (#"{"page":"/a","rating":"up","reason":"nope"}"#, "application/json", 400, "invalid_field", "reason"),
        (#"{"page":"/a","rating":"up","email":"x"}"#, "application/json", 400, "invalid_field", "email"),
        (#"{"page":42,"rating":"up"}"#, "application/json", 400, "invalid_field", "page"),
        (#"{"page":"/a","rating":"up""#, "application/json", 400, "invalid_json", nil),
        (#"["page"]"#, "application/json", 400, "invalid_json", nil),
        ("page=%zz&rating=up", "application/x-www-form-urlencoded", 400, "invalid_form", nil),
        (#"{"page":"/a","rating":"up"}"#, "text/plain", 415, "unsupported_media_type", nil),
    ] as [(String, String, Int, String, String?)], Backend.allCases)
    func invalidSubmissionsAreRejectedAndNothingIsStored(_ submission: (String, String, Int, String, String?), backend: Backend) throws {
        let (body, type, status, code, field) = submission
        let live = try LiveApp(backend)
        let response = try live.post(body, contentType: type)
        #expect(response.status == status)
        #expect(errorField(response).code == code)
        #expect(errorField(response).field == field)
        #expect(try live.count() == 0)
    }

    @Test(arguments: Backend.allCases) func oversizedBodyIs413(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let comment = String(repeating: "x", count: 70_000)
        let response = try live.post(#"{"page":"/a","rating":"up","comment":"\#(comment)"}"#)
        #expect(response.status == 413)
        #expect(try live.count() == 0)
    }

    @Test(arguments: Backend.allCases) func chunkedSubmissionWorks(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let client = try RawClient(port: live.port)
        let body = #"{"page":"/chunked","rating":"up"}"#
        let half = body.utf8.count / 2
        let first = String(body.prefix(half)), second = String(body.dropFirst(half))
        try client.send("POST /v1/feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(first.utf8.count, radix: 16) + "\r\n" + first + "\r\n" + String(second.utf8.count, radix: 16) + "\r\n" + second + "\r\n0\r\n\r\n")
        #expect(try client.readResponse().status == 201)
        #expect(try live.count("SELECT count(*) FROM feedback WHERE page_key = '/chunked'") == 1)
    }

    @Test(arguments: Backend.allCases) func healthAndReadiness(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let health = try RawClient.request(port: live.port, "GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.json?["status"] as? String == "ok")
        let ready = try RawClient.request(port: live.port, "GET", "/readyz")
        #expect(ready.status == 200)
        #expect(ready.json?["status"] as? String == "ready")
        #expect(health.header("Content-Type") == "application/json")
    }

    @Test(arguments: Backend.allCases) func pipelinedSubmissionsAreAnsweredInOrder(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let client = try RawClient(port: live.port)
        var text = ""
        for i in 0..<10 { text += RawClient.requestText("POST", "/v1/feedback", body: #"{"page":"/p\#(i)","rating":"up"}"#) }
        try client.send(text)
        var ids: [Int] = []
        for _ in 0..<10 {
            let response = try client.readResponse()
            #expect(response.status == 201)
            ids.append(response.json?["id"] as? Int ?? -1)
        }
        #expect(ids == ids.sorted())
        for (i, id) in ids.enumerated() {
            #expect(try live.count("SELECT count(*) FROM feedback WHERE id = ? AND page_key = ?", [id, "/p\(i)"]) == 1)
        }
    }

    @Test(arguments: Backend.allCases) func concurrentClientsAreAllStored(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let port = live.port
        let created = LockedCounter()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            guard let client = try? RawClient(port: port) else { return }
            for i in 0..<25 {
                try? client.send(RawClient.requestText("POST", "/v1/feedback", body: #"{"page":"/w\#(worker)/\#(i)","rating":"down"}"#))
                if (try? client.readResponse().status) == 201 { created.increment() }
            }
        }
        #expect(created.value == 200)
        #expect(try live.count() == 200)
    }

    @Test(arguments: Backend.allCases) func dataSurvivesRestartInProcess(_ backend: Backend) throws {
        let directory = TemporaryDirectory()
        var configuration = AppConfiguration(databasePath: try backend.newDatabase(in: directory))
        configuration.server.port = 0
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let first = try Application(configuration: configuration, logger: logger)
        let port = try first.start()
        #expect(try RawClient.request(port: port, "POST", "/v1/feedback", body: #"{"page":"/keep","rating":"up"}"#).status == 201)
        first.shutdown()
        let second = try Application(configuration: configuration, logger: logger)
        defer { second.shutdown() }
        let probe = try DatabaseProbe(store: second.store, path: configuration.storage.path)
        #expect(try probe.first("SELECT count(*) FROM feedback WHERE page_key = '/keep'") { $0.int(0) } == 1)
    }
}

final class LockedCounter: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.lock(); count += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
}
