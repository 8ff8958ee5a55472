import Feedback
import Foundation
import HTTP

/// Aggregates from the rollups: summary, pages, time series, reasons, sources.
struct StatsRoutes {
    let access: TeamAccess
    let rules: FeedbackRules

    func register(in router: inout Router) {
        router.get("/v1/stats/summary", access.read(.read) { request, _, db in try summary(request, db) })
        router.get("/v1/stats/pages", access.read(.read) { request, _, db in try pages(request, db) })
        router.get("/v1/stats/timeseries", access.read(.read) { request, _, db in try timeseries(request, db) })
        router.get("/v1/stats/reasons", access.read(.read) { request, _, db in try grouped(.reason, "reason", request, db) })
        router.get("/v1/stats/sources", access.read(.read) { request, _, db in try grouped(.source, "source", request, db) })
        router.get("/v1/stats/drops", access.read(.read) { request, _, db in try drops(request, db) })
    }

    /// Submissions the filters dropped (rate limit, honeypot, duplicate, crawler, origin), per day.
    private func drops(_ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: ["since", "format"])
        let format = try OutputFormat.choose(request)
        let since = try params.time("since") ?? Timestamp.nowMilliseconds() - 30 * 86_400_000
        let rows = try db.drops(sinceDay: since / 86_400_000)
        let table = ResultTable(columns: ["day", "reason", "count"], rows: rows.map { row in
            [.text(Timestamp.day(milliseconds: row.day * 86_400_000)), .text(row.reason), .int(row.count)]
        })
        var totals: [String: Int] = [:]
        for row in rows { totals[row.reason, default: 0] += row.count }
        let totalsJSON = "{" + DropReason.allCases.map { "\(JSONText.quoted($0.rawValue)):\(totals[$0.rawValue] ?? 0)" }.joined(separator: ",") + "}"
        return format.render(table, envelope: [("totals", totalsJSON)])
    }

    static let countColumns = ["votes", "up", "down", "helpful_ratio", "comments"]

    static func countCells(_ c: VoteCounts) -> [Cell] {
        [.int(c.votes), .int(c.up), .int(c.down), .number(c.helpfulRatio), .int(c.comments)]
    }

    private func summary(_ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: QueryParameters.aggregateNames)
        let format = try OutputFormat.choose(request)
        let filter = try params.aggregateFilter(rules: rules)
        let result = try db.summary(filter)
        let columns = ["scope"] + Self.countColumns + ["pages", "first_feedback_at", "last_feedback_at"]
        func row(_ scope: String, _ c: VoteCounts, _ pages: Int) -> [Cell] {
            [.text(scope)] + Self.countCells(c) + [.int(pages), .time(c.firstAt), .time(c.lastAt)]
        }
        let total = row("all", result.total, result.pages)
        let perSource = result.bySource.map { row($0.source, $0.counts, $0.pages) }
        guard format == .json else { return format.render(ResultTable(columns: columns, rows: [total] + perSource)) }
        // JSON: the totals as an object, with the per-source rows beside them.
        let totals = ResultTable(columns: Array(columns.dropFirst()), rows: [])
        let sources = ResultTable(columns: ["source"] + Array(columns.dropFirst()), rows: perSource)
        var json = totals.jsonObject(Array(total.dropFirst()))
        json.removeLast()
        json += ",\"sources\":[" + sources.rows.map(sources.jsonObject).joined(separator: ",") + "]}"
        return JSONBody.response(.ok, json)
    }

    enum Grouping: String, CaseIterable { case page, section }

    private func pages(_ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: QueryParameters.aggregateNames.union(["group", "depth", "sort", "min_votes", "limit", "cursor"]).union(SVGFormat.names))
        let chart = try SVGFormat.chart(request, params)
        let format = chart == nil ? try OutputFormat.choose(request) : .json
        let filter = try params.aggregateFilter(rules: rules)
        let grouping = try params.choice("group", Grouping.self) ?? .page
        let depth = try params.integer("depth", default: 1, range: 1...20)
        if grouping == .page && params.string("depth") != nil { throw APIError.parameter("depth", "applies only with group=section") }
        let sort = try params.choice("sort", PageSort.self) ?? .worst
        let minVotes = try params.integer("min_votes", default: 1, range: 0...1_000_000_000)
        let limit = try params.integer("limit", default: 50, range: 1...1000)
        var offset = 0
        if let cursor = params.string("cursor") {
            guard let value = Cursor.decodeOffset(cursor) else { throw APIError.parameter("cursor", "is not a cursor from a previous answer") }
            offset = value
        }
        let groups = PageRanking.rank(try db.pages(filter, sectionDepth: grouping == .section ? depth : nil),
                                      minVotes: minVotes, sort: sort)
        let window = groups.dropFirst(offset).prefix(limit)
        if let chart { return SVGFormat.response(ChartDocuments.pages(chart, Array(window), sort: sort, section: grouping == .section)) }
        let next = offset + limit < groups.count ? Cursor.encode(offset: offset + limit) : nil
        let table = ResultTable(
            columns: [grouping == .page ? "page" : "section"] + Self.countColumns + ["wilson_lower", "wilson_upper", "last_feedback_at"],
            rows: window.map { [.text($0.key)] + Self.countCells($0.counts) + [.number($0.wilson.lower), .number($0.wilson.upper), .time($0.counts.lastAt)] }
        )
        var response = format.render(table, envelope: [("next_cursor", next.map(JSONText.quoted) ?? "null"), ("total", String(groups.count))])
        if let next { response.headers.add("X-Next-Cursor", next) }
        return response
    }

    private func timeseries(_ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: QueryParameters.aggregateNames.union(["bucket", "tz", "page"]).union(SVGFormat.names))
        let chart = try SVGFormat.chart(request, params)
        let format = chart == nil ? try OutputFormat.choose(request) : .json
        var filter = try params.aggregateFilter(rules: rules)
        let bucket = try params.choice("bucket", Bucket.self) ?? .day
        var zone = TimeZone(identifier: "UTC") ?? TimeZone.current
        if let name = params.string("tz") {
            guard let named = TimeZone(identifier: name) else { throw APIError.parameter("tz", "must be an IANA time zone name such as Europe/Berlin") }
            zone = named
        }
        let until = filter.until ?? params.now
        let defaultSpan: Int64 = switch bucket {
        case .hour: 48 * 3_600_000
        case .day: 30 * 86_400_000
        case .week: 26 * 7 * 86_400_000
        case .month: 365 * 86_400_000
        }
        let since = filter.since ?? until - defaultSpan
        guard since < until else { throw APIError.parameter("since", "must be before until") }
        filter.since = nil
        filter.until = nil
        let points: [SeriesPoint]
        do {
            points = try db.series(filter, since: since, until: until, bucket: bucket, timeZone: zone)
        } catch Timeseries.Failure.tooManyBuckets {
            throw APIError.parameter("since", "gives more than \(Timeseries.maxBuckets) buckets; narrow since/until or use a larger bucket")
        }
        // Annotations in the span on the series' pages, so charts can mark deploys and fixes.
        var annotationFilter = AnnotationFilter()
        annotationFilter.since = since
        annotationFilter.until = until
        annotationFilter.page = filter.page
        annotationFilter.pagePrefix = filter.pagePrefix
        let annotations = Array(try db.annotations(annotationFilter, limit: 1000).reversed())
        if let chart {
            return SVGFormat.response(ChartDocuments.timeseries(chart, points, bucket: bucket, page: filter.page, annotations: annotations, until: until))
        }
        let table = ResultTable(columns: ["bucket_start", "up", "down", "votes", "helpful_ratio", "comments"], rows: points.map { point in
            let votes = point.up + point.down
            return [.time(point.start), .int(point.up), .int(point.down), .int(votes),
                    .number(votes > 0 ? Double(point.up) / Double(votes) : nil), .int(point.comments)]
        })
        let annotationTable = ResultTable(columns: AnnotationRoutes.columns, rows: annotations.map(AnnotationRoutes.row))
        return format.render(table, envelope: [("bucket", JSONText.quoted(bucket.rawValue)), ("tz", JSONText.quoted(zone.identifier)),
                                               ("annotations", "[" + annotationTable.rows.map(annotationTable.jsonObject).joined(separator: ",") + "]")])
    }

    private func grouped(_ column: AggregateQueries.GroupColumn, _ name: String, _ request: Request, _ db: FeedbackReader) throws -> Response {
        let params = try QueryParameters(request, allowed: QueryParameters.aggregateNames.union(column == .reason ? SVGFormat.names : []))
        let chart = column == .reason ? try SVGFormat.chart(request, params) : nil
        let format = chart == nil ? try OutputFormat.choose(request) : .json
        let filter = try params.aggregateFilter(rules: rules)
        let groups = try db.grouped(column, filter).sorted { ($1.1.votes, $0.0) < ($0.1.votes, $1.0) }
        if let chart { return SVGFormat.response(ChartDocuments.reasons(chart, groups)) }
        let table = ResultTable(columns: [name] + Self.countColumns + ["share"], rows: groups.map { key, counts in
            let total = groups.reduce(0) { $0 + $1.1.votes }
            return [.text(key.isEmpty ? nil : key)] + Self.countCells(counts) + [.number(total > 0 ? Double(counts.votes) / Double(total) : nil)]
        })
        return format.render(table)
    }
}
