import Feedback
import Foundation
import HTTP

/// `/dashboard/inbox`: the comment triage queue with filters, and (for triage tokens) forms that change
/// one comment's status, note, tags and issue link, or many comments' status at once.
struct InboxPage {
    let rules: FeedbackRules
    static let pageSize = 50
    static let names: Set<String> = ["status", "rating", "reason", "source", "label", "q", "page", "cursor", "done"]

    func render(_ params: QueryParameters, _ session: DashboardSession, _ db: FeedbackReader) throws -> String {
        var filter = FeedbackFilter()
        filter.hasComment = true
        filter.masksPersonalData = true
        filter.status = try params.choice("status", TriageStatus.self)
        filter.rating = try params.choice("rating", Rating.self)
        filter.reason = params.string("reason")?.lowercased()
        filter.source = params.string("source")?.lowercased()
        filter.text = params.string("q")
        if let page = params.string("page") {
            do { filter.page = try rules.normalizer.normalize(page) } catch {
                throw APIError.parameter("page", "must be an absolute http(s) URL or a path starting with /")
            }
        }
        if let label = params.string("label") {
            let parts = label.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw APIError.parameter("label", "must be KEY=VALUE, such as version=2") }
            filter.labels = [(String(parts[0]), String(parts[1]))]
        }
        var cursor: Int64?
        if let text = params.string("cursor") {
            guard let id = Cursor.decodeID(text) else { throw APIError.parameter("cursor", "is not a cursor from a previous page") }
            cursor = id
        }
        let listing = try db.feedback(filter, limit: Self.pageSize, after: cursor)
        let canEdit = session.scope >= .triage
        let keep: [(String, String?)] = ["status", "rating", "reason", "source", "label", "q", "page"].map { ($0, params.string($0)) }
        let back = "/dashboard/inbox" + QueryString.make(keep + [("cursor", params.string("cursor"))])

