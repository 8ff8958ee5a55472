import Feedback

/// `/dashboard/pages`: every page in the period, in the API's orders, filtered by prefix, source and
/// label, 50 to a screen.
struct PagesPage {
    let rules: FeedbackRules
    static let pageSize = 50
    static let names: Set<String> = Period.names.union(["sort", "prefix", "source", "label", "offset"])

    func render(_ params: QueryParameters, _ db: FeedbackReader) throws -> String {
        let period = try Period(params)
        let sort = try params.choice("sort", PageSort.self) ?? .worst
        let offset = try params.integer("offset", default: 0, range: 0...10_000_000)
        var filter = AggregateFilter()
        filter.since = period.since
        filter.until = period.until - 1
        filter.source = params.string("source")?.lowercased()
        if let prefix = params.string("prefix") {
            do {
                let normalized = try rules.normalizer.normalize(prefix)
                filter.pagePrefix = prefix.hasSuffix("/") && !normalized.hasSuffix("/") ? normalized + "/" : normalized
            } catch {
                throw APIError.parameter("prefix", "must be an absolute http(s) URL or a path starting with /")
            }
        }
        if let label = params.string("label") {
            let parts = label.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw APIError.parameter("label", "must be KEY=VALUE, such as version=2") }
            filter.labels = [(String(parts[0]), String(parts[1]))]
        }
        let ranked = PageRanking.rank(try db.pages(filter, sectionDepth: nil), minVotes: 1, sort: sort)
        let shown = ranked.dropFirst(offset).prefix(Self.pageSize)

        let keep: [(String, String?)] = period.query + [("sort", sort.rawValue), ("prefix", params.string("prefix")),
                                                        ("source", params.string("source")), ("label", params.string("label"))]
        var html = "<h1>Pages</h1>\n" + period.picker(action: "/dashboard/pages", hidden: keep.dropFirst(period.query.count).compactMap { pair in pair.1.map { (pair.0, $0) } })
        html += "<form class=\"filters\" method=\"get\" action=\"/dashboard/pages\" aria-label=\"Filter pages\">"
        for (name, value) in period.query { if let value { html += "<input type=\"hidden\" name=\"\(h(name))\" value=\"\(h(value))\">" } }
        html += "<label>Order<select name=\"sort\">" + PageSort.allCases.map { "<option value=\"\($0.rawValue)\"\($0 == sort ? " selected" : "")>\($0.rawValue.capitalized)</option>" }.joined() + "</select></label>"
        html += "<label>Page prefix<input type=\"text\" name=\"prefix\" value=\"\(h(params.string("prefix") ?? ""))\" placeholder=\"https://docs.example.com/guides\"></label>"
        html += "<label>Source<input type=\"text\" name=\"source\" value=\"\(h(params.string("source") ?? ""))\" placeholder=\"docs\"></label>"
        html += "<label>Label<input type=\"text\" name=\"label\" value=\"\(h(params.string("label") ?? ""))\" placeholder=\"version=2\"></label>"
        html += "<button type=\"submit\">Filter</button></form>\n"
        html += "<p class=\"muted\">\(ranked.count) pages with votes in \(h(period.description)).</p>"
        html += "<table><thead><tr><th scope=\"col\">Page</th><th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Helpful</th><th scope=\"col\" class=\"num\">Comments</th><th scope=\"col\" class=\"num\">Wilson interval</th><th scope=\"col\">Last vote</th></tr></thead><tbody>"
        for group in shown {
            html += "<tr><td class=\"url\">\(Widgets.pageLink(group.key))</td>\(Widgets.countCells(group.counts))"
            html += "<td class=\"num\">\(Widgets.percent(group.wilson.lower))–\(Widgets.percent(group.wilson.upper))</td>"
            html += "<td>\(group.counts.lastAt.map { h(Timestamp.day(milliseconds: $0)) } ?? "")</td></tr>"
        }
        if shown.isEmpty { html += "<tr><td colspan=\"6\" class=\"muted\">No pages match.</td></tr>" }
        html += "</tbody></table>\n<nav class=\"pager\" aria-label=\"Pagination\">"
        if offset > 0 {
            html += "<a href=\"/dashboard/pages\(h(QueryString.make(keep + [("offset", String(max(0, offset - Self.pageSize)))])))\" rel=\"prev\">Previous</a>"
        }
        if offset + Self.pageSize < ranked.count {
            html += "<a href=\"/dashboard/pages\(h(QueryString.make(keep + [("offset", String(offset + Self.pageSize))])))\" rel=\"next\">Next</a>"
        }
        return html + "</nav>"
    }
}
