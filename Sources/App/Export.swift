import Feedback
import HTTP
import Synchronization

/// How exported records are written: NDJSON (one JSON object per line, what `hearken import` reads)
/// or CSV (a header row first). Both carry every column of the listing.
public enum ExportFormat: String, CaseIterable, Sendable {
    case ndjson, csv

    public var contentType: String { self == .csv ? "text/csv; charset=utf-8" : "application/x-ndjson" }

    /// The bytes for one page of records; `first` adds the CSV header.
    public func render(_ records: [FeedbackRecord], first: Bool, showPersonalData: Bool) -> [UInt8] {
        let table = FeedbackRoutes.table(records, showPersonalData: showPersonalData)
        switch self {
        case .ndjson:
            return Array(table.rows.map { table.jsonObject($0) + "\n" }.joined().utf8)
        case .csv:
            var text = CSV.render(table)
            if !first, let headerEnd = text.range(of: "\r\n") { text.removeSubrange(text.startIndex..<headerEnd.upperBound) }
            return Array(text.utf8)
        }
    }
}

/// Reads an export page by page (keyset on id, each page its own short read) so any number of rows
/// streams in constant memory and never holds a reader for long.
public final class ExportCursor: Sendable {
    public let format: ExportFormat
    public let since: Int64?
    public let until: Int64?
    public let showPersonalData: Bool
    public let pageSize: Int
    private struct State {
        var lastID: Int64 = 0
        var first = true
        var done = false
    }
    private let state = Mutex(State())

    public init(format: ExportFormat, since: Int64?, until: Int64?, showPersonalData: Bool, pageSize: Int = 500) {
        self.format = format
        self.since = since
        self.until = until
        self.showPersonalData = showPersonalData
        self.pageSize = pageSize
    }

    /// The next page's bytes, or nil at the end (an empty CSV export is its header alone).
    public func next(_ reader: FeedbackReader) throws -> [UInt8]? {
        let (after, first, done) = state.withLock { ($0.lastID, $0.first, $0.done) }
        if done { return nil }
        let records = try reader.exportPage(afterID: after, since: since, until: until, limit: pageSize)
        state.withLock { state in
            state.lastID = records.last?.id ?? state.lastID
            state.first = false
            state.done = records.count < pageSize
        }
        if records.isEmpty && !(first && format == .csv) { return nil }
        return format.render(records, first: first, showPersonalData: showPersonalData)
    }

    public func cancel() { state.withLock { $0.done = true } }
}

/// `GET /v1/export` as a `BodyStream`: each piece is read on a reader queue when the socket wants it.
struct ExportStream: BodyStream {
    let cursor: ExportCursor
    let store: any FeedbackStorage

    func next(_ deliver: @escaping @Sendable (Result<[UInt8]?, any Error>) -> Void) {
        let cursor = self.cursor
        store.read({ reader in try cursor.next(reader) }, completion: deliver)
    }

    func cancel() { cursor.cancel() }
}

/// `GET /v1/export?format=ndjson|csv&since=…&until=…&pii=mask|show` (admin): every record, streamed.
struct ExportRoutes {
    let access: TeamAccess

    func register(in router: inout Router) {
        let store = access.store
        router.get("/v1/export", access.read(.admin) { request, _, _ in
            let params = try QueryParameters(request, allowed: ["format", "since", "until", "pii"])
            let format: ExportFormat
            switch params.string("format")?.lowercased() {
            case nil, "ndjson": format = .ndjson
            case "csv": format = .csv
            default: throw APIError.parameter("format", "must be ndjson or csv")
            }
            let since = try params.time("since"), until = try params.time("until")
            if let since, let until, since >= until { throw APIError.parameter("until", "must be after since") }
            let show: Bool
            switch params.string("pii") {
            case nil, "show": show = true
            case "mask": show = false
            default: throw APIError.parameter("pii", "must be mask or show")
            }
            let cursor = ExportCursor(format: format, since: since, until: until, showPersonalData: show)
            let filename = "hearken-export.\(format == .csv ? "csv" : "ndjson")"
            return Response(status: .ok, headers: HTTPHeaders([
                ("Content-Type", format.contentType), ("Content-Disposition", "attachment; filename=\"\(filename)\""), ("Cache-Control", "no-store"),
            ]), stream: ExportStream(cursor: cursor, store: store))
        })
    }
}