        var html = "<h1>Inbox</h1>\n"
        if let done = params.string("done").flatMap(Int.init) { html += "<p class=\"notice\" role=\"status\">Saved \(done) comment\(done == 1 ? "" : "s").</p>" }
        html += filters(params)
        if !canEdit { html += "<p class=\"hint\">Your token has scope read: you can look, not change.</p>" }
        if canEdit && !listing.items.isEmpty {
            html += "<form id=\"bulk\" class=\"filters\" method=\"post\" action=\"/dashboard/inbox/triage\" aria-label=\"Change the status of the selected comments\">"
            html += DashboardPage.csrfField(session) + "<input type=\"hidden\" name=\"back\" value=\"\(h(back))\">"
            // Every row's checkbox (all named "id") is labelled by this text too, which groups them.
            html += "<span id=\"bulk-label\" class=\"visually-hidden\">Select for the status change:</span>"
            html += "<label>Selected comments<select name=\"status\">" + statusOptions(nil) + "</select></label>"
            html += "<button type=\"submit\">Set status of selected</button></form>"
        }
        html += "<table><thead><tr>\(canEdit ? "<th scope=\"col\"><span class=\"visually-hidden\">Select</span></th>" : "")<th scope=\"col\">Comment</th><th scope=\"col\">Triage</th></tr></thead><tbody>"
        for record in listing.items {
            html += "<tr>"
            if canEdit {
                html += "<td><input type=\"checkbox\" form=\"bulk\" name=\"id\" value=\"\(record.id)\" id=\"select-\(record.id)\" aria-labelledby=\"bulk-label select-label-\(record.id)\">"
                html += "<span class=\"visually-hidden\" id=\"select-label-\(record.id)\">comment \(record.id)</span></td>"
            }
            html += "<td class=\"comment\"><p>\(h(Widgets.commentText(record, showPersonalData: false)))</p>"
            html += "<p class=\"muted\">\(h(Timestamp.day(milliseconds: record.receivedAt))) · <span class=\"rating-\(record.rating == "up" ? "up" : "down")\">\(record.rating == "up" ? "Yes" : "No")</span>"
            if let reason = record.reason { html += " · \(h(reason))" }
            html += " · \(h(record.source)) · \(Widgets.pageLink(record.pageKey))</p></td><td>"
            html += canEdit ? editForm(record, session, back: back) : readOnly(record)
            html += "</td></tr>"
        }
        if listing.items.isEmpty { html += "<tr><td colspan=\"3\" class=\"muted\">No comments match.</td></tr>" }
        html += "</tbody></table>"
        if let next = listing.nextCursor {
            html += "<nav class=\"pager\" aria-label=\"Pagination\"><a href=\"/dashboard/inbox\(h(QueryString.make(keep + [("cursor", next)])))\" rel=\"next\">Older comments</a></nav>"
        }
        return html
    }

    private func filters(_ params: QueryParameters) -> String {
        func select(_ name: String, _ label: String, _ values: [String]) -> String {
            let current = params.string(name)
            return "<label>\(label)<select name=\"\(name)\"><option value=\"\">Any</option>"
                + values.map { "<option value=\"\(h($0))\"\(current == $0 ? " selected" : "")>\(h($0))</option>" }.joined() + "</select></label>"
        }
        func text(_ name: String, _ label: String, _ placeholder: String) -> String {
            "<label>\(label)<input type=\"text\" name=\"\(name)\" value=\"\(h(params.string(name) ?? ""))\" placeholder=\"\(h(placeholder))\"></label>"
        }
        var html = "<form class=\"filters\" method=\"get\" action=\"/dashboard/inbox\" aria-label=\"Filter comments\">"
        html += select("status", "Status", TriageStatus.allCases.map(\.rawValue)) + select("rating", "Vote", ["up", "down"])
        html += select("reason", "Reason", rules.reasons) + text("source", "Source", "docs") + text("label", "Label", "version=2")
        html += text("q", "Search comments", "words") + text("page", "Page", "https://docs.example.com/…")
        return html + "<button type=\"submit\">Filter</button></form>"
    }

    private func statusOptions(_ current: String?) -> String {
        TriageStatus.allCases.map { "<option value=\"\($0.rawValue)\"\(current == $0.rawValue ? " selected" : "")>\($0.rawValue)</option>" }.joined()
    }

    private func editForm(_ record: FeedbackRecord, _ session: DashboardSession, back: String) -> String {
        let id = record.id
        var html = "<form class=\"edit\" method=\"post\" action=\"/dashboard/inbox/triage\" aria-label=\"Triage comment \(id)\">"
        html += DashboardPage.csrfField(session) + "<input type=\"hidden\" name=\"id\" value=\"\(id)\"><input type=\"hidden\" name=\"edit\" value=\"1\">"
        html += "<input type=\"hidden\" name=\"back\" value=\"\(h(back))\">"
        html += "<label for=\"status-\(id)\">Status<select id=\"status-\(id)\" name=\"status\">\(statusOptions(record.status))</select></label>"
        html += "<label for=\"note-\(id)\">Note<input id=\"note-\(id)\" type=\"text\" name=\"note\" maxlength=\"4000\" value=\"\(h(record.note ?? ""))\"></label>"
        html += "<label for=\"tags-\(id)\">Tags<input id=\"tags-\(id)\" type=\"text\" name=\"tags\" value=\"\(h(record.tags.joined(separator: ", ")))\" placeholder=\"a, b\"></label>"
        html += "<label for=\"issue-\(id)\">Issue link<input id=\"issue-\(id)\" type=\"url\" name=\"issue_url\" maxlength=\"2048\" value=\"\(h(record.issueURL ?? ""))\"></label>"
        html += "<button type=\"submit\">Save</button></form>"
        if let issue = record.issueURL, let link = Self.issueLink(issue) { html += link }
        return html
    }

    private func readOnly(_ record: FeedbackRecord) -> String {
        var html = "<span class=\"status\">\(h(record.status))</span>"
        if let note = record.note { html += "<p>\(h(note))</p>" }
        if !record.tags.isEmpty { html += "<p class=\"muted\">\(h(record.tags.joined(separator: ", ")))</p>" }
        if let issue = record.issueURL, let link = Self.issueLink(issue) { html += link }
        return html
    }

    /// Issue links are stored as http(s) URLs, but are checked again before they become a link.
    static func issueLink(_ url: String) -> String? {
        guard url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") else { return nil }
        return "<p><a href=\"\(h(url))\" rel=\"noopener noreferrer nofollow\">Issue</a></p>"
    }
}

/// `POST /dashboard/inbox/triage`: the inbox forms. One comment (`edit=1`: status, note, tags, issue
/// link) or many (`id` repeated: status only). Checked like `PATCH /v1/feedback/{id}`.
enum InboxTriage {
    static func apply(_ fields: [String: [String]], _ db: FeedbackEditor) throws -> Response {
        let ids = (fields["id"] ?? []).compactMap { Int64($0) }.filter { $0 > 0 }
        guard !ids.isEmpty, ids.count <= 200 else { throw APIError(.badRequest, "invalid_field", "Select between 1 and 200 comments.", field: "id") }
        var object: [String: Any] = [:]
        if let status = fields["status"]?.first { object["status"] = status }
        if fields["edit"]?.first == "1" {
            guard ids.count == 1 else { throw APIError(.badRequest, "invalid_field", "Edit one comment at a time.", field: "id") }
            object["note"] = fields["note"]?.first.flatMap { $0.isEmpty ? nil : $0 } ?? NSNull()
            object["issue_url"] = fields["issue_url"]?.first.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) } ?? NSNull()
            object["tags"] = (fields["tags"]?.first ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let change = try TriageParsing.change(object)
        var updated = 0
        for id in ids where try db.triage(id: id, change) != nil { updated += 1 }
        let back = fields["back"]?.first.flatMap { $0.hasPrefix("/dashboard/inbox") && DashboardAccess.safeNext($0) == $0 ? $0 : nil } ?? "/dashboard/inbox"
        return DashboardPage.see(back + (back.contains("?") ? "&" : "?") + "done=\(updated)")
    }
}
