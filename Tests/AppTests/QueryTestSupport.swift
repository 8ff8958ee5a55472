import Foundation
import SQLite
import TestSupport
@testable import Feedback

/// A row the test inserts with a known time, kept to compute expected answers independently.
struct Seeded {
    let id: Int64
    let page: String
    let rating: Rating
    let reason: String?
    let comment: String?
    let source: String
    let version: String
    let at: Int64
}

extension LiveApp {
    func token(_ scope: Scope, name: String? = nil) throws -> String {
        try app.store.write { try $0.createToken(name: name ?? "t-\(scope.rawValue)-\(UUID().uuidString.prefix(8))", scope: scope) }
    }

    /// Inserts rows straight through the backend's write path at chosen times, folded (rollups, search) before it returns.
    func insert(_ rows: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)]) throws -> [Seeded] {
        let ids = try database.store(rows.map { row in
            (NewFeedback(page: row.page, pageKey: row.page, rating: row.rating, reason: row.reason, comment: row.comment,
                         source: row.source, labels: [("version", row.version)], email: nil, userAgent: nil, origin: nil,
                         referer: nil, clientAddress: nil), at: row.at)
        })
        return zip(ids, rows).map { id, row in
            Seeded(id: id, page: row.page, rating: row.rating, reason: row.reason, comment: row.comment,
                   source: row.source, version: row.version, at: row.at)
        }
    }

    /// A deterministic mix of pages, ratings, reasons, comments, sources and versions over `days` days.
    func insertMix(count: Int, days: Int = 20, now: Int64 = Timestamp.nowMilliseconds()) throws -> [Seeded] {
        let pages = ["/guides/auth", "/guides/auth/tokens", "/guides/billing", "/api/users", "/api/orders", "https://docs.example.com/a"]
        let reasons: [String?] = [nil, "outdated", "inaccurate", "good-examples", nil]
        let sources = ["docs", "portal", "guide"]
        var rows: [(page: String, rating: Rating, reason: String?, comment: String?, source: String, version: String, at: Int64)] = []
        for i in 0..<count {
            rows.append((pages[i % pages.count], (i * 7) % 3 == 0 ? .down : .up, reasons[i % reasons.count],
                         i % 4 == 0 ? "comment \(i) about tokens" : nil, sources[i % sources.count], "v\(i % 2 + 1)",
                         now - Int64(days) * 86_400_000 + Int64(i) * (Int64(days) * 86_400_000 / Int64(count))))
        }
        return try insert(rows)
    }

    func get(_ path: String, token: String?, accept: String? = nil) throws -> RawClient.Response {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        if let accept { headers.append(("Accept", accept)) }
        return try RawClient.request(port: port, "GET", path, headers: headers)
    }

    func send(_ method: String, _ path: String, token: String?, body: String? = nil) throws -> RawClient.Response {
        var headers: [(String, String)] = []
        if let token { headers.append(("Authorization", "Bearer \(token)")) }
        return try RawClient.request(port: port, method, path, body: body, headers: headers)
    }
}

extension RawClient.Response {
    var items: [[String: Any]] { (json?["items"] as? [[String: Any]]) ?? [] }
}

/// An RFC 4180 reader for checking that CSV answers parse back.
enum CSVReader {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false
        var chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else {
                field.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        chars.removeAll()
        return rows
    }
}
