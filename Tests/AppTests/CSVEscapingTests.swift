import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// Every CSV the service writes (listings, the streamed export, `hearken export`) defuses text cells
/// a spreadsheet would run as a formula: those starting with =, +, -, @, tab or CR get a leading `'`.
@Suite struct CSVEscapingTests {
    static let starters = ["=", "+", "-", "@", "\t", "\r"]

    /// The comment cell of every row, parsed back from CSV.
    private static func cells(_ csv: String) throws -> [(comment: String, id: String)] {
        let table = CSVReader.parse(csv)
        let header = try #require(table.first)
        let comment = try #require(header.firstIndex(of: "comment"))
        return table.dropFirst().map { ($0[comment], $0[0]) }
    }

    private static func check(_ csv: String, in context: String) throws {
        let rows = try cells(csv)
        #expect(rows.count == starters.count + 1, "\(context): \(rows.count) rows")
        for starter in starters {
            let escaped = "'" + starter + "SUM(A1:A9)"
            #expect(rows.contains { $0.comment == escaped }, "\(context): comment starting with \(starter.debugDescription) not defused")
        }
        // Only the start of a cell matters: text with the characters inside is left alone.
        #expect(rows.contains { $0.comment == "safe = + - @ inside" }, "\(context)")
    }

    @Test func listingsAndExportsDefuseFormulaCellsForEveryStarter() throws {
        let live = try LiveApp()
        let token = try live.token(.admin)
        let now = Timestamp.nowMilliseconds()
        // Straight into storage, so a leading tab or CR survives (validation trims them from submissions).
        _ = try live.insert(Self.starters.enumerated().map { i, starter in
            ("/guide/csv", .down, nil, starter + "SUM(A1:A9)", "docs", "v1", now - Int64(i) * 1000)
        } + [("/guide/csv", .up, nil, "safe = + - @ inside", "docs", "v1", now - 10_000)])

        let listing = try live.get("/v1/feedback?format=csv", token: token)
        #expect(listing.status == 200)
        try Self.check(listing.text, in: "listing")
        let export = try live.get("/v1/export?format=csv", token: token)
        #expect(export.status == 200)
        try Self.check(export.text, in: "streamed export")
        let command = try ServerProcess(["export", "--format", "csv", "--db", live.directory.file("hearken.db")], waitForPort: false)
        #expect(command.waitForExit() == 0)
        try Self.check(command.log, in: "hearken export")
        // Number cells are never prefixed.
        #expect(try Self.cells(listing.text).allSatisfy { !$0.id.isEmpty && $0.id.allSatisfy(\.isNumber) })
    }

    @Test func submittedTextAndTriageFieldsAreDefusedToo() throws {
        let live = try LiveApp()
        let token = try live.token(.admin)
        var ids: [Int] = []
        for (i, starter) in ["=", "+", "-", "@"].enumerated() {
            let response = try live.post(#"{"page":"/p\#(i)","rating":"up","comment":"\#(starter)HYPERLINK(1)"}"#)
            #expect(response.status == 201)
            ids.append(response.json?["id"] as? Int ?? -1)
        }
        let patched = try live.send("PATCH", "/v1/feedback/\(ids[0])", token: token, body: #"{"note":"=1+1","tags":["-tag"]}"#)
        #expect(patched.status == 200)
        let table = CSVReader.parse(try live.get("/v1/feedback?format=csv", token: token).text)
        let header = try #require(table.first)
        let comment = try #require(header.firstIndex(of: "comment"))
        let note = try #require(header.firstIndex(of: "note")), tags = try #require(header.firstIndex(of: "tags"))
        let rows = Array(table.dropFirst())
        #expect(rows.count == 4)
        for starter in ["=", "+", "-", "@"] {
            #expect(rows.contains { $0[comment] == "'\(starter)HYPERLINK(1)" }, "comment \(starter)")
        }
        let first = try #require(rows.first { $0[0] == String(ids[0]) })
        #expect(first[note] == "'=1+1", "note cell: \(first[note].debugDescription)")
        #expect(first[tags].hasPrefix("'-"), "tags cell: \(first[tags].debugDescription)")
    }
}
