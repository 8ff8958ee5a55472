import Foundation
import Testing
import TestSupport

/// At the most verbose level and in JSON, the log holds requests but never a client's address,
/// what readers wrote, or a credential.
@Suite struct LogPrivacyTests {
    @Test func traceJSONLogHoldsNoAddressCommentEmailOrToken() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("h.db")
        let create = try ServerProcess(["token", "create", "--name", "ops", "--scope", "admin", "--db", path], waitForPort: false)
        #expect(create.waitForExit() == 0)
        let secret = try #require(create.log.split(separator: "\n").first { $0.hasPrefix("hk_") }.map(String.init))
        let server = try ServerProcess(["serve", "--port", "0", "--db", path, "--log-level", "trace", "--log-format", "json",
                                        "--trusted-proxy", "127.0.0.1"])
        let forwarded = "198.51.100.23", ipv6 = "2001:db8:77::15"
        let comment = "zebracomment marker text", email = "reader.marker@example.org"

        let stored = try RawClient.request(port: server.port, "POST", "/v1/feedback",
                                           body: #"{"page":"/guide/auth","rating":"down","comment":"\#(comment)","email":"\#(email)"}"#,
                                           headers: [("X-Forwarded-For", forwarded), ("X-Request-Id", "privacy-check-1")])
        #expect(stored.status == 201)
        let id = try #require(stored.json?["id"] as? Int)
        let followupToken = try #require(stored.json?["followup_token"] as? String)
        let followup = try RawClient.request(port: server.port, "POST", "/v1/feedback/\(id)/followup",
                                             body: #"{"token":"\#(followupToken)","comment":"second zebracomment","email":"later.marker@example.org"}"#,
                                             headers: [("X-Forwarded-For", ipv6)])
        #expect(followup.status == 200)
        let invalid = try RawClient.request(port: server.port, "POST", "/v1/feedback", body: #"{"page":"/a","rating":"up","email":"broken.marker@@x"}"#,
                                            headers: [("X-Forwarded-For", forwarded)])
        #expect(invalid.status == 400)
        let form = try RawClient.request(port: server.port, "POST", "/v1/feedback", body: "page=%2Fb&rating=up&comment=formzebra+words",
                                         contentType: "application/x-www-form-urlencoded", headers: [("X-Forwarded-For", forwarded)])
        #expect(form.status == 201)
        let listing = try RawClient.request(port: server.port, "GET", "/v1/feedback?limit=5", headers: [("Authorization", "Bearer \(secret)")])
        #expect(listing.status == 200)
        #expect(listing.text.contains(comment), "the comment is stored and served, so its absence from the log means something")
        let wrong = try RawClient.request(port: server.port, "GET", "/v1/feedback", headers: [("Authorization", "Bearer hk_wrongmarker0123456789")])
        #expect(wrong.status == 401)

        // The last request is logged once the exchange ends; wait for its line, then stop the server.
        let deadline = Date().addingTimeInterval(30)
        while !server.log.contains("401") && Date() < deadline { usleep(20_000) }
        server.signal(SIGTERM)
        #expect(server.waitForExit() == 0)
        let log = server.log
        let lines = log.split(separator: "\n").filter { !$0.isEmpty }
        for line in lines {
            let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
        }
        #expect(lines.contains { $0.contains("/v1/feedback") && $0.contains("privacy-check-1") }, "requests are logged with their id:\n\(log)")
        #expect(lines.count >= 7, "every request is logged:\n\(log)")
        for secretText in [forwarded, ipv6, "2001:db8:77", "zebracomment", "formzebra", "marker@example.org", "broken.marker", email,
                           secret, String(secret.dropFirst(3)), "hk_wrongmarker", followupToken, String(followupToken.split(separator: ".").last ?? "")] {
            #expect(!log.contains(secretText), "the log holds \(secretText):\n\(log)")
        }
    }
}
