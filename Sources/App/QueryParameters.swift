import Feedback
import Foundation
import HTTP

/// Query parameters of a team endpoint, checked against the names it accepts.
struct QueryParameters {
    private let items: [(name: String, value: String)]
    let now: Int64

    /// Rejects unknown names (a typo must not silently widen a query) and repeated ones.
    init(_ request: Request, allowed: Set<String>, now: Int64 = Timestamp.nowMilliseconds()) throws(APIError) {
        guard let query = request.query else {
            items = []
            self.now = now
            return
        }
        guard let pairs = FormDecoding.pairs(query, strict: true) else {
            throw APIError(.badRequest, "invalid_parameter", "the query string is not valid percent-encoding")
        }
        var seen: Set<String> = []
        for (name, _) in pairs {
            guard allowed.contains(name) || (name.hasPrefix("label.") && allowed.contains("label.*")) else {
                throw APIError.parameter(name, "is not a parameter of this endpoint; accepted: \(allowed.sorted().joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw APIError.parameter(name, "is given more than once") }
        }
        items = pairs
        self.now = now
    }

    func string(_ name: String) -> String? {
        items.first { $0.name == name }.map(\.value).flatMap { $0.isEmpty ? nil : $0 }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(APIError) -> T? where T.RawValue == String {
        guard let text = string(name) else { return nil }
        guard let value = T(rawValue: text.lowercased()) else {
            throw APIError.parameter(name, "must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws(APIError) -> Int {
        guard let text = string(name) else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.parameter(name, "must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    func number(_ name: String, default fallback: Double, range: ClosedRange<Double>) throws(APIError) -> Double {
        guard let text = string(name) else { return fallback }
        guard let value = Double(text), range.contains(value) else {
            throw APIError.parameter(name, "must be a number from \(Cell.format(range.lowerBound)) to \(Cell.format(range.upperBound))")
        }
        return value
    }

    func boolean(_ name: String) throws(APIError) -> Bool? {
        guard let text = string(name) else { return nil }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.parameter(name, "must be true or false")
        }
    }

    /// `label.KEY=VALUE` pairs.
    var labels: [(key: String, value: String)] {
        items.filter { $0.name.hasPrefix("label.") }.map { (String($0.name.dropFirst(6)), $0.value) }
    }

    /// RFC 3339 (`2026-11-01T08:00:00Z`, offsets and fractions allowed), a UTC date (`2026-11-01`),
    /// or a time before now (`90m`, `24h`, `7d`, `2w`). Unix milliseconds.
    func time(_ name: String) throws(APIError) -> Int64? {
        guard let text = string(name) else { return nil }
        guard let value = Self.parseTime(text, now: now) else {
            throw APIError.parameter(name, "must be an RFC 3339 time, a date YYYY-MM-DD, or a duration before now such as 90m, 24h, 7d")
        }
        return value
    }

    static func parseTime(_ text: String, now: Int64) -> Int64? {
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0, amount < 100_000 {
            let minutes: Int64? = switch unit {
            case "m": 1
            case "h": 60
            case "d": 1440
            case "w": 10080
            default: nil
            }
            if let minutes { return now - amount * minutes * 60_000 }
        }
        if text.count == 10, let date = dateOnly(text) { return date }
        // Foundation rolls 25:00 over into the next day; RFC 3339 does not.
        let digits = Array(text.utf8)
        guard digits.count >= 20, let hour = Int(String(decoding: digits[11..<13], as: UTF8.self)),
              let minute = Int(String(decoding: digits[14..<16], as: UTF8.self)),
              let second = Int(String(decoding: digits[17..<19], as: UTF8.self)),
              hour < 24, minute < 60, second <= 60 else { return nil }
        for style in rfc3339Styles {
            if let date = try? style.parse(text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }

    private static func dateOnly(_ text: String) -> Int64? {
        let parts = text.split(separator: "-")
        guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
              parts[0].count == 4, parts[1].count == 2, parts[2].count == 2 else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let components = DateComponents(year: y, month: m, day: d)
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return Int64(date.timeIntervalSince1970 * 1000)
    }

    /// RFC 3339 with and without fractional seconds; format styles are values, safe on any queue.
    private static let rfc3339Styles = [
        Date.ISO8601FormatStyle(),
        Date.ISO8601FormatStyle(includingFractionalSeconds: true),
    ]

    /// The page filters, normalized like stored pages so `page=https://Docs.example.com/a/` finds `…/a`.
    func pageFilters(rules: FeedbackRules) throws(APIError) -> (page: String?, prefix: String?) {
        var page: String?
        if let text = string("page") {
            do { page = try rules.normalizer.normalize(text) } catch {
                throw APIError.parameter("page", "must be an absolute http(s) URL or a path starting with /")
            }
        }
        var prefix: String?
        if let text = string("page_prefix") {
            do {
                let normalized = try rules.normalizer.normalize(text)
                prefix = text.hasSuffix("/") && !normalized.hasSuffix("/") ? normalized + "/" : normalized
            } catch {
                throw APIError.parameter("page_prefix", "must be an absolute http(s) URL or a path starting with /")
            }
        }
        return (page, prefix)
    }

    func aggregateFilter(rules: FeedbackRules) throws(APIError) -> AggregateFilter {
        var filter = AggregateFilter()
        filter.since = try time("since")
        filter.until = try time("until")
        if let since = filter.since, let until = filter.until, since >= until {
            throw APIError.parameter("until", "must be after since")
        }
        filter.source = string("source")?.lowercased()
        let pages = try pageFilters(rules: rules)
        filter.page = pages.page
        filter.pagePrefix = pages.prefix
        filter.labels = labels
        return filter
    }

    static let aggregateNames: Set<String> = ["since", "until", "source", "page_prefix", "label.*", "format"]
}
