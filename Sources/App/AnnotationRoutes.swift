import Feedback
import Foundation
import HTTP

/// Annotations: events on the docs (deploys, rewrites, fixed examples) that changes are measured from.
struct AnnotationRoutes {
    let access: TeamAccess
    let rules: FeedbackRules

    static let columns = ["id", "at", "page", "page_prefix", "note", "url", "created_at", "created_by"]

    static func row(_ a: Annotation) -> [Cell] {
        [.int(Int(a.id)), .time(a.at), .text(a.page), .text(a.pagePrefix), .text(a.note), .text(a.url), .time(a.createdAt), .text(a.createdBy)]
    }

    func register(in router: inout Router) {
        router.add("POST", "/v1/annotations", bodyLimit: 16 * 1024, access.write(.triage) { request, token, db in
            let new = try Self.parse(JSONObjectBody.parse(request, route: "POST /v1/annotations"), rules: rules, createdBy: token.name)
            let annotation = try db.createAnnotation(new)
            let json = ResultTable(columns: Self.columns, rows: []).jsonObject(Self.row(annotation))
            return JSONBody.response(.created, json, headers: [("Location", "/v1/annotations/\(annotation.id)")])
        })
        router.get("/v1/annotations", access.read(.read) { request, _, db in
            let params = try QueryParameters(request, allowed: ["page", "page_prefix", "since", "until", "limit", "cursor", "format"])
            let format = try OutputFormat.choose(request)
            var filter = AnnotationFilter()
            (filter.page, filter.pagePrefix) = try params.pageFilters(rules: rules)
            filter.since = try params.time("since")
            filter.until = try params.time("until")
            let limit = try params.integer("limit", default: 50, range: 1...1000)
            var offset = 0
            if let cursor = params.string("cursor") {
                guard let value = Cursor.decodeOffset(cursor) else { throw APIError.parameter("cursor", "is not a cursor from a previous answer") }
                offset = value
            }
            let items = try db.annotations(filter, limit: limit + 1, offset: offset)
            let next = items.count > limit ? Cursor.encode(offset: offset + limit) : nil
            var response = format.render(ResultTable(columns: Self.columns, rows: items.prefix(limit).map(Self.row)),
                                         envelope: [("next_cursor", next.map(JSONText.quoted) ?? "null")])
            if let next { response.headers.add("X-Next-Cursor", next) }
            return response
        })
        router.add("DELETE", "/v1/annotations/:id", access.write(.triage) { request, _, db in
            guard let text = request.parameters["id"], let id = Int64(text), id > 0 else {
                throw APIError(.notFound, "not_found", "annotation ids are positive integers", field: "id")
            }
            guard try db.deleteAnnotation(id: id) else { throw APIError(.notFound, "not_found", "no annotation with id \(id)", field: "id") }
            return Response(status: .noContent)
        })
    }

    /// `{"at", "page" | "page_prefix", "note", "url"}`; `at` defaults to now.
    static func parse(_ object: [String: Any], rules: FeedbackRules, createdBy: String?, now: Int64 = Timestamp.nowMilliseconds()) throws -> NewAnnotation {
        for key in object.keys where !["at", "page", "page_prefix", "note", "url"].contains(key) {
            throw JSONObjectBody.field(key, "is not a field of an annotation; send at, page or page_prefix, note, url")
        }
        var at = now
        if let text = try JSONObjectBody.string(object, "at", max: 64) {
            guard let value = QueryParameters.parseTime(text, now: now) else {
                throw JSONObjectBody.field("at", "must be an RFC 3339 time or a date YYYY-MM-DD")
            }
            at = value
        }
        let page = try JSONObjectBody.string(object, "page", max: 2048)
        let prefix = try JSONObjectBody.string(object, "page_prefix", max: 2048)
        guard (page == nil) != (prefix == nil) else {
            throw JSONObjectBody.field("page", page == nil ? "is required, or page_prefix instead" : "and page_prefix exclude each other; give one")
        }
        var new = NewAnnotation(at: at, page: nil, pagePrefix: nil, note: "", url: nil, createdBy: createdBy)
        do {
            if let page { new.page = try rules.normalizer.normalize(page) }
            if let prefix {
                let normalized = try rules.normalizer.normalize(prefix)
                new.pagePrefix = prefix.hasSuffix("/") && !normalized.hasSuffix("/") ? normalized + "/" : normalized
            }
        } catch {
            throw JSONObjectBody.field(page == nil ? "page_prefix" : "page", "must be an absolute http(s) URL or a path starting with /")
        }
        guard let note = try JSONObjectBody.string(object, "note", max: Annotations.maxNoteLength)?.trimmingCharacters(in: .whitespacesAndNewlines),
              !note.isEmpty else {
            throw JSONObjectBody.field("note", "is required: 1 to \(Annotations.maxNoteLength) characters saying what changed")
        }
        new.note = note
        if let url = try JSONObjectBody.string(object, "url", max: 2048) {
            guard JSONObjectBody.httpURL(url) else { throw JSONObjectBody.field("url", "must be an absolute http(s) URL") }
            new.url = url
        }
        return new
    }
}
