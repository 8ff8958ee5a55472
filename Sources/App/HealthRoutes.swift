import Dispatch
import Feedback
import HTTP

/// `GET /healthz` (the process answers) and `GET /readyz` (the database is open, migrated and writable).
struct HealthRoutes {
    let store: any FeedbackStorage

    func register(in router: inout Router) {
        router.get("/healthz") { _, responder in
            responder.respond(JSONBody.response(.ok, "{\"status\":\"ok\"}"))
        }
        router.get("/readyz") { [store] _, responder in
            // The check waits for the writer's queue, so it must not run on the event loop.
            DispatchQueue.global().async {
                if let problem = store.checkReady() {
                    responder.respond(JSONBody.response(.serviceUnavailable, JSONBody.object([("status", "\"unavailable\""), ("reason", JSONText.quoted(problem))])))
                } else {
                    responder.respond(JSONBody.response(.ok, "{\"status\":\"ready\"}"))
                }
            }
        }
    }
}
