import Feedback

/// Annotations (docs deploys, rewrites, fixes) on one page in the dashboard: dashed marks on its charts
/// and a list under them, so a change in votes can be read against what changed on the page.
enum PageAnnotations {
    /// At most this many are drawn and listed; a page with more in one period is a changelog, not a chart.
    static let most = 50

    /// The page's annotations (its own and those on a prefix of it) in the period, oldest first.
    static func inPeriod(page: String, period: Period, _ db: FeedbackReader) throws -> [Annotation] {
        var filter = AnnotationFilter()
        filter.page = page
        filter.since = period.since
        filter.until = period.until - 1
        return try db.annotations(filter, limit: most).reversed()
    }

    /// Chart marks: point `i` stands for the bucket starting at `since + i·step`, drawn at its middle, so
    /// an annotation at a bucket's start sits between that bucket and the one before.
    static func markers(_ annotations: [Annotation], period: Period, points: Int) -> [SVGChart.Marker] {
        let step = Double(period.bucket == .week ? 7 * Period.day : Period.day)
        return annotations.map { annotation in
            let position = Double(annotation.at - period.since) / step - 0.5
            return SVGChart.Marker(position: min(max(0, position), Double(max(0, points - 1))),
                                   title: "\(Timestamp.day(milliseconds: annotation.at)): \(annotation.note)")
        }
    }

    /// The annotations as a list (the charts' marks in words); empty when there are none.
    static func list(_ annotations: [Annotation]) -> String {
        guard !annotations.isEmpty else { return "" }
        var html = "<h2>Changes on this page</h2>\n<ul class=\"annotations\">"
        for annotation in annotations {
            html += "<li><time datetime=\"\(Timestamp.rfc3339(milliseconds: annotation.at))\">\(Timestamp.day(milliseconds: annotation.at))</time> "
            html += h(annotation.note)
            if let url = annotation.url, url.hasPrefix("https://") || url.hasPrefix("http://") {
                html += " (<a href=\"\(h(url))\" rel=\"noopener noreferrer nofollow\">link</a>)"
            }
            if let prefix = annotation.pagePrefix { html += " <span class=\"hint\">on every page under \(h(prefix))</span>" }
            html += "</li>"
        }
        return html + "</ul>\n"
    }
}
