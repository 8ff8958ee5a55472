import Feedback
import HTTP

/// Vote links for docs without JavaScript: `GET /v1/vote?page=…&rating=up|down` records the vote
/// and answers a thank-you page whose form adds a reason and comment to the same record (or 303s
/// back to an allowed `redirect`). In `confirm` mode the GET only shows a button that POSTs the vote.
struct VoteRoutes {
    let intake: PublicIntake
    let mode: PublicOptions.VoteLinkMode
    let redirects: RedirectPolicy
    let reasons: [String]
    let maxCommentLength: Int
    let bodyLimit: Int

    func register(in router: inout Router) {
        router.get("/v1/vote") { request, responder in
            let fields: [String: FieldValue]
            do {
                fields = try BodyDecoding.form(request.query ?? "")
            } catch {
                responder.respond(VotePages.problem(.badRequest, "This feedback link is broken", "Its parameters are not valid URL encoding."))
                return
            }
            guard let admitted = admit(fields, request, responder) else { return }
            // HEAD (link checkers) and crawlers see the page; only a browser's GET counts.
            if request.method == "HEAD" || intake.isCrawler(request) {
                responder.respond(VotePages.crawlerView())
                return
            }
            switch mode {
            case .record: record(fields, request, admitted, responder)
            case .confirm: responder.respond(confirmation(fields))
            }
        }
        router.post("/v1/vote", bodyLimit: bodyLimit) { request, responder in
            guard request.contentType == "application/x-www-form-urlencoded" else {
                responder.respond(VotePages.problem(.unsupportedMediaType, "Unexpected request", "Votes are posted as a form."))
                return
            }
            let fields: [String: FieldValue]
            do {
                fields = try BodyDecoding.form(request.body)
            } catch {
                responder.respond(VotePages.problem(.badRequest, "Unexpected request", "The form is not valid form encoding."))
                return
            }
            guard let admitted = admit(fields, request, responder) else { return }
            if intake.isHoneypot(fields) {
                responder.respond(VotePages.message("Thanks for your feedback!", "Your vote has been recorded."))
                return
            }
            record(fields, request, admitted, responder)
        }
        router.add("OPTIONS", "/v1/vote") { request, responder in
            responder.respond(intake.cors.preflight(request, methods: ["GET", "POST"]))
        }
    }

    /// A vote that passed the redirect, origin and rate-limit checks.
    private struct Admitted {
        /// The allowed `redirect=` target, if one was asked for.
        let redirect: String?
        let client: PublicIntake.Client
    }

    /// Checks the redirect, the origin and the rate limit; nil: refused (answered already).
    private func admit(_ fields: [String: FieldValue], _ request: Request, _ responder: Responder) -> Admitted? {
        guard let redirect = checkedRedirect(fields, responder) else { return nil }
        switch intake.screen(request) {
        case .failure(let refusal):
            responder.respond(VotePages.refusal(refusal))
            return nil
        case .success(let client):
            return Admitted(redirect: redirect, client: client)
        }
    }

    private func checkedRedirect(_ fields: [String: FieldValue], _ responder: Responder) -> String?? {
        guard case .text(let target)? = fields["redirect"], !target.isEmpty else { return .some(nil) }
        guard let allowed = redirects.allowed(target) else {
            responder.respond(VotePages.problem(.badRequest, "This feedback link is broken",
                                                "It asks to return to a site this feedback service does not send readers to."))
            return nil
        }
        return .some(allowed)
    }

    private func record(_ fields: [String: FieldValue], _ request: Request, _ admitted: Admitted, _ responder: Responder) {
        let intake = self.intake, reasons = self.reasons, maxCommentLength = self.maxCommentLength, redirect = admitted.redirect
        intake.submit(fields, request, client: admitted.client) { result in
            switch result {
            case .success(let stored):
                if let redirect {
                    var response = Response(status: .seeOther, headers: HTTPHeaders([("Location", redirect), ("Cache-Control", "no-store")]))
                    response.headers.add("X-Robots-Tag", "noindex, nofollow")
                    responder.respond(response)
                    return
                }
                let token = intake.store.followups.issue(id: stored.id, receivedAt: stored.receivedAt)
                let page: String
                if case .text(let text)? = fields["page"] { page = text } else { page = "" }
                let rating = (fields["rating"].flatMap { if case .text(let t) = $0 { t.lowercased() } else { nil } }) ?? "up"
                responder.respond(VotePages.thankYou(
                    id: stored.id, token: token, page: page, rating: rating,
                    reasons: ReasonChoices.reasons(for: rating, from: reasons), honeypot: intake.honeypotField,
                    minutes: Int(intake.store.followups.lifetime / 60_000), maxCommentLength: maxCommentLength))
            case .failure(.invalid(let error)):
                responder.respond(VotePages.problem(.badRequest, "This feedback link is broken", "Its \(error.field) \(error.message)."))
            case .failure(.write(let failure)):
                let response = PublicIntake.response(for: failure, logger: intake.logger)
                responder.respond(VotePages.problem(.serviceUnavailable, "Please try again",
                                                    "Your vote could not be recorded just now. Please try again in a moment.",
                                                    headers: response.headers.values("Retry-After").map { ("Retry-After", $0) }))
            }
        }
    }

    private func confirmation(_ fields: [String: FieldValue]) -> Response {
        var hidden: [(String, String)] = []
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            switch value {
            case .text(let text): hidden.append((name, text))
            case .object(let labels):
                for (key, label) in labels.sorted(by: { $0.key < $1.key }) {
                    if case .text(let text) = label { hidden.append(("labels[\(key)]", text)) }
                }
            default: break
            }
        }
        let rating = hidden.first { $0.0 == "rating" }?.1.lowercased()
        return VotePages.confirm(hidden: hidden, rating: rating, honeypot: intake.honeypotField)
    }
}
