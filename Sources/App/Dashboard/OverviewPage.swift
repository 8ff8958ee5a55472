import Feedback
import Foundation

/// `/dashboard`: the period's totals against the previous period, helpfulness over time, the worst
/// pages with sparklines, insights, sections, reasons and the latest negative comments.
struct OverviewPage {
    let rules: FeedbackRules

    /// Totals, the chart, reasons, insights and comments: one of the page's two reads.
    struct Trends: Sendable {
        var current = VoteCounts(), previous = VoteCounts()
        let chartSeries: [SeriesPoint]
        let reasons: [(String, VoteCounts)]
        /// The findings of the last scheduled evaluation (open alert episodes): a full evaluation at 1M
        /// rows costs more than a page view may, and the scheduler runs one every --insight-interval.
        let findings: [Episode]
        let comments: [FeedbackRecord]
        /// Annotations on any page in the period, marked on the chart.
        let annotations: [Annotation]
    }

    /// The pages of the period ranked worst first with their sparklines, and sections: the other read.
    struct Ranking: Sendable {
        let worst: [(group: RankedGroup, trend: [Double?])]
        let sections: [String: VoteCounts]
    }

    static func trends(_ period: Period, now: Int64, _ db: FeedbackReader) throws -> Trends {
        let utc = TimeZone(identifier: "UTC") ?? .current
        // One series over both periods gives both periods' totals (from the hourly rollup).
        let series = try db.series(AggregateFilter(), since: period.previousSince, until: period.until, bucket: .day, timeZone: utc)
        var window = AggregateFilter()
        window.since = period.since
        window.until = period.until - 1
        var negative = FeedbackFilter()
        negative.rating = .down
        negative.hasComment = true
        negative.since = period.since
        // An upper bound in the future excludes nothing, and with both bounds SQLite reads the whole
        // window through the time index and sorts it (0.7 s at 1M rows) instead of walking ids newest first.
        negative.until = period.until > now ? nil : period.until
        negative.masksPersonalData = true
        var trends = Trends(
            // UTC days fall within one UTC day or week: the chart regroups the series read above.
            chartSeries: try Timeseries.regroup(series, since: period.since, until: period.until, bucket: period.bucket, timeZone: utc),
            reasons: try db.grouped(.reason, window).filter { !$0.0.isEmpty }.sorted { ($1.1.votes, $0.0) < ($0.1.votes, $1.0) },
            findings: try db.openEpisodes(),
            comments: try db.feedback(negative, limit: 10, after: nil).items,
            annotations: try PageAnnotations.inPeriod(page: nil, period: period, db))
        for point in series {
            if point.start >= period.since {
                trends.current.up += point.up; trends.current.down += point.down; trends.current.comments += point.comments
            } else {
                trends.previous.up += point.up; trends.previous.down += point.down; trends.previous.comments += point.comments
            }
        }
        return trends
    }

    static func ranking(_ period: Period, _ db: FeedbackReader) throws -> Ranking {
        var window = AggregateFilter()
        window.since = period.since
        window.until = period.until - 1
        // The overview shows votes, helpful share and comments only: the cheaper three sums.
        let perPage = try db.pageVotes(window)
        var sections: [String: VoteCounts] = [:]
        for (page, counts) in perPage { sections[AggregateQueries.section(of: page, depth: 1), default: VoteCounts()].merge(counts) }
        let ranked = PageRanking.rank(perPage, minVotes: 1, sort: .worst).prefix(10)
        let lines = try sparklines(ranked.map(\.key), period, db)
        let worst = ranked.map { (group: $0, trend: lines[$0.key] ?? []) }
        return Ranking(worst: worst, sections: sections)
    }

