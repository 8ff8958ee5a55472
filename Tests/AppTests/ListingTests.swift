import Foundation
import Testing
import TestSupport
@testable import Feedback

@Suite struct ListingTests {
    @Test(arguments: Backend.allCases) func filtersMatchAnIndependentComputation(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let rows = try live.insertMix(count: 120)
        func ids(_ query: String) throws -> [Int64] {
            let response = try live.get("/v1/feedback?limit=1000&" + query, token: token)
            #expect(response.status == 200, "\(query): \(response)")
            return response.items.compactMap { ($0["id"] as? Int).map(Int64.init) }
        }
        func expected(_ keep: (Seeded) -> Bool) -> [Int64] { rows.filter(keep).map(\.id).sorted(by: >) }
        #expect(try ids("") == expected { _ in true })
        #expect(try ids("page=/guides/auth/") == expected { $0.page == "/guides/auth" })
        #expect(try ids("page_prefix=/guides/auth") == expected { $0.page.hasPrefix("/guides/auth") })
        #expect(try ids("source=portal") == expected { $0.source == "portal" })
        #expect(try ids("rating=down") == expected { $0.rating == .down })
        #expect(try ids("reason=outdated") == expected { $0.reason == "outdated" })
        #expect(try ids("has_comment=true") == expected { $0.comment != nil })
        #expect(try ids("has_comment=false&rating=up") == expected { $0.comment == nil && $0.rating == .up })
        #expect(try ids("label.version=v2") == expected { $0.version == "v2" })
        #expect(try ids("q=tokens") == expected { $0.comment?.contains("tokens") == true })
        #expect(try ids("q=comment%201*") == expected { $0.comment?.hasPrefix("comment 1") == true })
        let middle = rows[60].at
        let since = Timestamp.rfc3339(milliseconds: middle)
        #expect(try ids("since=\(since)") == expected { $0.at >= middle })
        #expect(try ids("until=\(since)&source=docs") == expected { $0.at < middle && $0.source == "docs" })
        #expect(try ids("since=7d") == expected { $0.at >= Timestamp.nowMilliseconds() - 7 * 86_400_000 })
        #expect(try ids("status=new") == expected { _ in true })
        #expect(try ids("status=spam").isEmpty)
    }

    @Test(arguments: [
        ("limit=0", "limit"), ("limit=1001", "limit"), ("rating=meh", "rating"), ("status=done", "status"),
        ("has_comment=maybe", "has_comment"), ("since=yesterday", "since"), ("cursor=bogus", "cursor"),
        ("page=not-a-url", "page"), ("pgae=/a", "pgae"), ("format=xml", "format"), ("limit=1&limit=2", "limit"),
    ], Backend.allCases)
    func invalidParametersAre400NamingTheParameter(_ invalid: (String, String), _ backend: Backend) throws {
        let (query, parameter) = invalid
        let live = try LiveApp(backend)
        let response = try live.get("/v1/feedback?" + query, token: try live.token(.read))
        #expect(response.status == 400)
        #expect(errorField(response).field == parameter)
    }

