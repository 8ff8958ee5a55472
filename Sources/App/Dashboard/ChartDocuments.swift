import Feedback

/// The standalone charts of `format=svg`: what each stats endpoint's answer looks like as a picture.
enum ChartDocuments {
    static func timeseries(_ chart: SVGChart, _ points: [SeriesPoint], bucket: Bucket, page: String?,
                           annotations: [Annotation] = [], until: Int64) -> String {
        let scope = page.map { " of \($0)" } ?? ""
        let values = points.map { point in
            (label: Widgets.seriesLabel(point.start, bucket),
             value: point.up + point.down > 0 ? Double(point.up) / Double(point.up + point.down) : nil as Double?)
        }
        let votes = points.reduce(0) { $0 + $1.up + $1.down }
        return chart.line(id: "timeseries", title: "Helpfulness by \(bucket.rawValue)\(scope)",
                          desc: "Share of helpful votes per \(bucket.rawValue)\(scope); \(votes) votes in \(points.count) buckets.",
                          points: values, yMax: 1,
                          markers: PageAnnotations.markers(annotations, starts: points.map(\.start), end: until), format: SVGChart.percent)
    }

    static func pages(_ chart: SVGChart, _ groups: [RankedGroup], sort: PageSort, section: Bool) -> String {
        let what = section ? "Sections" : "Pages"
        let items: [(label: String, value: Double)]
        let format: (Double) -> String
        let measure: String
        let scale: Double? = sort == .votes || sort == .comments ? nil : 1
        switch sort {
        case .votes: (items, format, measure) = (groups.map { ($0.key, Double($0.counts.votes)) }, SVGChart.count, "votes")
        case .comments: (items, format, measure) = (groups.map { ($0.key, Double($0.counts.comments)) }, SVGChart.count, "comments")
        default: (items, format, measure) = (groups.map { ($0.key, $0.counts.helpfulRatio ?? 0) }, SVGChart.percent, "helpful share")
        }
        return chart.bars(id: "pages", title: "\(what), \(sort.rawValue) first", desc: "\(what) by \(measure), \(groups.count) listed.",
                          items: items, scale: scale, format: format)
    }

    static func reasons(_ chart: SVGChart, _ groups: [(String, VoteCounts)]) -> String {
        chart.bars(id: "reasons", title: "Reasons", desc: "Votes per reason; votes without a reason are shown as (none).",
                   items: groups.map { (label: $0.0.isEmpty ? "(none)" : $0.0, value: Double($0.1.votes)) }, format: SVGChart.count)
    }
}
