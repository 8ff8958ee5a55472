import Feedback
import Foundation

/// The bodies webhooks receive. `json`: `{"type", "timestamp", "data"}` as Standard Webhooks
/// suggests (documented in docs/alerts.md); `slack`: an incoming-webhook message, `text` plus `blocks`.
enum WebhookPayloads {
    static func finding(_ episode: Episode, format: WebhookFormat, now: Int64) -> String {
        switch format {
        case .json:
            return envelope("finding.opened", now, findingData(episode))
        case .slack:
            let line = "*\(episode.kind.rawValue.replacingOccurrences(of: "_", with: " "))* on \(code(episode.page)): \(escape(episode.summary))"
            return slack(text: "Hearken: \(episode.kind.rawValue) on \(episode.page)", sections: [line])
        }
    }

    static func fix(_ change: Change, format: WebhookFormat, now: Int64) -> String {
        switch format {
        case .json:
            return envelope("fix.verified", now, changeData(change))
        case .slack:
            return slack(text: "Hearken: fix \(change.subject.note) — \(change.verdict.rawValue)", sections: [fixLine(change)])
        }
    }

    static func digest(_ digest: WeeklyDigest, format: WebhookFormat, now: Int64) -> String {
        switch format {
        case .json: return envelope("digest.weekly", now, digestData(digest))
        case .slack: return DigestSlack.render(digest)
        }
    }

    static func test(webhookID: Int64, format: WebhookFormat, now: Int64) -> String {
        switch format {
        case .json: return envelope("webhook.test", now, ["webhook_id": webhookID, "message": "a test message from Hearken"])
        case .slack: return slack(text: "Hearken: a test message for webhook \(webhookID)", sections: ["A test message from Hearken: this webhook works."])
        }
    }

    // MARK: JSON

    static func envelope(_ type: String, _ now: Int64, _ data: [String: Any]) -> String {
        serialize(["type": type, "timestamp": Timestamp.rfc3339(milliseconds: now), "data": data])
    }

    static func serialize(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    static func optional(_ value: (any Sendable)?) -> Any { value ?? NSNull() }

    static func findingData(_ e: Episode) -> [String: Any] {
        ["episode_id": e.id, "page": e.page, "kind": e.kind.rawValue, "summary": e.summary, "onset": optional(e.onset),
         "q": finite(e.q), "opened_at": Timestamp.rfc3339(milliseconds: e.openedAt)]
    }

    static func tally(_ t: VoteTally) -> [String: Any] {
        ["votes": t.total, "up": t.up, "helpful_ratio": optional(t.ratio)]
    }

    static func finite(_ value: Double) -> Any { value.isFinite ? value : NSNull() }

    static func changeData(_ c: Change) -> [String: Any] {
        let s = c.subject
        return ["change": s.key, "origin": s.origin.rawValue, "annotation_id": optional(s.annotationID), "feedback_ids": s.feedbackIDs,
                "at": Timestamp.rfc3339(milliseconds: s.at), "page": optional(s.page), "page_prefix": optional(s.pagePrefix), "note": s.note,
                "url": optional(s.url), "window_days": Double(c.window) / 86_400_000, "before": tally(c.before), "after": tally(c.after),
                "difference": optional(c.comparison.map { $0.difference }), "ci_lower": optional(c.comparison.map { $0.lower }),
                "ci_upper": optional(c.comparison.map { $0.upper }), "p": optional(c.comparison.map { $0.p }), "verdict": c.verdict.rawValue,
                "complete": c.complete, "completes_at": Timestamp.rfc3339(milliseconds: c.completesAt)]
    }

    static func digestData(_ d: WeeklyDigest) -> [String: Any] {
        ["week_start": Timestamp.rfc3339(milliseconds: d.weekStart), "week_end": Timestamp.rfc3339(milliseconds: d.weekEnd),
         "week": tally(d.week), "previous_week": tally(d.previousWeek),
         "worst_pages": d.worstPages.map { ["page": $0.page] .merging(tally($0.tally)) { a, _ in a } },
         "new_findings": d.newFindings.map(findingData), "open_findings": d.openFindings.map(findingData),
         "fixes": d.fixes.map(changeData),
         "comments": d.comments.map { ["page": $0.page, "reason": optional($0.reason), "comment": $0.text] }]
    }

    // MARK: Slack

    /// Slack's mrkdwn needs only these three escaped; everything readers wrote goes through it.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    static func code(_ text: String) -> String { "`" + escape(text).replacingOccurrences(of: "`", with: "'") + "`" }

    static func slack(text: String, sections: [String]) -> String {
        serialize(["text": escape(text), "blocks": sections.map { ["type": "section", "text": ["type": "mrkdwn", "text": String($0.prefix(2900))]] }])
    }

    static func percent(_ ratio: Double?) -> String { ratio.map { "\(Int(($0 * 100).rounded()))%" } ?? "n/a" }

    static func fixLine(_ c: Change) -> String {
        let target = c.subject.page.map(code) ?? c.subject.pagePrefix.map { code($0 + "*") } ?? ""
        var line = "*\(c.verdict.rawValue.replacingOccurrences(of: "_", with: " "))*: \(escape(c.subject.note)) on \(target): "
            + "\(percent(c.before.ratio)) (\(c.before.total) votes) before, \(percent(c.after.ratio)) (\(c.after.total) votes) after"
        if let comparison = c.comparison {
            line += String(format: ", difference %+.0f points (95%% CI %+.0f to %+.0f)", comparison.difference * 100, comparison.lower * 100, comparison.upper * 100)
        }
        return line
    }
}

/// The weekly digest as a Slack message.
enum DigestSlack {
    static func render(_ d: WeeklyDigest) -> String {
        typealias P = WebhookPayloads
        let day = Timestamp.day(milliseconds: d.weekStart)
        var sections = ["*Week of \(day)*: \(d.week.total) votes, \(P.percent(d.week.ratio)) helpful (the week before: \(d.previousWeek.total) votes, \(P.percent(d.previousWeek.ratio)))"]
        if !d.worstPages.isEmpty {
            sections.append("*Worst pages*\n" + d.worstPages.map { "• \(P.code($0.page)): \(P.percent($0.tally.ratio)) of \($0.tally.total)" }.joined(separator: "\n"))
        }
        let findings = d.newFindings.map { "• new: \(P.code($0.page)): \(P.escape($0.summary))" }
            + d.openFindings.filter { open in !d.newFindings.contains { $0.id == open.id } }.map { "• open: \(P.code($0.page)): \(P.escape($0.summary))" }
        if !findings.isEmpty { sections.append("*Findings*\n" + findings.prefix(10).joined(separator: "\n")) }
        if !d.fixes.isEmpty { sections.append("*Fixes verified*\n" + d.fixes.prefix(10).map { "• " + P.fixLine($0) }.joined(separator: "\n")) }
        if !d.comments.isEmpty {
            sections.append("*What readers said*\n" + d.comments.map { "• \(P.code($0.page)): “\(P.escape(String($0.text.prefix(300))))”" }.joined(separator: "\n"))
        }
        return P.slack(text: "Hearken weekly digest, week of \(day): \(d.week.total) votes, \(P.percent(d.week.ratio)) helpful", sections: sections)
    }
}
