import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

@Suite struct AnnotationTests {
    static let day: Int64 = 86_400_000

    @Test func createListFilterAndDelete() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let triage = try live.token(.triage)
        let reader = try live.token(.read)
        #expect(try live.request("POST", "/v1/annotations", token: reader, body: #"{"page":"/a","note":"x"}"#).status == 403)
        let created = try live.request("POST", "/v1/annotations", token: triage,
                                       body: #"{"page":"https://Docs.example.com/guides/auth/","note":"rewrote the token example","url":"https://github.com/o/r/pull/1","at":"2026-11-20T10:00:00Z"}"#)
        #expect(created.status == 201, "\(created)")
        #expect(created.json?["page"] as? String == "https://docs.example.com/guides/auth")
        #expect(created.json?["at"] as? String == "2026-11-20T10:00:00.000Z")
        #expect(try live.request("POST", "/v1/annotations", token: triage, body: #"{"page_prefix":"/api/","note":"new API reference"}"#).status == 201)
        for (body, field) in [(#"{"note":"no page"}"#, "page"), (#"{"page":"/a","page_prefix":"/b","note":"both"}"#, "page"),
                              (#"{"page":"/a"}"#, "note"), (#"{"page":"/a","note":"x","url":"javascript:alert(1)"}"#, "url"),
                              (#"{"page":"/a","note":"x","at":"yesterday"}"#, "at"), (#"{"page":"/a","note":"x","color":"red"}"#, "color")] {
            let bad = try live.request("POST", "/v1/annotations", token: triage, body: body)
            #expect(bad.status == 400 && errorField(bad).field == field, "\(body): \(bad)")
        }
        let all = try live.request("GET", "/v1/annotations", token: reader)
        #expect(all.items.count == 2)
        let onPage = try live.request("GET", "/v1/annotations?page=/api/users", token: reader)
        #expect(onPage.items.map { $0["page_prefix"] as? String } == ["/api/"], "a prefix annotation covers its pages")
        let paged = try live.request("GET", "/v1/annotations?limit=1", token: reader)
        let cursor = try #require(paged.json?["next_cursor"] as? String)
        let rest = try live.request("GET", "/v1/annotations?limit=1&cursor=\(cursor)", token: reader)
        #expect(rest.items.count == 1 && rest.json?["next_cursor"] is NSNull)
        let id = try #require(created.json?["id"] as? Int)
        #expect(try live.request("DELETE", "/v1/annotations/\(id)", token: triage).status == 204)
        #expect(try live.request("DELETE", "/v1/annotations/\(id)", token: triage).status == 404)
    }

    @Test func annotationsAppearInTheTimeseries() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let triage = try live.token(.triage)
        _ = try live.request("POST", "/v1/annotations", token: triage, body: #"{"page":"/guides/a","note":"deploy 1","at":"2d"}"#)
        _ = try live.request("POST", "/v1/annotations", token: triage, body: #"{"page":"/guides/b","note":"deploy 2","at":"1d"}"#)
        _ = try live.request("POST", "/v1/annotations", token: triage, body: #"{"page":"/guides/a","note":"long ago","at":"2020-01-01"}"#)
        let all = try live.request("GET", "/v1/stats/timeseries", token: triage)
        let notes = (all.json?["annotations"] as? [[String: Any]] ?? []).compactMap { $0["note"] as? String }
        #expect(notes == ["deploy 1", "deploy 2"], "\(all)")
        let one = try live.request("GET", "/v1/stats/timeseries?page=/guides/b", token: triage)
        #expect((one.json?["annotations"] as? [[String: Any]] ?? []).compactMap { $0["note"] as? String } == ["deploy 2"])
    }

    @Test func changesCompareEqualWindowsAndResolutionsCount() throws {
        let directory = TemporaryDirectory()
        let live = try AlertApp(path: directory.file("h.db"))
        defer { live.shutdown() }
        let reader = try live.token(.read)
        let triage = try live.token(.triage)
        let now = Timestamp.nowMilliseconds()
        let first = now - 30 * Self.day, second = now - 25 * Self.day
        try live.votes("/p", ups: 6, downs: 14, from: first - 5 * Self.day, to: first)     // before the first: 30%
        try live.votes("/p", ups: 17, downs: 3, from: first, to: second)                   // between: 85%
        try live.votes("/p", ups: 1, downs: 1, from: first - 20 * Self.day, to: first - 6 * Self.day) // outside the cut window
        for (at, note) in [(first, "fix 1"), (second, "fix 2")] {
            _ = try live.request("POST", "/v1/annotations", token: triage,
                                 body: #"{"page":"/p","note":"\#(note)","at":"\#(Timestamp.rfc3339(milliseconds: at))"}"#)
        }
        let answer = try live.request("GET", "/v1/changes?page=/p", token: reader)
        #expect(answer.status == 200, "\(answer)")
        let change = try #require(answer.items.first { $0["note"] as? String == "fix 1" })
        #expect(change["window_days"] as? Double == 5, "cut short by the next annotation on the same page")
        #expect(change["before_votes"] as? Int == 20 && change["before_up"] as? Int == 6)
        #expect(change["after_votes"] as? Int == 20 && change["after_up"] as? Int == 17)
        #expect(change["verdict"] as? String == "improved")
        #expect(change["complete"] as? Bool == true)
        let lower = try #require(change["ci_lower"] as? Double), upper = try #require(change["ci_upper"] as? Double)
        let expected = try #require(FixVerification.compare(beforeUp: 6, beforeTotal: 20, afterUp: 17, afterTotal: 20))
        #expect(abs(lower - expected.lower) < 1e-5 && abs(upper - expected.upper) < 1e-5 && lower > 0)
        // A record marked resolved counts as an annotation of its page when it was resolved.
        let record = try live.app.store.readNow { try $0.first("SELECT id FROM feedback WHERE page_key = '/q' LIMIT 1") { $0.int64(0) } }
        #expect(record == nil)
        try live.votes("/q", ups: 0, downs: 1, from: now - 60_000, to: now - 1000)
        let id = try #require(try live.app.store.readNow { try $0.first("SELECT id FROM feedback WHERE page_key = '/q'") { $0.int64(0) } })
        #expect(try live.request("PATCH", "/v1/feedback/\(id)", token: triage, body: #"{"status":"resolved"}"#).status == 200)
        let resolved = try live.request("GET", "/v1/changes?page=/q", token: reader)
        #expect(resolved.items.count == 1)
        #expect(resolved.items.first?["origin"] as? String == "resolution")
        #expect(resolved.items.first?["verdict"] as? String == "too_early")
        #expect(resolved.items.first?["complete"] as? Bool == false)
        #expect(try live.request("GET", "/v1/changes?verdict=maybe", token: reader).status == 400)
    }
}
