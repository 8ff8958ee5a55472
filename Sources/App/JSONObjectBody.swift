import Foundation
import HTTP

/// The JSON object body of an admin or triage request, or the error that says why not.
enum JSONObjectBody {
    static func parse(_ request: Request, route: String) throws -> [String: Any] {
        guard request.contentType == "application/json" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type", "\(route) takes application/json")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            throw APIError(.badRequest, "invalid_json", "request body must be a JSON object")
        }
        return object
    }

    static func field(_ name: String, _ message: String) -> APIError {
        APIError(.badRequest, "invalid_field", "\(name) \(message)", field: name)
    }

    /// An optional string member: nil when absent or null, an error when another type.
    static func string(_ object: [String: Any], _ name: String, max: Int) throws -> String? {
        guard let value = object[name], !(value is NSNull) else { return nil }
        guard let text = value as? String, text.count <= max else { throw field(name, "must be a string of at most \(max) characters") }
        return text
    }

    static func httpURL(_ text: String) -> Bool {
        guard text.utf8.count <= 2048, !text.contains(where: { $0.isWhitespace }), let url = URL(string: text),
              let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host?.isEmpty == false else { return false }
        return true
    }
}
