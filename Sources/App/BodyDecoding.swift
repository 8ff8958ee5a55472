import Feedback
import Foundation
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
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
        } catch {
            throw .invalid(code: "invalid_json", message: "request body is not valid JSON")
        }
        guard case .object(let object) = value.field else {
            throw .invalid(code: "invalid_json", message: "request body must be a JSON object")
        }
        return object
    }

    /// `page=…&rating=…&labels[api]=payments`; the first occurrence of a name wins.
    static func form(_ body: [UInt8]) throws(Failure) -> [String: FieldValue] {
        guard let text = String(validating: body, as: UTF8.self),
              let pairs = FormDecoding.pairs(text, strict: true) else {
            throw .invalid(code: "invalid_form", message: "request body is not valid form encoding")
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

/// Any JSON value, decoded strictly (numbers are never booleans).
struct JSONValue: Decodable {
    let field: FieldValue

    init(from decoder: any Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            while !array.isAtEnd { _ = try array.decode(JSONValue.self) }
            field = .array
            return
        }
        if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var fields: [String: FieldValue] = [:]
            for key in object.allKeys { fields[key.stringValue] = try object.decode(JSONValue.self, forKey: key).field }
            field = .object(fields)
            return
        }
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            field = .null
        } else if let bool = try? single.decode(Bool.self) {
            field = .bool(bool)
        } else if let string = try? single.decode(String.self) {
            field = .text(string)
        } else if let int = try? single.decode(Int64.self) {
            field = .number(String(int))
        } else {
            field = .number(String(try single.decode(Double.self)))
        }
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
