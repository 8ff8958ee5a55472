import Feedback
import Foundation

/// The window a dashboard page shows: the last 7, 30 or 90 days (today included), or custom
/// `since`/`until` dates (UTC days, `until` exclusive like the API), and the one just before it.
struct Period {
    static let choices = [7, 30, 90]
    static let day: Int64 = 86_400_000

    let since: Int64
    let until: Int64
    /// 7, 30 or 90; nil for a custom window.
    let days: Int?
    let bucket: Bucket

    var span: Int64 { until - since }
    var previousSince: Int64 { since - span }

    /// From `period`, `since`, `until` and `bucket` parameters (dates `YYYY-MM-DD` or anything `since=` takes in the API).
    init(_ params: QueryParameters) throws(APIError) {
        let now = params.now
        let tomorrow = (now / Self.day + 1) * Self.day
        if params.string("since") != nil || params.string("until") != nil {
            let until = try params.time("until").map { ($0 + Self.day - 1) / Self.day * Self.day } ?? tomorrow
            let since = try params.time("since").map { $0 / Self.day * Self.day } ?? until - 30 * Self.day
            guard since < until else { throw APIError.parameter("until", "must be after since") }
            guard until - since <= 3 * 366 * Self.day else { throw APIError.parameter("since", "gives a window over three years; choose a shorter one") }
            (self.since, self.until, days) = (since, until, nil)
        } else {
            let days = try params.integer("period", default: 30, range: 1...366)
            guard Self.choices.contains(days) else { throw APIError.parameter("period", "must be 7, 30 or 90") }
            (self.since, self.until, self.days) = (tomorrow - Int64(days) * Self.day, tomorrow, days)
        }
        switch params.string("bucket") {
        case nil: bucket = until - since > 92 * Self.day ? .week : .day
        case "day": bucket = .day
        case "week": bucket = .week
        default: throw APIError.parameter("bucket", "must be day or week")
        }
    }

    static let names: Set<String> = ["period", "since", "until", "bucket"]

    /// This window's parameters, for links that keep it.
    var query: [(String, String?)] {
        if let days { return [("period", String(days)), ("bucket", bucket.rawValue)] }
        return [("since", Timestamp.day(milliseconds: since)), ("until", Timestamp.day(milliseconds: until)), ("bucket", bucket.rawValue)]
    }

    var description: String {
        if let days { return "the last \(days) days" }
        return "\(Timestamp.day(milliseconds: since)) to \(Timestamp.day(milliseconds: until - 1))"
    }

    /// The period picker: a GET form, so it works without JavaScript and the URL can be shared.
    func picker(action: String, hidden: [(String, String)] = []) -> String {
        var html = "<form class=\"filters\" method=\"get\" action=\"\(h(action))\" aria-label=\"Period\">"
        for (name, value) in hidden { html += "<input type=\"hidden\" name=\"\(h(name))\" value=\"\(h(value))\">" }
        html += "<label>Period<select name=\"period\">"
        for choice in Self.choices {
            html += "<option value=\"\(choice)\"\(days == choice ? " selected" : "")>Last \(choice) days</option>"
        }
        html += "</select></label>"
        html += "<label>Chart by<select name=\"bucket\"><option value=\"day\"\(bucket == .day ? " selected" : "")>Day</option>"
        html += "<option value=\"week\"\(bucket == .week ? " selected" : "")>Week</option></select></label>"
        html += "<button type=\"submit\">Show</button></form>"
        html += "<form class=\"filters\" method=\"get\" action=\"\(h(action))\" aria-label=\"Custom period\">"
        for (name, value) in hidden { html += "<input type=\"hidden\" name=\"\(h(name))\" value=\"\(h(value))\">" }
        let sinceValue = days == nil ? Timestamp.day(milliseconds: since) : ""
        let untilValue = days == nil ? Timestamp.day(milliseconds: until) : ""
        html += "<label>From<input type=\"date\" name=\"since\" value=\"\(sinceValue)\"></label>"
        html += "<label>Until (not included)<input type=\"date\" name=\"until\" value=\"\(untilValue)\"></label>"
        html += "<button type=\"submit\">Show custom</button></form>"
        return html
    }
}