    @Test(arguments: Backend.allCases) func paginationNeitherSkipsNorRepeatsUnderConcurrentInserts(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        let initial = try live.insertMix(count: 95)
        var seen: [Int64] = []
        var cursor: String?
        var pages = 0
        repeat {
            let response = try live.get("/v1/feedback?limit=10" + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
            #expect(response.status == 200)
            seen += response.items.compactMap { ($0["id"] as? Int).map(Int64.init) }
            cursor = response.json?["next_cursor"] as? String
            // New feedback arrives between pages.
            #expect(try live.post(#"{"page":"/new","rating":"up"}"#).status == 201)
            pages += 1
        } while cursor != nil && pages < 50
        #expect(pages == 10)
        #expect(seen == initial.map(\.id).sorted(by: >))
    }

    @Test(arguments: Backend.allCases) func getPatchAndDeleteOneRecord(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let triager = try live.token(.triage), admin = try live.token(.admin)
        let created = try live.post(#"{"page":"/x","rating":"down","comment":"needle in comment"}"#)
        let id = created.json?["id"] as? Int ?? -1
        let fetched = try live.get("/v1/feedback/\(id)", token: triager)
        #expect(fetched.json?["comment"] as? String == "needle in comment")
        #expect(fetched.json?["status"] as? String == "new")

        let patched = try live.send("PATCH", "/v1/feedback/\(id)", token: triager,
                                    body: #"{"status":"triaged","note":"known issue","tags":["auth","docs-bug"],"issue_url":"https://github.com/o/r/issues/1"}"#)
        #expect(patched.status == 200)
        #expect(patched.json?["status"] as? String == "triaged")
        #expect(patched.json?["note"] as? String == "known issue")
        #expect(patched.json?["tags"] as? [String] == ["auth", "docs-bug"])
        #expect(patched.json?["issue_url"] as? String == "https://github.com/o/r/issues/1")
        #expect(patched.json?["updated_at"] as? String != nil)
        let cleared = try live.send("PATCH", "/v1/feedback/\(id)", token: triager, body: #"{"note":null}"#)
        #expect(cleared.json?["note"] is NSNull)
        #expect(cleared.json?["status"] as? String == "triaged")

        for (body, field) in [(#"{"rating":"up"}"#, "rating"), (#"{"status":"closed"}"#, "status"), (#"{"issue_url":"javascript:x"}"#, "issue_url"),
                              (#"{"tags":"one"}"#, "tags")] {
            let bad = try live.send("PATCH", "/v1/feedback/\(id)", token: triager, body: body)
            #expect(bad.status == 400)
            #expect(errorField(bad).field == field)
        }
        #expect(try live.send("PATCH", "/v1/feedback/424242", token: triager, body: #"{"status":"spam"}"#).status == 404)

        #expect(try live.get("/v1/feedback?q=needle", token: admin).items.count == 1)
        #expect(try live.send("DELETE", "/v1/feedback/\(id)", token: admin).status == 204)
        #expect(try live.get("/v1/feedback/\(id)", token: admin).status == 404)
        #expect(try live.get("/v1/feedback?q=needle", token: admin).items.isEmpty)
        #expect(try live.count("SELECT count(*) FROM feedback_labels WHERE feedback_id = ?", [id]) == 0)
        #expect(try live.count("SELECT coalesce(sum(up + down), 0) FROM rollup_daily") == 0)
    }

    @Test(arguments: Backend.allCases) func formatsRenderTheSameRows(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let token = try live.token(.read)
        _ = try live.post(#"{"page":"/f","rating":"down","comment":"=HYPERLINK(\"http://evil\",\"x\"), with \"quotes\"\nand a newline"}"#)
        _ = try live.post(#"{"page":"/g","rating":"up","comment":"@SUM(A1)"}"#)

        let csv = try live.get("/v1/feedback?format=csv", token: token)
        #expect(csv.header("Content-Type")?.hasPrefix("text/csv") == true)
        let table = CSVReader.parse(csv.text)
        #expect(table.count == 3)
        let header = table[0]
        let comment = header.firstIndex(of: "comment") ?? 0
        #expect(table[1][comment] == "'@SUM(A1)")
        #expect(table[2][comment] == "'=HYPERLINK(\"http://evil\",\"x\"), with \"quotes\"\nand a newline")
        #expect(table.allSatisfy { $0.count == header.count })

        let viaAccept = try live.get("/v1/feedback", token: token, accept: "text/csv")
        #expect(viaAccept.text == csv.text)

        let json = try live.get("/v1/feedback", token: token)
        #expect(json.items.count == 2)
        #expect(json.json?["next_cursor"] is NSNull)
        let expected = json.items.map { "\($0["id"] ?? "") \($0["page"] ?? "") \($0["rating"] ?? "") \($0["comment"] ?? "")" }
        #expect(Set(json.items.compactMap { $0["comment"] as? String }) == ["@SUM(A1)", "=HYPERLINK(\"http://evil\",\"x\"), with \"quotes\"\nand a newline"],
                "JSON carries the comments as written: formula escaping is for CSV only")

        // One JSON object a line, the same rows in the same order with the same values as the JSON answer.
        let ndjson = try live.get("/v1/feedback", token: token, accept: "application/x-ndjson")
        let objects = ndjson.text.split(separator: "\n").map { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        #expect(objects.count == 2 && objects.allSatisfy { $0 != nil })
        #expect(objects.map { "\($0?["id"] ?? "") \($0?["page"] ?? "") \($0?["rating"] ?? "") \($0?["comment"] ?? "")" } == expected)

        // The table: a header, a rule, then each row starting with its id, line breaks shown as spaces.
        let text = try live.get("/v1/feedback?format=table", token: token)
        #expect(text.header("Content-Type")?.hasPrefix("text/plain") == true)
        let textLines = text.text.split(separator: "\n").map(String.init)
        #expect(textLines.first?.hasPrefix("id") == true)
        #expect(textLines.count == 4)
        for (item, line) in zip(json.items, textLines.dropFirst(2)) {
            let comment = (item["comment"] as? String ?? "").replacingOccurrences(of: "\n", with: " ")
            #expect(line.hasPrefix("\(item["id"] as? Int ?? -1) ") && line.contains("  \(item["page"] as? String ?? "?")  ") && line.contains(comment), "\(line)")
        }
    }
}
