import Feedback
import HTTP

/// Turns a request body into submitted fields, by media type.
enum BodyDecoding {
    enum Failure: Error {
        case unsupportedMediaType(String?)
        case invalid(code: String, message: String)
    }

    static func fields(of request: Request) throws(Failure) -> [String: FieldValue] {
        switch request.contentType {
        case "application/json":
            return try json(request.body)
        case "application/x-www-form-urlencoded":
            return try form(request.body)
        case let other:
            throw .unsupportedMediaType(other)
        }
    }

    static func json(_ body: [UInt8]) throws(Failure) -> [String: FieldValue] {
        guard !body.isEmpty else { throw .invalid(code: "invalid_json", message: "request body is empty") }
        let value: FieldValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw .invalid(code: "invalid_json", message: "request body is not valid JSON")
        }
        guard case .object(let object) = value else {
            throw .invalid(code: "invalid_json", message: "request body must be a JSON object")
        }
        return object
    }

    /// `page=…&rating=…&labels[api]=payments`; the first occurrence of a name wins.
    static func form(_ body: [UInt8]) throws(Failure) -> [String: FieldValue] {
        guard let text = String(validating: body, as: UTF8.self) else {
            throw .invalid(code: "invalid_form", message: "request body is not valid form encoding")
        }
        return try form(text)
    }

    /// Form fields from a query string or form body.
    static func form(_ text: String) throws(Failure) -> [String: FieldValue] {
        guard let pairs = FormDecoding.pairs(text, strict: true) else {
            throw .invalid(code: "invalid_form", message: "the parameters are not valid form encoding")
        }
        var fields: [String: FieldValue] = [:]
        var labels: [String: FieldValue] = [:]
        for (name, value) in pairs {
            if name.hasPrefix("labels["), name.hasSuffix("]") {
                let key = String(name.dropFirst(7).dropLast())
                if labels[key] == nil { labels[key] = .text(value) }
            } else if fields[name] == nil {
                fields[name] = .text(value)
            }
        }
        if !labels.isEmpty && fields["labels"] == nil { fields["labels"] = .object(labels) }
        return fields
    }
}
