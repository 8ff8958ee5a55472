import HTTP

/// The answer formats of lists and aggregates, chosen by `format=` or the `Accept` header.
enum OutputFormat: String, CaseIterable {
    case json, csv, ndjson, table

    static func choose(_ request: Request) throws(APIError) -> OutputFormat {
        if let name = request.queryValue("format") {
            guard let format = OutputFormat(rawValue: name.lowercased()) else {
                throw APIError(.badRequest, "invalid_parameter", "format must be one of json, csv, ndjson, table", field: "format")
            }
            return format
        }
        let accept = request.headers["accept"]?.lowercased() ?? ""
        if accept.contains("text/csv") { return .csv }
        if accept.contains("application/x-ndjson") { return .ndjson }
        if accept.contains("text/plain") { return .table }
        return .json
    }

    /// Renders a table. `envelope` adds JSON members next to `items` (such as `next_cursor`).
    func render(_ table: ResultTable, envelope: [(String, String)] = []) -> Response {
        switch self {
        case .json:
            var members = ["\"items\":[" + table.rows.map(table.jsonObject).joined(separator: ",") + "]"]
            members += envelope.map { "\(JSONText.quoted($0.0)):\($0.1)" }
            return Response(status: .ok, contentType: "application/json", body: ("{" + members.joined(separator: ",") + "}").utf8)
        case .ndjson:
            let lines = table.rows.map { table.jsonObject($0) + "\n" }.joined()
            return Response(status: .ok, contentType: "application/x-ndjson", body: lines.utf8)
        case .csv:
            return Response(status: .ok, contentType: "text/csv; charset=utf-8", body: CSV.render(table).utf8)
        case .table:
            return Response(status: .ok, contentType: "text/plain; charset=utf-8", body: TextTable.render(table).utf8)
        }
    }
}

/// RFC 4180 CSV with a header row. Text cells that a spreadsheet would run as a formula
/// (starting with =, +, -, @, tab or CR) get a leading apostrophe (OWASP CSV injection).
enum CSV {
    static func render(_ table: ResultTable) -> String {
        var out = table.columns.map { field($0, isText: true) }.joined(separator: ",") + "\r\n"
        for row in table.rows {
            out += row.map { field($0.plain, isText: $0.isText) }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    static func field(_ value: String, isText: Bool) -> String {
        var text = value
        if isText, let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing("\"", with: "\"\"") + "\""
    }
}

/// Aligned plain text for a terminal: one line per row, long cells cut, line breaks shown as spaces.
enum TextTable {
    static let maxWidth = 60

    static func render(_ table: ResultTable) -> String {
        let cells = table.rows.map { $0.map { clean($0.plain) } }
        var widths = table.columns.map(\.count)
        for row in cells { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
        func line(_ values: [String]) -> String {
            values.enumerated().map { i, value in value + String(repeating: " ", count: max(0, widths[i] - value.count)) }
                .joined(separator: "  ").trimmingTrailingSpaces() + "\n"
        }
        var out = line(table.columns)
        out += line(widths.map { String(repeating: "-", count: $0) })
        for row in cells { out += line(row) }
        if table.rows.isEmpty { out += "(no rows)\n" }
        return out
    }

    private static func clean(_ text: String) -> String {
        let flat = String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
        return flat.count > maxWidth ? String(flat.prefix(maxWidth - 1)) + "…" : flat
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
