import Feedback
import Foundation
import HTTP

/// One value in a result, typed so each format can render it properly.
enum Cell: Sendable {
    case text(String?)
    case int(Int?)
    case number(Double?)
    case time(Int64?)
    case list([String])
    case map([String: String])
    case bool(Bool)

    var json: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .text(let s): return s.map(JSONText.quoted) ?? "null"
        case .int(let i): return i.map(String.init) ?? "null"
        case .number(let d): return d.map(Self.format) ?? "null"
        case .time(let t): return t.map { JSONText.quoted(Timestamp.rfc3339(milliseconds: $0)) } ?? "null"
        case .list(let items): return "[" + items.map(JSONText.quoted).joined(separator: ",") + "]"
        case .map(let pairs): return "{" + pairs.keys.sorted().map { "\(JSONText.quoted($0)):\(JSONText.quoted(pairs[$0] ?? ""))" }.joined(separator: ",") + "}"
        }
    }

    /// Plain text for CSV and terminal tables; nil renders empty.
    var plain: String {
        switch self {
        case .bool(let b): return b ? "true" : "false"
        case .text(let s): return s ?? ""
        case .int(let i): return i.map(String.init) ?? ""
        case .number(let d): return d.map(Self.format) ?? ""
        case .time(let t): return t.map { Timestamp.rfc3339(milliseconds: $0) } ?? ""
        case .list(let items): return items.joined(separator: " ")
        case .map(let pairs): return pairs.keys.sorted().map { "\($0)=\(pairs[$0] ?? "")" }.joined(separator: " ")
        }
    }

    var isText: Bool {
        switch self {
        case .text, .list, .map: true
        default: false
        }
    }

    /// Up to six significant decimals, no exponent, no trailing zeros.
    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        if abs(value) < 1e-4 { return String(format: "%.3e", value) } // tiny p-values stay readable
        var text = String(format: "%.6f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

/// Rows with named columns: the shape every list and aggregate answers in.
struct ResultTable: Sendable {
    let columns: [String]
    var rows: [[Cell]]

    func jsonObject(_ row: [Cell]) -> String {
        "{" + zip(columns, row).map { "\(JSONText.quoted($0)):\($1.json)" }.joined(separator: ",") + "}"
    }
}
