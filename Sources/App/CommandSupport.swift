import Feedback
import Foundation

/// What the `hearken` subcommands share with the API: the same parsing, so the CLI accepts and
/// rejects exactly what the endpoints do.
public enum CommandSupport {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// An annotation from command-line values, checked like `POST /v1/annotations`.
    public static func annotation(page: String?, pagePrefix: String?, note: String, url: String?, at: String?,
                                  rules: FeedbackRules = FeedbackRules()) throws -> NewAnnotation {
        var object: [String: Any] = ["note": note]
        object["page"] = page
        object["page_prefix"] = pagePrefix
        object["url"] = url
        object["at"] = at
        do {
            return try AnnotationRoutes.parse(object, rules: rules, createdBy: "cli")
        } catch let error as APIError {
            throw Invalid(description: error.message)
        }
    }

    /// `15m`, `2s`, `1h`, `1d` or plain seconds; nil when it does not parse or is out of 1 s…7 days.
    public static func duration(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var number = Substring(text)
        var scale = 1.0
        if let last = text.last, let unit = units[last] { number = text.dropLast(); scale = unit }
        guard let value = Double(number), value.isFinite else { return nil }
        let seconds = value * scale
        return (0.1...604_800).contains(seconds) ? seconds : nil
    }
}
