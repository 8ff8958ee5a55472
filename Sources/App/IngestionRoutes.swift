import Feedback
import HTTP
import Logging

/// `POST /v1/feedback`: validate, queue for the group-commit writer, answer 201 once committed.
struct IngestionRoutes {
    let store: FeedbackStore
    let validator: FeedbackValidator
    let logger: Logger
    let cors: CORSPolicy
    /// Largest feedback body accepted (413 beyond).
    let bodyLimit: Int


    func register(in router: inout Router) {
        router.post("/v1/feedback", bodyLimit: bodyLimit) { request, responder in
            let origin = request.headers["origin"]
            guard cors.allows(origin) else {
                responder.respond(.error(.forbidden, code: "origin_not_allowed", message: "origin \(origin ?? "") may not send feedback here"))
                return
            }
            self.create(request) { response in
                var response = response
                cors.decorate(&response, origin: origin)
                responder.respond(response)
            }
        }
        router.add("OPTIONS", "/v1/feedback") { request, responder in
            responder.respond(cors.preflight(request, methods: ["POST"]))
        }
    }

    func create(_ request: Request, _ respond: @escaping @Sendable (Response) -> Void) {
        let fields: [String: FieldValue]
        do {
            fields = try BodyDecoding.fields(of: request)
        } catch {
            switch error {
            case .unsupportedMediaType(let type):
                respond(.error(.unsupportedMediaType, code: "unsupported_media_type",
                                         message: "Content-Type must be application/json or application/x-www-form-urlencoded, not \(type ?? "missing")"))
            case .invalid(let code, let message):
                respond(.error(.badRequest, code: code, message: message))
            }
            return
        }
        let input = FeedbackInput(
            fields: fields, userAgent: request.headers["user-agent"], origin: request.headers["origin"],
            referer: request.headers["referer"], clientAddress: request.remoteAddress
        )
        let feedback: NewFeedback
        do {
            feedback = try validator.validate(input)
        } catch {
            respond(.error(.badRequest, code: "invalid_field", message: "\(error.field) \(error.message)", field: error.field))
            return
        }
        store.writer.submit(feedback) { [logger] result in
            switch result {
            case .success(let stored):
                let json = JSONBody.object([("id", String(stored.id)), ("received_at", JSONText.quoted(Timestamp.rfc3339(milliseconds: stored.receivedAt)))])
                respond(JSONBody.response(.created, json, headers: [("Location", "/v1/feedback/\(stored.id)")]))
            case .failure(let failure):
                respond(Self.response(for: failure, logger: logger))
            }
        }
    }

    static func response(for failure: WriteFailure, logger: Logger) -> Response {
        var response: Response
        switch failure {
        case .overloaded:
            response = .error(.serviceUnavailable, code: "overloaded", message: "too many submissions are waiting to be written; retry shortly")
        case .storageFull:
            logger.error("write failed: database or disk is full")
            response = .error(.serviceUnavailable, code: "storage_full", message: "the server's storage is full; nothing was stored, retry later")
        case .storage(let reason):
            logger.error("write failed: \(reason)")
            response = .error(.serviceUnavailable, code: "storage_unavailable", message: "the feedback could not be stored; retry later")
        case .closed:
            response = .error(.serviceUnavailable, code: "shutting_down", message: "the server is shutting down; retry shortly")
        }
        response.headers.add("Retry-After", failure == .storageFull ? "30" : "1")
        return response
    }
}