    func render(_ period: Period, _ trends: Trends, _ ranking: Ranking) -> String {
        let (current, previous, chartSeries, reasons, findings, comments) =
            (trends.current, trends.previous, trends.chartSeries, trends.reasons, trends.findings, trends.comments)
        let sections = ranking.sections
        var html = "<h1>Overview</h1>\n" + period.picker(action: "/dashboard")
        html += "<h2>Totals for \(h(period.description))</h2>\n<div class=\"cards\">"
        html += "<div><p class=\"k\">Votes</p><p class=\"v\">\(current.votes)\(Widgets.delta(Double(current.votes), previous.votes > 0 ? Double(previous.votes) : nil, higherIsBetter: nil))</p></div>"
        html += "<div><p class=\"k\">Helpful</p><p class=\"v\">\(Widgets.percent(current.helpfulRatio))\(Widgets.delta(current.helpfulRatio, previous.helpfulRatio, higherIsBetter: true, asPoints: true))</p></div>"
        html += "<div><p class=\"k\">Comments</p><p class=\"v\">\(current.comments)\(Widgets.delta(Double(current.comments), previous.votes > 0 ? Double(previous.comments) : nil, higherIsBetter: nil))</p></div>"
        html += "</div>\n"

        html += "<h2>Helpfulness by \(period.bucket.rawValue)</h2>\n"
        let points = chartSeries.map { (label: Widgets.seriesLabel($0.start, period.bucket), value: $0.up + $0.down > 0 ? Double($0.up) / Double($0.up + $0.down) : nil) }
        let chart = SVGChart().line(id: "helpfulness", title: "Helpfulness by \(period.bucket.rawValue)",
                                    desc: "Share of votes that were helpful per \(period.bucket.rawValue), \(period.description).",
                                    points: points, yMax: 1,
                                    markers: PageAnnotations.markers(trends.annotations, starts: chartSeries.map(\.start), end: period.until),
                                    format: SVGChart.percent)
        html += Widgets.figure(chart, caption: "Helpfulness by \(period.bucket.rawValue)", columns: [period.bucket.rawValue, "Votes", "Helpful", "Comments"],
                               rows: chartSeries.map { [Widgets.seriesLabel($0.start, period.bucket), String($0.up + $0.down),
                                                        Widgets.percent($0.up + $0.down > 0 ? Double($0.up) / Double($0.up + $0.down) : nil), String($0.comments)] },
                               collapsed: true)
        html += PageAnnotations.list(trends.annotations, heading: "Changes in this period", showPage: true)

        html += "<h2>Pages failing readers</h2>\n<p class=\"hint\">Worst first by the Wilson interval of their helpful share. <a href=\"/dashboard/pages\(h(QueryString.make(period.query)))\">All pages</a></p>\n"
        html += worstTable(ranking.worst)

        html += "<h2>Insights</h2>\n"
        if findings.isEmpty {
            html += "<p class=\"muted\">No page changed significantly at the last evaluation.</p>"
        } else {
            html += "<ul class=\"findings\">" + findings.prefix(20).map { finding in
                "<li>\(Widgets.pageLink(finding.page)): \(h(finding.summary)) <span class=\"muted\">(\(h(finding.kind.rawValue.replacingOccurrences(of: "_", with: " "))), q = \(h(String(format: "%.2g", finding.q))))</span></li>"
            }.joined() + "</ul>"
        }

        html += "<h2>Sections</h2>\n<table><thead><tr><th scope=\"col\">Section</th><th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Helpful</th><th scope=\"col\" class=\"num\">Comments</th></tr></thead><tbody>"
        for (section, counts) in sections.sorted(by: { ($1.value.votes, $0.key) < ($0.value.votes, $1.key) }).prefix(20) {
            html += "<tr><td class=\"url\"><a href=\"/dashboard/pages\(h(QueryString.make([("prefix", section)] + period.query)))\">\(h(section))</a></td>\(Widgets.countCells(counts))</tr>"
        }
        if sections.isEmpty { html += "<tr><td colspan=\"4\" class=\"muted\">No votes in this period.</td></tr>" }
        html += "</tbody></table>\n"

        html += "<h2>Reasons</h2>\n"
        let reasonChart = SVGChart(width: 640, height: max(60, 26 * reasons.count + 8)).bars(
            id: "reasons", title: "Reasons given", desc: "Votes per reason, \(period.description).",
            items: reasons.map { (label: $0.0, value: Double($0.1.votes)) }, format: SVGChart.count)
        html += Widgets.figure(reasonChart, caption: "Reasons given", columns: ["Reason", "Votes", "Helpful", "Comments"],
                               rows: reasons.map { [$0.0, String($0.1.votes), Widgets.percent($0.1.helpfulRatio), String($0.1.comments)] }, collapsed: false)

        html += "<h2>Latest negative comments</h2>\n" + Widgets.comments(comments, showPersonalData: false)
        html += "<p><a href=\"/dashboard/inbox?rating=down\">All comments in the inbox</a></p>"
        return html
    }

    /// Helpfulness of each page in up to 12 slices of the period, from the daily page rollup in one read.
    static func sparklines(_ pages: [String], _ period: Period, _ db: FeedbackReader) throws -> [String: [Double?]] {
        // Whole UTC days per slice: the rollups are daily, so slices must not share a day.
        let days = max(1, period.span / Period.day)
        let perSlice = (days + 11) / 12
        let slices = Int((days + perSlice - 1) / perSlice)
        var window = AggregateFilter()
        window.since = period.since
        window.until = period.until - 1
        let counts = try db.pageSlices(pages, window, daysPerSlice: perSlice)
        var lines: [String: [Double?]] = [:]
        for page in pages { lines[page] = (0..<slices).map { counts[page]?[$0]?.helpfulRatio } }
        return lines
    }

    private func worstTable(_ worst: [(group: RankedGroup, trend: [Double?])]) -> String {
        guard !worst.isEmpty else { return "<p class=\"muted\">No votes in this period.</p>" }
        var html = "<table><thead><tr><th scope=\"col\">Page</th><th scope=\"col\" class=\"num\">Votes</th><th scope=\"col\" class=\"num\">Helpful</th><th scope=\"col\" class=\"num\">Comments</th><th scope=\"col\">Trend</th></tr></thead><tbody>"
        for (group, values) in worst {
            let trend = values.compactMap { $0 }.map { SVGChart.percent($0) }.joined(separator: ", ")
            html += "<tr><td class=\"url\">\(Widgets.pageLink(group.key))</td>\(Widgets.countCells(group.counts))"
            html += "<td>\(SVGChart.sparkline(values, label: "Helpfulness over the period: \(trend.isEmpty ? "no votes" : trend)"))</td></tr>"
        }
        return html + "</tbody></table>"
    }
}
