import Foundation
import SQLite
import Testing
import TestSupport
@testable import App
@testable import Feedback

@Suite struct TransferTests {
    @Test func exportStreamsEveryRecordInPiecesForAdminsOnly() throws {
        let live = try LiveApp()
        _ = try live.insertMix(count: 1234)
        let admin = try live.token(.admin), reader = try live.token(.read)
        #expect(try live.get("/v1/export", token: reader).status == 403)
        let response = try live.get("/v1/export", token: admin)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/x-ndjson")
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.chunks >= 3, "sent in pieces, not built in memory")
        let lines = response.text.split(separator: "\n")
        #expect(lines.count == 1234)
        let ids = lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted() && Set(ids).count == 1234, "oldest first, each once")
        let csv = try live.get("/v1/export?format=csv", token: admin)
        #expect(csv.header("Content-Type") == "text/csv; charset=utf-8")
        #expect(csv.text.components(separatedBy: "\r\n").filter { $0.hasPrefix("id,received_at") }.count == 1)
        #expect(csv.text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 1235)
        let recent = try live.get("/v1/export?since=3d", token: admin)
        let expected = try live.count("SELECT count(*) FROM feedback WHERE received_at >= ?", [Timestamp.nowMilliseconds() - 3 * 86_400_000])
        #expect(abs(recent.text.split(separator: "\n").count - expected) <= 1)
        #expect(try live.get("/v1/export?format=xml", token: admin).status == 400)
        let empty = try LiveApp()
        #expect(try empty.get("/v1/export?format=csv", token: try empty.token(.admin)).text.hasPrefix("id,received_at"))
    }

    @Test func exportMasksPersonalDataOnRequest() throws {
        let live = try LiveApp()
        _ = try live.post(#"{"page":"/a","rating":"down","comment":"write to me@example.org"}"#)
        let admin = try live.token(.admin)
        #expect(try live.get("/v1/export", token: admin).text.contains("me@example.org"))
        #expect(try live.get("/v1/export?pii=mask", token: admin).text.contains("write to [email]"))
    }

    @Test func exportThenImportRoundTripsAndImportingAgainAddsNothing() throws {
        let dir = TemporaryDirectory()
        let source = dir.file("a.db"), target = dir.file("b.db"), file = dir.file("a.ndjson")
        let seed = try ServerProcess(["seed", "--db", source, "--rows", "2500"], waitForPort: false)
        #expect(seed.waitForExit() == 0)
        try Connection(path: source).execute("UPDATE feedback SET status = 'spam', tags = '[\"bot\"]', note = 'n' WHERE id % 10 = 0")
        let export = Process()
        export.executableURL = ServerProcess.binary
        export.arguments = ["export", "--db", source]
        _ = FileManager.default.createFile(atPath: file, contents: nil)
        export.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try export.run()
        export.waitUntilExit()
        #expect(export.terminationStatus == 0)
        let first = try ServerProcess(["import", file, "--db", target], waitForPort: false)
        #expect(first.waitForExit() == 0)
        #expect(first.log.contains("imported 2500, already present 0, rejected 0"))
        let again = try ServerProcess(["import", file, "--db", target], waitForPort: false)
        #expect(again.waitForExit() == 0)
        #expect(again.log.contains("imported 0, already present 2500, rejected 0"))
        let a = try Connection(path: source), b = try Connection(path: target)
        for sql in ["SELECT count(*) FROM feedback", "SELECT count(*) FROM feedback WHERE status = 'spam' AND note = 'n' AND tags = '[\"bot\"]'",
                    "SELECT count(*) FROM feedback WHERE comment IS NOT NULL", "SELECT count(*) FROM feedback_labels",
                    "SELECT sum(received_at % 100000) FROM feedback"] {
            #expect(try a.first(sql) { $0.int64(0) } == b.first(sql) { $0.int64(0) }, "\(sql)")
        }
        // The imported rollups count exactly the non-spam rows (the source's were bypassed by the raw UPDATE above).
        let counted = try b.first("SELECT sum(up), sum(down), sum(comments) FROM rollup_page_total") { [$0.int(0), $0.int(1), $0.int(2)] }
        let rows = try b.first("SELECT sum(rating = 'up'), sum(rating = 'down'), sum(comment IS NOT NULL) FROM feedback WHERE status <> 'spam'") {
            [$0.int(0), $0.int(1), $0.int(2)]
        }
        #expect(counted == rows)
    }

    @Test func importReportsRejectedLinesAndKeepsTheGoodOnes() throws {
        let dir = TemporaryDirectory()
        let file = dir.file("mixed.ndjson")
        try """
            {"page":"/ok","rating":"up","received_at":"2026-01-02T03:04:05Z","labels":{"v":"2"}}
            not json at all
            {"page":"/bad","rating":"sideways","received_at":"2026-01-02T03:04:05Z"}

            {"page":"/no-time","rating":"up"}
            {"page":"/bad-status","rating":"up","received_at":"2026-01-02T03:04:05Z","status":"archived"}
            {"page":"/ok2","rating":"down","received_at":"2026-01-02T03:04:05.5+02:00","comment":"fine"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try ServerProcess(["import", file, "--db", dir.file("h.db")], waitForPort: false)
        #expect(run.waitForExit() == 2)
        #expect(run.log.contains("line 2: rejected: not a JSON object"))
        #expect(run.log.contains("line 3: rejected: rating must be"))
        #expect(run.log.contains("line 5: rejected: received_at must be an RFC 3339 time"))
        #expect(run.log.contains("line 6: rejected: status must be one of"))
        #expect(run.log.contains("imported 2, already present 0, rejected 4"))
        let db = try Connection(path: dir.file("h.db"))
        #expect(try db.first("SELECT received_at FROM feedback WHERE page = '/ok2'") { $0.int64(0) } == 1_767_315_845_500)
    }
}
