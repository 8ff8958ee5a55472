import Foundation
import Testing
import TestSupport
@testable import App

@Suite struct MetricsTests {
    /// `name{labels} value` lines of the exposition, as a dictionary.
    func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = value
        }
        return out
    }

    /// One histogram series per route pattern: GET and POST `/v1/feedback` share theirs (a repeated
    /// label set in one scrape is dropped by Prometheus), and the scrape's own route has one.
    @Test func everySampleAppearsOnceAndTheScrapeIsTimedToo() throws {
        let live = try LiveApp()
        #expect(try live.post(#"{"page":"/a","rating":"down"}"#).status == 201)
        #expect(try live.get("/v1/feedback").status == 401)
        #expect(try live.send("OPTIONS", "/v1/feedback", token: nil).status >= 200)
        _ = try live.get("/metrics")
        let text = try live.get("/metrics").text
        let names = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in line.lastIndex(of: " ").map { line[..<$0] } }
        #expect(Set(names).count == names.count, "repeated: \(Dictionary(grouping: names) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        let s = samples(text)
        #expect((s[#"hearken_http_request_duration_seconds_count{route="/v1/feedback"}"#] ?? 0) >= 3)
        #expect((s[#"hearken_http_request_duration_seconds_count{route="/metrics"}"#] ?? 0) >= 1)
        #expect(s[#"hearken_http_request_duration_seconds_count{route="/v1/feedback"}"#]
                == s[#"hearken_http_request_duration_seconds_bucket{route="/v1/feedback",le="+Inf"}"#])
    }

    @Test func metricsCountRequestsFeedbackRejectionsAndWrites() throws {
        let live = try LiveApp { $0.publicSide.rateLimitPerMinute = 6; $0.allowedOrigins = ["https://docs.example.com"] }
        for i in 0..<3 { #expect(try live.post(#"{"page":"/a\#(i)","rating":"down","source":"guides"}"#).status == 201) }
        #expect(try live.post(#"{"page":"/a","rating":"nah"}"#).status == 400)
        #expect(try live.post(#"{"page":"/a","rating":"up","website":"spam"}"#).status == 201)
        #expect(try live.post(#"{"page":"/a","rating":"up"}"#, headers: [("Origin", "https://evil.example")]).status == 403)
        // The burst of 5 is spent (3 stored, 1 invalid, 1 honeypot; the refused origin took no token).
        #expect(try live.post(#"{"page":"/b","rating":"up"}"#).status == 429)
        #expect(try live.post(#"{"page":"/c","rating":"up"}"#).status == 429)
        _ = try live.get("/no/such/path")
        let response = try live.get("/metrics")
        #expect(response.status == 200)
        #expect(response.header("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let s = samples(response.text)
        #expect(s[#"hearken_feedback_accepted_total{source="guides",rating="down"}"#] == 3)
        #expect(s[#"hearken_feedback_rejected_total{reason="validation"}"#] == 1)
        #expect(s[#"hearken_feedback_rejected_total{reason="honeypot"}"#] == 1)
        #expect(s[#"hearken_feedback_rejected_total{reason="origin"}"#] == 1)
        #expect(s[#"hearken_feedback_rejected_total{reason="rate_limit"}"#] == 2)
        #expect(s[#"hearken_http_requests_total{route="/v1/feedback",method="POST",status="201"}"#] == 4, "3 stored and the honeypot's decoy")
        #expect(s[#"hearken_http_requests_total{route="unmatched",method="GET",status="404"}"#] == 1)
        #expect((s[#"hearken_http_request_duration_seconds_count{route="/v1/feedback"}"#] ?? 0) >= 8)
        #expect(s["hearken_db_write_batch_rows_sum"] == 3)
        #expect((s["hearken_db_commit_duration_seconds_count"] ?? 0) >= 1)
        #expect((s["hearken_db_size_bytes"] ?? 0) > 0)
        #expect((s["hearken_db_wal_frames_written"] ?? 0) >= 3, "each of the 3 stored votes' commits appended at least a page")
        #expect((s["hearken_http_open_connections"] ?? 0) >= 1)
        #expect(response.text.contains("hearken_http_request_duration_seconds_bucket{route=\"/v1/feedback\",le=\"0.001\"}"))
    }

    @Test func metricsTokenIsRequiredWhenSet() throws {
        let live = try LiveApp { $0.metricsToken = "scrape-secret-0123456789" }
        #expect(try live.get("/metrics").status == 401)
        #expect(try live.get("/metrics", headers: [("Authorization", "Bearer wrong-token-000000000")]).status == 401)
        #expect(try live.get("/metrics", headers: [("Authorization", "Bearer scrape-secret-0123456789")]).status == 200)
    }

    @Test func printConfigMasksTheMetricsToken() throws {
        let run = try ServerProcess(["serve", "--print-config", "--metrics-token", "scrape-secret-0123456789"], waitForPort: false)
        #expect(run.waitForExit() == 0)
        #expect(run.log.contains("--metrics-token"))
        #expect(run.log.contains("******** (set)"))
        #expect(!run.log.contains("scrape-secret-0123456789"))
        let short = try ServerProcess(["serve", "--metrics-token", "short"], waitForPort: false)
        #expect(short.waitForExit() != 0)
        #expect(short.log.contains("invalid --metrics-token"))
        #expect(!short.log.contains("short'"), "the refused secret is not echoed")
    }
}
