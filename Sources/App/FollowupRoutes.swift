import Feedback
import HTTP

/// `POST /v1/feedback/{id}/followup`: the reader who voted adds a reason, comment or email, with the
/// one-time token the vote's answer carried. JSON in, JSON out (the widget); a form in, a page out
/// (the vote link's thank-you page).
struct FollowupRoutes {
    let intake: PublicIntake
    let maxCommentLength: Int
    let bodyLimit: Int

    func register(in router: inout Router) {
        router.post("/v1/feedback/:id/followup", bodyLimit: bodyLimit) { request, responder in
            let origin = request.headers["origin"], host = request.headers["host"]
            let cors = intake.cors
            let html = request.contentType == "application/x-www-form-urlencoded"
            let respond: @Sendable (Answer) -> Void = { answer in
                var response = html ? answer.page : answer.json
                cors.decorate(&response, origin: origin, requestHost: host)
                responder.respond(response)
            }
            if case .failure(let refusal) = intake.screen(request) {
                respond(Answer(json: PublicIntake.response(for: refusal), page: VotePages.refusal(refusal)))
                return
            }
            guard let id = request.parameters["id"].flatMap({ Int64($0) }), id > 0 else {
                respond(.failure(.notFound, "not_found", "no such feedback", field: nil))
                return
            }
            let fields: [String: FieldValue]
            do throws(BodyDecoding.Failure) {
                fields = try BodyDecoding.fields(of: request)
            } catch {
                respond(Answer(json: error.response, page: VotePages.problem(.badRequest, "Unexpected request", "The form could not be read.")))
                return
            }
            if intake.isHoneypot(fields) {
                respond(.thanks(id))
                return
            }
            guard case .text(let token)? = fields["token"], !token.isEmpty else {
                respond(.failure(.badRequest, "invalid_field", "token is required", field: "token"))
                return
            }
            let details: FeedbackDetails
            do throws(ValidationError) {
                details = try intake.validator.validateDetails(fields)
            } catch {
                respond(.failure(.badRequest, "invalid_field", "\(error.field) \(error.message)", field: error.field))
                return
            }
            guard !details.isEmpty else {
                respond(.failure(.badRequest, "invalid_field", "send a reason, a comment or an email", field: "comment"))
                return
            }
            let tokens = intake.store.followups, maxCommentLength = self.maxCommentLength
            intake.store.write({ editor in
                try editor.applyFollowup(id: id, token: token, details: details, tokens: tokens, maxCommentLength: maxCommentLength)
            }, completion: { result in
                switch result {
                case .success(.updated): respond(.thanks(id))
                case .success(.notFound): respond(.failure(.notFound, "not_found", "no such feedback", field: nil))
                case .success(.invalidToken): respond(.failure(.forbidden, "invalid_token", "the follow-up token does not match this feedback", field: "token"))
                case .success(.expired): respond(.failure(.gone, "followup_expired", "the time to add to this feedback has passed", field: "token"))
                case .success(.alreadyUsed): respond(.failure(.conflict, "followup_used", "this feedback was already followed up", field: "token"))
                case .failure(let error):
                    intake.logger.error("follow-up failed: \(error)")
                    respond(.failure(.serviceUnavailable, "storage_unavailable", "the follow-up could not be stored; retry later", field: nil))
                }
            })
        }
        router.add("OPTIONS", "/v1/feedback/:id/followup") { request, responder in
            responder.respond(intake.cors.preflight(request, methods: ["POST"]))
        }
    }

    /// The same outcome as JSON and as a page.
    struct Answer: Sendable {
        let json: Response
        let page: Response

        static func thanks(_ id: Int64) -> Answer {
            Answer(json: JSONBody.response(.ok, JSONBody.object([("id", String(id)), ("updated", "true")])),
                   page: VotePages.message("Thank you!", "Your comments have been added to your feedback."))
        }

        static func failure(_ status: HTTPStatus, _ code: String, _ message: String, field: String?) -> Answer {
            let title = status == .gone || status == .conflict ? "This form has expired" : "That did not work"
            let text = status == .gone ? "The time to add details to this vote has passed. Your vote itself was recorded."
                : status == .conflict ? "Details were already added to this vote. Thank you!"
                : "Sorry, your details could not be added: \(message)."
            return Answer(json: .error(status, code: code, message: message, field: field), page: VotePages.problem(status, title, text))
        }
    }
}
