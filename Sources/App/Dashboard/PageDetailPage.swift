import Feedback
import Foundation

/// `/dashboard/page?page=URL`: one page's votes and helpfulness over time, its reasons and comments
/// (masked where personal data was found; admins may unmask with `pii=show`).
struct PageDetailPage {
    let rules: FeedbackRules
    static let names: Set<String> = Period.names.union(["page", "pii", "cursor"])

    func render(_ params: QueryParameters, _ session: DashboardSession, _ db: FeedbackReader) throws -> String {
        let period = try Period(params)
        guard let raw = params.string("page") else { throw APIError.parameter("page", "is required: the page's URL or path") }
        let page: String
        do { page = try rules.normalizer.normalize(raw) } catch {
            throw APIError.parameter("page", "must be an absolute http(s) URL or a path starting with /")
        }
        let showPersonalData = params.string("pii") == "show"
        if showPersonalData && session.scope < .admin {
            throw APIError(.forbidden, "insufficient_scope", "Only admins may show the personal data in comments.")
        }
        var cursor: Int64?
        if let text = params.string("cursor") {
            guard let id = Cursor.decodeID(text) else { throw APIError.parameter("cursor", "is not a cursor from a previous page") }
            cursor = id
        }
        let series = try PageSeries.points(page: page, period: period, db)
        let (reasons, sampled) = try PageSeries.reasons(page: page, period: period, now: params.now, db)
        var listing = FeedbackFilter()
        listing.page = page
        listing.hasComment = true
        listing.masksPersonalData = !showPersonalData
        let comments = try db.feedback(listing, limit: 50, after: cursor)

        var total = VoteCounts()
        for point in series { total.up += point.up; total.down += point.down; total.comments += point.comments }
        var html = "<h1 class=\"url\">\(h(page))</h1>\n"
        if let live = Widgets.liveLink(page) { html += "<p>\(live)</p>" }
        html += period.picker(action: "/dashboard/page", hidden: [("page", page)])
        html += "<div class=\"cards\"><div><p class=\"k\">Votes</p><p class=\"v\">\(total.votes)</p></div><div><p class=\"k\">Helpful</p><p class=\"v\">\(Widgets.percent(total.helpfulRatio))</p></div>"
        html += "<div><p class=\"k\">Comments</p><p class=\"v\">\(total.comments)</p></div></div>\n"
        if total.votes == 0 { html += "<p class=\"notice\">This page has no votes in \(h(period.description)).</p>" }

        let labels = series.map { Widgets.seriesLabel($0.start, .day) }
        let changes = try PageAnnotations.inPeriod(page: page, period: period, db)
        let markers = PageAnnotations.markers(changes, starts: series.map(\.start), end: period.until)
        html += "<h2>Votes by \(period.bucket.rawValue)</h2>\n"
        let votesChart = SVGChart().line(id: "votes", title: "Votes by \(period.bucket.rawValue)", desc: "Votes on this page per \(period.bucket.rawValue), \(period.description).",
                                         points: zip(labels, series).map { (label: $0, value: Double($1.up + $1.down)) }, markers: markers, format: SVGChart.count)
        html += "<figure>\(votesChart)</figure>"
        html += "<h2>Helpfulness by \(period.bucket.rawValue)</h2>\n"
        let ratioChart = SVGChart().line(id: "helpfulness", title: "Helpfulness by \(period.bucket.rawValue)",
                                         desc: "Share of helpful votes on this page per \(period.bucket.rawValue), \(period.description).",
                                         points: zip(labels, series).map { (label: $0, value: $1.up + $1.down > 0 ? Double($1.up) / Double($1.up + $1.down) : nil) },
                                         yMax: 1, markers: markers, format: SVGChart.percent)
        html += Widgets.figure(ratioChart, caption: "Votes and helpfulness by \(period.bucket.rawValue)", columns: [period.bucket.rawValue, "Up", "Down", "Helpful", "Comments"],
                               rows: zip(labels, series).map { label, point in
                                   [label, String(point.up), String(point.down),
                                    Widgets.percent(point.up + point.down > 0 ? Double(point.up) / Double(point.up + point.down) : nil), String(point.comments)]
                               }, collapsed: true)

        html += PageAnnotations.list(changes)
        html += "<h2>Reasons</h2>\n"
        if sampled { html += "<p class=\"hint\">From the latest \(PageSeries.reasonSample) votes of the period.</p>" }
        let reasonChart = SVGChart(width: 640, height: max(60, 26 * reasons.count + 8)).bars(
            id: "reasons", title: "Reasons given on this page", desc: "Votes per reason, \(period.description).",
            items: reasons.map { (label: $0.0, value: Double($0.1.votes)) }, format: SVGChart.count)
        html += Widgets.figure(reasonChart, caption: "Reasons given on this page", columns: ["Reason", "Votes", "Helpful", "Comments"],
                               rows: reasons.map { [$0.0, String($0.1.votes), Widgets.percent($0.1.helpfulRatio), String($0.1.comments)] }, collapsed: false)

        html += "<h2>Comments</h2>\n<p class=\"hint\">All time, newest first. <a href=\"/dashboard/inbox\(h(QueryString.make([("page", page)])))\">Triage them in the inbox</a>"
        if session.scope >= .admin {
            let toggle: [(String, String?)] = [("page", page), ("pii", showPersonalData ? nil : "show")] + period.query
            html += " · <a href=\"/dashboard/page\(h(QueryString.make(toggle)))\">\(showPersonalData ? "Mask personal data" : "Show personal data")</a>"
        }
        html += "</p>\n" + Widgets.comments(comments.items, showPersonalData: showPersonalData, showPage: false)
        if let next = comments.nextCursor {
            let query: [(String, String?)] = [("page", page), ("pii", showPersonalData ? "show" : nil), ("cursor", next)] + period.query
            html += "<nav class=\"pager\" aria-label=\"Pagination\"><a href=\"/dashboard/page\(h(QueryString.make(query)))\" rel=\"next\">Older comments</a></nav>"
        }
        return html
    }
}
