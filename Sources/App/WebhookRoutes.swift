import Feedback
import Foundation
import HTTP

/// Admin API for webhooks: list, create (the secret is shown once), delete, send a test, deliveries.
struct WebhookRoutes {
    let access: TeamAccess
    let dispatcher: WebhookDispatcher

    static let columns = ["id", "url", "format", "events", "created_at", "disabled_at", "disabled_reason"]

    static func row(_ w: Webhook) -> [Cell] {
        [.int(Int(w.id)), .text(w.url), .text(w.format.rawValue), .list(w.events.map(\.rawValue)), .time(w.createdAt), .time(w.disabledAt), .text(w.disabledReason)]
    }

    func register(in router: inout Router) {
        router.get("/v1/webhooks", access.read(.admin) { request, _, db in
            _ = try QueryParameters(request, allowed: ["format"])
            return try OutputFormat.choose(request).render(ResultTable(columns: Self.columns, rows: try db.webhooks().map(Self.row)))
        })
        router.add("POST", "/v1/webhooks", bodyLimit: 8192, access.write(.admin) { request, _, db in
            let object = try JSONObjectBody.parse(request, route: "POST /v1/webhooks")
            let (url, format, events, secret) = try Self.parse(object)
            let webhook: Webhook
            do {
                webhook = try db.createWebhook(url: url, format: format, events: events, secret: secret)
            } catch let error as WebhookError {
                throw JSONObjectBody.field(error == .invalidSecret ? "secret" : error == .noEvents ? "events" : "url", error.description)
            }
            var json = ResultTable(columns: Self.columns, rows: []).jsonObject(Self.row(webhook))
            json.removeLast()
            json += ",\"secret\":\(JSONText.quoted(webhook.secret))}"
            return JSONBody.response(.created, json, headers: [("Location", "/v1/webhooks/\(webhook.id)"), ("Cache-Control", "no-store")])
        })
        router.add("DELETE", "/v1/webhooks/:id", access.write(.admin) { request, _, db in
            let id = try Self.id(request)
            guard try db.deleteWebhook(id: id) else { throw Self.notFound(id) }
            return Response(status: .noContent)
        })
        router.add("POST", "/v1/webhooks/:id/test", access.write(.admin) { request, _, db in
            let id = try Self.id(request)
            guard let webhook = try db.reader.webhook(id: id) else { throw Self.notFound(id) }
            let now = Timestamp.nowMilliseconds()
            let deliveryID = try db.enqueue(event: "test", to: webhook, body: WebhookPayloads.test(webhookID: id, format: webhook.format, now: now),
                                            now: now)
            dispatcher.wake()
            return JSONBody.response(.accepted, JSONBody.object([("delivery_id", String(deliveryID)), ("webhook_id", String(id))]),
                                     headers: [("Location", "/v1/webhooks/\(id)/deliveries")])
        })
        router.get("/v1/webhooks/:id/deliveries", access.read(.admin) { request, _, db in
            let params = try QueryParameters(request, allowed: ["limit", "cursor", "format"])
            let format = try OutputFormat.choose(request)
            let id = try Self.id(request)
            guard try db.webhook(id: id) != nil else { throw Self.notFound(id) }
            let limit = try params.integer("limit", default: 50, range: 1...1000)
            var cursor: Int64?
            if let text = params.string("cursor") {
                guard let value = Cursor.decodeID(text) else { throw APIError.parameter("cursor", "is not a cursor from a previous answer") }
                cursor = value
            }
            let deliveries = try db.deliveries(webhookID: id, limit: limit + 1, before: cursor)
            let shown = deliveries.prefix(limit)
            let next = deliveries.count > limit ? shown.last.map { Cursor.encode($0.id) } : nil
            let rows = try shown.map { d in
                let history = try db.attempts(deliveryID: d.id).map { a in
                    "\(Timestamp.rfc3339(milliseconds: a.at)) \(a.status.map(String.init) ?? "-") \(a.error ?? "ok") \(a.durationMilliseconds)ms"
                }
                return [.int(Int(d.id)), .text(d.messageID), .text(d.event), .text(d.state.rawValue), .int(d.attempts), .int(d.lastStatus), .text(d.lastError),
                        .time(d.createdAt), .time(d.state == .pending ? d.nextAttemptAt : nil), .time(d.finishedAt), .list(history)] as [Cell]
            }
            let table = ResultTable(columns: ["id", "message_id", "event", "state", "attempts", "last_status", "last_error", "created_at",
                                              "next_attempt_at", "finished_at", "history"], rows: rows)
            var response = format.render(table, envelope: [("next_cursor", next.map(JSONText.quoted) ?? "null")])
            if let next { response.headers.add("X-Next-Cursor", next) }
            return response
        })
    }

    static func parse(_ object: [String: Any]) throws -> (String, WebhookFormat, [WebhookEvent], String?) {
        for key in object.keys where !["url", "format", "events", "secret"].contains(key) {
            throw JSONObjectBody.field(key, "is not a field of a webhook; send url, format, events, secret")
        }
        guard let url = try JSONObjectBody.string(object, "url", max: 2048), Webhooks.validURL(url) else {
            throw JSONObjectBody.field("url", WebhookError.invalidURL.description)
        }
        guard let name = try JSONObjectBody.string(object, "format", max: 16), let format = WebhookFormat(rawValue: name) else {
            throw JSONObjectBody.field("format", "must be json or slack")
        }
        var events = WebhookEvent.allCases
        if let value = object["events"], !(value is NSNull) {
            guard let names = value as? [String], !names.isEmpty, names.allSatisfy({ WebhookEvent(rawValue: $0) != nil }) else {
                throw JSONObjectBody.field("events", "must be a non-empty list of finding, fix, digest")
            }
            events = names.compactMap(WebhookEvent.init(rawValue:))
        }
        return (url, format, events, try JSONObjectBody.string(object, "secret", max: 200))
    }

    static func id(_ request: Request) throws -> Int64 {
        guard let text = request.parameters["id"], let id = Int64(text), id > 0 else {
            throw APIError(.notFound, "not_found", "webhook ids are positive integers", field: "id")
        }
        return id
    }

    static func notFound(_ id: Int64) -> APIError { APIError(.notFound, "not_found", "no webhook with id \(id)", field: "id") }
}
