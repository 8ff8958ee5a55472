import Feedback
import Foundation
import HTTP

/// Listing, reading, triaging and erasing feedback records.
struct FeedbackRoutes {
    let access: TeamAccess
    let rules: FeedbackRules

    static let listNames: Set<String> = ["page", "page_prefix", "source", "rating", "reason", "status", "has_comment", "label.*",
                                         "q", "since", "until", "limit", "cursor", "format", "pii"]

    func register(in router: inout Router) {
        router.get("/v1/feedback", access.read(.read) { request, token, db in try list(request, token, db) })
        router.get("/v1/feedback/:id", access.read(.read) { request, token, db in
            let params = try QueryParameters(request, allowed: ["pii"])
            let show = try Self.showPersonalData(params, token)
            let id = try Self.id(request)
            guard let record = try db.feedback(id: id) else { throw Self.notFound(id) }
            return JSONBody.response(.ok, Self.table([record]).jsonObject(Self.row(record, showPersonalData: show)))
        })
        router.add("PATCH", "/v1/feedback/:id", bodyLimit: 16 * 1024, access.write(.triage) { request, _, db in
            let id = try Self.id(request)
            let change = try TriageParsing.parse(request)
            guard let record = try db.triage(id: id, change) else { throw Self.notFound(id) }
            return JSONBody.response(.ok, Self.table([record]).jsonObject(Self.row(record)))
        })
        router.add("DELETE", "/v1/feedback/:id", access.write(.admin) { request, _, db in
            let id = try Self.id(request)
            guard try db.erase(id: id) else { throw Self.notFound(id) }
            return Response(status: .noContent)
        })
    }

    private func list(_ request: Request, _ token: TokenInfo, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: Self.listNames)
        let format = try OutputFormat.choose(request)
        let show = try Self.showPersonalData(params, token)
        var filter = FeedbackFilter()
        (filter.page, filter.pagePrefix) = try params.pageFilters(rules: rules)
        filter.source = params.string("source")?.lowercased()
        filter.rating = try params.choice("rating", Rating.self)
        filter.reason = params.string("reason")?.lowercased()
        filter.status = try params.choice("status", TriageStatus.self)
        filter.hasComment = try params.boolean("has_comment")
        filter.labels = params.labels
        filter.text = params.string("q")
        filter.masksPersonalData = !show
        filter.since = try params.time("since")
        filter.until = try params.time("until")
        let limit = try params.integer("limit", default: 50, range: 1...1000)
        var cursor: Int64?
        if let text = params.string("cursor") {
            guard let id = Cursor.decodeID(text) else { throw APIError.parameter("cursor", "is not a cursor from a previous answer") }
            cursor = id
        }
        let page = try db.feedback(filter, limit: limit, after: cursor)
        var response = format.render(Self.table(page.items, showPersonalData: show), envelope: [("next_cursor", page.nextCursor.map(JSONText.quoted) ?? "null")])
        if let next = page.nextCursor { response.headers.add("X-Next-Cursor", next) }
        return response
    }

    static func id(_ request: Request) throws -> Int64 {
        guard let text = request.parameters["id"], let id = Int64(text), id > 0 else {
            throw APIError(.notFound, "not_found", "feedback ids are positive integers", field: "id")
        }
        return id
    }

    static func notFound(_ id: Int64) -> APIError { APIError(.notFound, "not_found", "no feedback with id \(id)", field: "id") }

    static let columns = ["id", "received_at", "page", "page_key", "rating", "reason", "comment", "source", "labels", "email",
                          "user_agent", "origin", "referer", "status", "note", "tags", "issue_url", "updated_at", "pii"]

    /// `pii=show` reveals comments flagged as holding personal data, for admin tokens only; by default
    /// the email addresses, phone and card numbers in them are masked.
    static func showPersonalData(_ params: QueryParameters, _ token: TokenInfo) throws -> Bool {
        switch params.string("pii") {
        case nil, "mask": return false
        case "show":
            guard token.scope >= .admin else {
                throw APIError(.forbidden, "insufficient_scope", "pii=show needs a token with scope admin; \(token.name) has \(token.scope.rawValue)")
            }
            return true
        default: throw APIError.parameter("pii", "must be mask or show")
        }
    }

    static func table(_ records: [FeedbackRecord], showPersonalData: Bool = false) -> ResultTable {
        ResultTable(columns: columns, rows: records.map { row($0, showPersonalData: showPersonalData) })
    }

    static func row(_ r: FeedbackRecord, showPersonalData: Bool = false) -> [Cell] {
        let comment = r.pii && !showPersonalData ? r.comment.map(PersonalData.mask) : r.comment
        return [.int(Int(r.id)), .time(r.receivedAt), .text(r.page), .text(r.pageKey), .text(r.rating), .text(r.reason), .text(comment),
                .text(r.source), .map(r.labels), .text(r.email), .text(r.userAgent), .text(r.origin), .text(r.referer), .text(r.status),
                .text(r.note), .list(r.tags), .text(r.issueURL), .time(r.updatedAt), .bool(r.pii)]
    }
}

/// The JSON body of `PATCH /v1/feedback/{id}`.
enum TriageParsing {
    static func parse(_ request: Request) throws -> TriageUpdate {
        guard request.contentType == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "PATCH takes application/json")
        }
        let object: [String: Any]
        do {
            guard let decoded = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] else {
                throw APIError(.badRequest, "invalid_json", "request body must be a JSON object")
            }
            object = decoded
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badRequest, "invalid_json", "request body is not valid JSON")
        }
        return try change(object)
    }

    /// The change a decoded object asks for, each field checked (shared with the dashboard's triage forms).
    static func change(_ object: [String: Any]) throws -> TriageUpdate {
        var change = TriageUpdate()
        for (key, value) in object {
            switch key {
            case "status":
                guard let text = value as? String, let status = TriageStatus(rawValue: text) else {
                    throw field(key, "must be one of new, triaged, resolved, spam")
                }
                change.status = status
            case "note":
                change.note = try optionalText(key, value, max: 4000)
            case "issue_url":
                let url = try optionalText(key, value, max: 2048)
                if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) || url.contains(where: { $0.isWhitespace }) {
                    throw field(key, "must be an http(s) URL")
                }
                change.issueURL = .some(url)
            case "tags":
                guard let tags = value as? [String], tags.count <= 20,
                      tags.allSatisfy({ (1...32).contains($0.count) && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_.:".contains($0) } }) else {
                    throw field(key, "must be a list of at most 20 tags of 1-32 letters, digits, '-', '_', '.' or ':'")
                }
                change.tags = Array(Set(tags)).sorted()
            default:
                throw field(key, "cannot be changed; triage changes status, note, tags and issue_url")
            }
        }
        guard !change.isEmpty else { throw APIError(.badRequest, "invalid_json", "nothing to change: send status, note, tags or issue_url") }
        return change
    }

    private static func optionalText(_ key: String, _ value: Any, max: Int) throws -> String? {
        if value is NSNull { return nil }
        guard let text = value as? String, text.count <= max else { throw field(key, "must be a string of at most \(max) characters, or null") }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    private static func field(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_field", "\(name) \(message)", field: name)
    }
}
