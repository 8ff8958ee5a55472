/// A submitted value before validation, as decoded from JSON or a form.
public enum FieldValue: Sendable, Equatable {
    case text(String)
    case number(String)
    case bool(Bool)
    case null
    case object([String: FieldValue])
    case array

    var typeName: String {
        switch self {
        case .text: "string"
        case .number: "number"
        case .bool: "boolean"
        case .null: "null"
        case .object: "object"
        case .array: "array"
        }
    }
}

/// What a reader submitted plus what the server observed about the request.
public struct FeedbackInput: Sendable {
    public var fields: [String: FieldValue]
    public var userAgent: String?
    public var origin: String?
    public var referer: String?
    /// The client's address; used only to compute the client hash, never stored.
    public var clientAddress: String?

    public init(fields: [String: FieldValue], userAgent: String? = nil, origin: String? = nil, referer: String? = nil, clientAddress: String? = nil) {
        self.fields = fields
        self.userAgent = userAgent
        self.origin = origin
        self.referer = referer
        self.clientAddress = clientAddress
    }
}

/// A rejected field: which one and which rule it broke.
public struct ValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

public enum Rating: String, Sendable, CaseIterable {
    case up, down
}

/// Feedback that passed validation, ready to store.
public struct NewFeedback: Sendable, Equatable {
    public var page: String
    public var pageKey: String
    public var rating: Rating
    public var reason: String?
    public var comment: String?
    public var source: String
    public var labels: [(key: String, value: String)]
    public var email: String?
    public var userAgent: String?
    public var origin: String?
    public var referer: String?
    public var clientAddress: String?
    /// `Idempotency-Key` of the request: a retry with the same key gets the first answer.
    public var idempotencyKey: String? = nil

    public static func == (a: NewFeedback, b: NewFeedback) -> Bool {
        a.page == b.page && a.pageKey == b.pageKey && a.rating == b.rating && a.reason == b.reason
            && a.comment == b.comment && a.source == b.source && a.email == b.email
            && a.labels.map(\.key) == b.labels.map(\.key) && a.labels.map(\.value) == b.labels.map(\.value)
            && a.userAgent == b.userAgent && a.origin == b.origin && a.referer == b.referer
    }
}

/// What a reader may add to a vote afterwards: a reason, a comment and a contact address.
public struct FeedbackDetails: Sendable, Equatable {
    public var reason: String?
    public var comment: String?
    public var email: String?

    public init(reason: String? = nil, comment: String? = nil, email: String? = nil) {
        self.reason = reason
        self.comment = comment
        self.email = email
    }

    public var isEmpty: Bool { reason == nil && comment == nil && email == nil }
}
