import Feedback
import HTTP
import Logging

/// `POST /v1/feedback` (the widget and API clients): screen, validate, queue for the group-commit
/// writer, answer 201 once committed, with the one-time token for the follow-up.
struct IngestionRoutes {
    let intake: PublicIntake
    /// Largest feedback body accepted (413 beyond).
    let bodyLimit: Int

    func register(in router: inout Router) {
        router.post("/v1/feedback", bodyLimit: bodyLimit) { request, responder in
            let origin = request.headers["origin"]
            let cors = intake.cors
            let client: PublicIntake.Client
            switch intake.screen(request) {
            case .success(let screened): client = screened
            case .failure(let refusal):
                var response = PublicIntake.response(for: refusal)
                cors.decorate(&response, origin: origin, requestHost: request.headers["host"])
                responder.respond(response)
                return
            }
            let host = request.headers["host"]
            create(request, client: client) { build in
                responder.respond(building: {
                    var response = build()
                    cors.decorate(&response, origin: origin, requestHost: host)
                    return response
                })
            }
        }
        router.add("OPTIONS", "/v1/feedback") { request, responder in
            responder.respond(intake.cors.preflight(request, methods: ["POST"]))
        }
    }

    /// `respond` takes the answer's builder, run on the connection's loop: the writer's queue, which
    /// completes a whole group commit, only hands over the stored row (see `Responder.respond(building:)`).
    func create(_ request: Request, client: PublicIntake.Client, _ respond: @escaping @Sendable (@escaping @Sendable () -> Response) -> Void) {
        let fields: [String: FieldValue]
        do {
            fields = try BodyDecoding.fields(of: request)
        } catch {
            let response = error.response
            respond { response }
            return
        }
        let key = request.headers["idempotency-key"]
        if let key, !Self.isValidIdempotencyKey(key) {
            respond { .error(.badRequest, code: "invalid_header", message: "Idempotency-Key must be 1-255 visible ASCII characters", field: "Idempotency-Key") }
            return
        }
        let intake = self.intake
        if intake.isHoneypot(fields) {
            respond { intake.decoy() }
            return
        }
        intake.submit(fields, request, client: client, idempotencyKey: key) { result in
            switch result {
            case .success(let stored):
                respond { intake.created(stored) }
            case .failure(.invalid(let error)):
                respond { .error(.badRequest, code: "invalid_field", message: "\(error.field) \(error.message)", field: error.field) }
            case .failure(.write(let failure)):
                respond { PublicIntake.response(for: failure, logger: intake.logger) }
            }
        }
    }

    static func isValidIdempotencyKey(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}

extension BodyDecoding.Failure {
    var response: Response {
        switch self {
        case .unsupportedMediaType(let type):
            .error(.unsupportedMediaType, code: "unsupported_media_type",
                   message: "Content-Type must be application/json or application/x-www-form-urlencoded, not \(type ?? "missing")")
        case .invalid(let code, let message):
            .error(.badRequest, code: code, message: message)
        }
    }
}
