import Feedback

/// Annotations (docs deploys, rewrites, fixes) on one page in the dashboard: dashed marks on its charts
/// and a list under them, so a change in votes can be read against what changed on the page.
enum PageAnnotations {
    /// At most this many are drawn and listed; a page with more in one period is a changelog, not a chart.
    static let most = 50

    /// The page's annotations (its own and those on a prefix of it) in the period, oldest first; every
    /// page's when `page` is nil (the overview).
    static func inPeriod(page: String?, period: Period, _ db: FeedbackReader) throws -> [Annotation] {
        var filter = AnnotationFilter()
        filter.page = page
        filter.since = period.since
        filter.until = period.until // the filter leaves its end out, like the period
        return try db.annotations(filter, limit: most + 1).reversed()
    }

    /// Chart marks for a series whose buckets start at `starts` (ascending) and whose last ends at `end`:
    /// point `i` is drawn at the middle of its bucket, so an annotation at a bucket's start sits between
    /// that bucket and the one before. Buckets need not be equal (weeks aligned to Mondays, months).
    static func markers(_ annotations: [Annotation], starts: [Int64], end: Int64) -> [SVGChart.Marker] {
        guard let first = starts.first else { return [] }
        return annotations.suffix(most).compactMap { annotation in
            guard annotation.at >= first, annotation.at < end else { return nil }
            let index = (starts.lastIndex { $0 <= annotation.at }) ?? 0
            let bucketEnd = index + 1 < starts.count ? starts[index + 1] : end
            let fraction = Double(annotation.at - starts[index]) / Double(max(1, bucketEnd - starts[index]))
            let position = min(max(0, Double(index) + fraction - 0.5), Double(starts.count - 1))
            return SVGChart.Marker(position: position, title: "\(Timestamp.day(milliseconds: annotation.at)): \(annotation.note)")
        }
    }

    /// The annotations as a list (the charts' marks in words); empty when there are none.
    static func list(_ annotations: [Annotation], heading: String = "Changes on this page", showPage: Bool = false) -> String {
        guard !annotations.isEmpty else { return "" }
        var html = "<h2>\(heading)</h2>\n"
        if annotations.count > most { html += "<p class=\"hint\">The latest \(most) of more; all of them through <code>GET /v1/annotations</code>.</p>" }
        html += "<ul class=\"annotations\">"
        for annotation in annotations.suffix(most) {
            html += "<li><time datetime=\"\(Timestamp.rfc3339(milliseconds: annotation.at))\">\(Timestamp.day(milliseconds: annotation.at))</time> "
            html += h(annotation.note)
            if let url = annotation.url, url.hasPrefix("https://") || url.hasPrefix("http://") {
                html += " (<a href=\"\(h(url))\" rel=\"noopener noreferrer nofollow\">link</a>)"
            }
            if let prefix = annotation.pagePrefix { html += " <span class=\"hint\">on every page under \(h(prefix))</span>" }
            if showPage, let page = annotation.page {
                html += " <span class=\"hint\">on <a href=\"/dashboard/page\(h(QueryString.make([("page", page)])))\">\(h(page))</a></span>"
            }
            html += "</li>"
        }
        return html + "</ul>\n"
    }
}
