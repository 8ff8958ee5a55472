import Foundation
import Testing
import TestSupport
@testable import App
@testable import Feedback

/// Follow-ups: the `email` field in JSON and forms, and tokens that stop working once
/// `--followup-minutes` has run out.
@Suite struct FollowupTests {
    private func email(_ live: LiveApp, _ id: Int) throws -> String? {
        try live.database.first("SELECT email FROM feedback WHERE id = ?", [id]) { $0.optionalString(0) } ?? nil
    }

    @Test(arguments: Backend.allCases) func emailFieldIsValidatedAndStoredFromJSONAndForms(_ backend: Backend) throws {
        let live = try LiveApp(backend)
        let vote = try live.post(#"{"page":"/guide/auth","rating":"down"}"#)
        let id = try #require(vote.json?["id"] as? Int)
        let token = try #require(vote.json?["followup_token"] as? String)
        let path = "/v1/feedback/\(id)/followup"

        let bad = try RawClient.request(port: live.port, "POST", path, body: #"{"token":"\#(token)","email":"not-an-address"}"#)
        #expect(bad.status == 400)
        #expect(errorField(bad).code == "invalid_field")
        #expect(errorField(bad).field == "email")
        #expect(try email(live, id) == nil)

        // The refused attempt did not use the token up.
        let good = try RawClient.request(port: live.port, "POST", path, body: #"{"token":"\#(token)","email":"reader@example.org"}"#)
        #expect(good.status == 200)
        #expect(good.json?["updated"] as? Bool == true)
        #expect(try email(live, id) == "reader@example.org")
        let again = try RawClient.request(port: live.port, "POST", path, body: #"{"token":"\#(token)","email":"other@example.org"}"#)
        #expect(again.status == 409)
        #expect(errorField(again).code == "followup_used")
        #expect(try email(live, id) == "reader@example.org")

        // The thank-you page's form sends the same field.
        let second = try live.post(#"{"page":"/guide/billing","rating":"up"}"#)
        let secondID = try #require(second.json?["id"] as? Int)
        let secondToken = try #require(second.json?["followup_token"] as? String)
        let form = try RawClient.request(port: live.port, "POST", "/v1/feedback/\(secondID)/followup",
                                         body: "token=\(secondToken)&email=form.reader%40example.org",
                                         contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 200)
        #expect(form.header("Content-Type")?.hasPrefix("text/html") == true)
        #expect(try email(live, secondID) == "form.reader@example.org")
    }

    /// Waits out a real one-minute `--followup-minutes` (the smallest the flag takes); the test sleeps,
    /// it does not spin, so it costs wall time and no CPU.
    @Test(.timeLimit(.minutes(5))) func followupMinutesRunningOutMakesTheToken410() throws {
        let directory = TemporaryDirectory()
        let server = try ServerProcess(["serve", "--port", "0", "--db", directory.file("h.db"), "--followup-minutes", "1", "--rate-limit", "0"])
        func vote(_ page: String) throws -> (id: Int, token: String, received: Date) {
            let response = try RawClient.request(port: server.port, "POST", "/v1/feedback", body: #"{"page":"\#(page)","rating":"down"}"#)
            #expect(response.status == 201)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let received = try #require((response.json?["received_at"] as? String).flatMap { formatter.date(from: $0) })
            let expires = try #require((response.json?["followup_expires_at"] as? String).flatMap { formatter.date(from: $0) })
            #expect(expires.timeIntervalSince(received) == 60, "the token lives --followup-minutes, not the default hour")
            return (try #require(response.json?["id"] as? Int), try #require(response.json?["followup_token"] as? String), received)
        }
        let early = try vote("/guide/early")
        let late = try vote("/guide/late")
        let inTime = try RawClient.request(port: server.port, "POST", "/v1/feedback/\(early.id)/followup", body: #"{"token":"\#(early.token)","comment":"in time"}"#)
        #expect(inTime.status == 200)

        // The token carries its expiry in whole seconds: wait until the clock is past the flag's minute.
        while Date() < late.received.addingTimeInterval(61.5) { usleep(250_000) }
        let expired = try RawClient.request(port: server.port, "POST", "/v1/feedback/\(late.id)/followup", body: #"{"token":"\#(late.token)","comment":"too late"}"#)
        #expect(expired.status == 410)
        #expect(errorField(expired).code == "followup_expired")
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let export = try ServerProcess(["export", "--db", directory.file("h.db")], waitForPort: false)
        #expect(export.waitForExit() == 0)
        #expect(export.log.contains("in time"))
        #expect(!export.log.contains("too late"))
    }
}
