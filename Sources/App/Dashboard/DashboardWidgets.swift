import Feedback

/// Pieces several dashboard pages show: numbers, page links, a chart with its table, comments.
enum Widgets {
    static func percent(_ ratio: Double?) -> String { ratio.map { SVGChart.percent($0) } ?? "–" }

    /// A link to a page's dashboard view, its URL as the (escaped) text.
    static func pageLink(_ key: String) -> String {
        "<a href=\"/dashboard/page\(h(QueryString.make([("page", key)])))\">\(h(key))</a>"
    }

    /// A link to the live page, only for http(s) URLs (never `javascript:` or `data:`).
    static func liveLink(_ url: String) -> String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://"), RedirectPolicy.host(of: url) != nil else { return nil }
        return "<a href=\"\(h(url))\" rel=\"noopener noreferrer nofollow\" target=\"_blank\">Open the live page</a>"
    }

    /// The change of a number against the previous period, worded and classed for colour.
    static func delta(_ current: Double?, _ previous: Double?, higherIsBetter: Bool?, asPoints: Bool = false) -> String {
        guard let current, let previous else { return "<span class=\"delta\">no earlier data</span>" }
        let change: Double
        let text: String
        if asPoints {
            change = (current - previous) * 100
            text = (change >= 0 ? "+" : "−") + String(Int(abs(change).rounded())) + " points"
        } else {
            guard previous > 0 else { return "<span class=\"delta\">new</span>" }
            change = (current - previous) / previous * 100
            text = (change >= 0 ? "+" : "−") + String(Int(abs(change).rounded())) + "%"
        }
        var style = ""
        if let higherIsBetter, Int(change.rounded()) != 0 { style = (change > 0) == higherIsBetter ? " better" : " worse" }
        return "<span class=\"delta\(style)\">\(text) vs previous period</span>"
    }

    /// A chart followed by its numbers as a table (in a disclosure, for long series).
    static func figure(_ svg: String, caption: String, columns: [String], rows: [[String]], collapsed: Bool) -> String {
        var table = "<table><caption class=\"visually-hidden\">\(h(caption))</caption><thead><tr>"
        for (index, column) in columns.enumerated() { table += "<th scope=\"col\"\(index > 0 ? " class=\"num\"" : "")>\(h(column))</th>" }
        table += "</tr></thead><tbody>"
        for row in rows {
            table += "<tr>" + row.enumerated().map { index, cell in index == 0 ? "<th scope=\"row\">\(h(cell))</th>" : "<td class=\"num\">\(h(cell))</td>" }.joined() + "</tr>"
        }
        table += "</tbody></table>"
        let numbers = collapsed ? "<details class=\"numbers\"><summary>\(h(caption)): the numbers</summary>\(table)</details>" : table
        return "<figure>\(svg)\(numbers)</figure>"
    }

    /// Series rows as chart points and table rows.
    static func seriesLabel(_ start: Int64, _ bucket: Bucket) -> String {
        let day = Timestamp.day(milliseconds: start)
        return bucket == .hour ? Timestamp.rfc3339(milliseconds: start) : String(day.dropFirst(5))
    }

    /// Comments as a list: page, rating, reason, status, the (masked unless `showPersonalData`) text.
    static func comments(_ records: [FeedbackRecord], showPersonalData: Bool, showPage: Bool = true) -> String {
        guard !records.isEmpty else { return "<p class=\"muted\">No comments.</p>" }
        var html = "<table><thead><tr><th scope=\"col\">When</th>\(showPage ? "<th scope=\"col\">Page</th>" : "")<th scope=\"col\">Vote</th><th scope=\"col\">Comment</th><th scope=\"col\">Status</th></tr></thead><tbody>"
        for record in records {
            html += "<tr><td>\(h(Timestamp.day(milliseconds: record.receivedAt)))</td>"
            if showPage { html += "<td class=\"url\">\(pageLink(record.pageKey))</td>" }
            html += "<td class=\"rating-\(record.rating == "up" ? "up" : "down")\">\(record.rating == "up" ? "Yes" : "No")"
            if let reason = record.reason { html += "<br><span class=\"muted\">\(h(reason))</span>" }
            html += "</td><td class=\"comment\">\(h(commentText(record, showPersonalData: showPersonalData)))</td>"
            html += "<td><span class=\"status\">\(h(record.status))</span></td></tr>"
        }
        return html + "</tbody></table>"
    }

    static func commentText(_ record: FeedbackRecord, showPersonalData: Bool) -> String {
        let text = record.pii && !showPersonalData ? record.comment.map(PersonalData.mask) : record.comment
        return text ?? ""
    }

    /// Counts of a group as table cells: votes, helpful, comments.
    static func countCells(_ counts: VoteCounts) -> String {
        "<td class=\"num\">\(counts.votes)</td><td class=\"num\">\(percent(counts.helpfulRatio))</td><td class=\"num\">\(counts.comments)</td>"
    }
}

extension VoteCounts {
    /// Adds another group's counts (sections from pages).
    mutating func merge(_ other: VoteCounts) {
        up += other.up
        down += other.down
        comments += other.comments
        downComments += other.downComments
        // Without arrays: the overview merges every page of the period into its section.
        if let last = other.lastAt { lastAt = max(lastAt ?? last, last) }
        if let first = other.firstAt { firstAt = min(firstAt ?? first, first) }
    }
}
