import HTTP

/// The pages vote links answer with. Every value from the request is escaped.
enum VotePages {
    static func thankYou(id: Int64, token: String, page: String, rating: String, reasons: [String], honeypot: String,
                         minutes: Int, maxCommentLength: Int) -> Response {
        let helpful = rating == "up"
        let link = linkablePage(page)
        let pageText = link.map { "<a href=\"\(HTMLPage.escape($0))\">\(HTMLPage.escape(page))</a>" } ?? HTMLPage.escape(page)
        let choices = reasons.enumerated().map { index, reason in
            "<label for=\"reason-\(index)\"><input type=\"radio\" id=\"reason-\(index)\" name=\"reason\" value=\"\(HTMLPage.escape(reason))\"> \(HTMLPage.escape(ReasonChoices.label(reason)))</label>"
        }.joined(separator: "\n")
        let body = """
            <h1>Thanks for your feedback!</h1>
            <p role="status">Your vote that \(pageText) was \(helpful ? "helpful" : "not helpful") has been recorded.</p>
            <form method="post" action="/v1/feedback/\(id)/followup">
            \(HTMLPage.hidden([("token", token)]))
            \(HTMLPage.honeypot(honeypot))
            <fieldset>
            <legend>\(helpful ? "What did you like?" : "What went wrong?") (optional)</legend>
            \(choices)
            </fieldset>
            <label for="comment">Anything to add? (optional)</label>
            <textarea id="comment" name="comment" maxlength="\(maxCommentLength)"></textarea>
            <label for="email">Your email, if you would like a reply (optional)</label>
            <input type="email" id="email" name="email" autocomplete="email">
            <p><button type="submit">Send</button></p>
            </form>
            <p class="muted">You can add details for the next \(minutes) minutes.\(link.map { " <a href=\"\(HTMLPage.escape($0))\">Back to the page</a>" } ?? "")</p>
            """
        return HTMLPage.response(.ok, title: "Thanks for your feedback", body: body)
    }

    static func confirm(hidden: [(String, String)], rating: String?, honeypot: String) -> Response {
        let question = rating == "down" ? "Send that this page was not helpful?" : rating == "up" ? "Send that this page was helpful?" : "Send your vote?"
        let page = hidden.first { $0.0 == "page" }?.1 ?? ""
        let body = """
            <h1>\(HTMLPage.escape(question))</h1>
            <p>Page: \(HTMLPage.escape(page))</p>
            <form method="post" action="/v1/vote">
            \(HTMLPage.hidden(hidden))
            \(HTMLPage.honeypot(honeypot))
            <p><button type="submit">Send my vote</button></p>
            </form>
            """
        return HTMLPage.response(.ok, title: "Send your vote", body: body)
    }

    /// What crawlers and link previews get: a page, and nothing counted.
    static func crawlerView() -> Response {
        message("Was this page helpful?", "Open this link in a browser to send your vote.")
    }

    static func message(_ title: String, _ text: String) -> Response { HTMLPage.message(.ok, title: title, text: text) }

    static func problem(_ status: HTTPStatus, _ title: String, _ text: String, headers: [(String, String)] = []) -> Response {
        HTMLPage.message(status, title: title, text: text, headers: headers)
    }

    static func refusal(_ refusal: PublicIntake.Refusal) -> Response {
        switch refusal {
        case .origin:
            problem(.forbidden, "Not allowed", "Feedback cannot be sent to this service from that site.")
        case .rateLimited(let seconds):
            problem(.tooManyRequests, "Too many votes", "Please wait a moment before sending more feedback.", headers: [("Retry-After", String(seconds))])
        }
    }

    /// Only absolute http(s) URLs become links, so a crafted `page` cannot smuggle a `javascript:` URL.
    static func linkablePage(_ page: String) -> String? {
        RedirectPolicy.host(of: page) != nil ? page : nil
    }
}
