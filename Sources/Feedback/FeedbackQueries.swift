import Foundation

/// One page of a newest-first listing.
public struct FeedbackPage: Sendable {
    public let items: [FeedbackRecord]
    /// Pass back as `cursor` for the next page; nil on the last page.
    public let nextCursor: String?
}

/// Triage fields a team member may change; nil leaves a field as it is.
public struct TriageUpdate: Sendable {
    public var status: TriageStatus?
    /// `.some(nil)` clears the note.
    public var note: String??
    public var tags: [String]?
    public var issueURL: String??

    public init() {}
    public var isEmpty: Bool { status == nil && note == nil && tags == nil && issueURL == nil }
}

/// Reads and triage writes on feedback rows.
public enum FeedbackQueries {
    /// Newest first, keyset-paginated on id: rows inserted meanwhile never shift later pages.
    public static func list(_ filter: FeedbackFilter, limit: Int, after cursor: Int64?, connection: any SQLSession) throws -> FeedbackPage {
        let byID = try isCommonPrefix(filter, connection: connection), byStatus = try isRareStatus(filter, connection: connection)
        let (sql, values) = try filter.clause(scanPrefixInIDOrder: byID, pageThroughStatus: byStatus, dialect: connection.dialect)
        let (from, id) = filter.relation(scanPrefixInIDOrder: byID, pageThroughStatus: byStatus, dialect: connection.dialect)
        func fetch(below: Int64?, count: Int) throws -> [FeedbackRecord] {
            let bound = below == nil ? "" : " AND \(id) < ?"
            return try connection.fetch("SELECT \(FeedbackRecord.columns) FROM \(from) WHERE \(sql)\(bound) ORDER BY \(id) DESC LIMIT ?",
                                        values + (below.map { [DatabaseValue.integer($0)] } ?? []) + [.integer(Int64(count))], reuse: false) { FeedbackRecord(row: $0) }
        }
        // Rows the SQL chose can still fail `keeps` (a masked comment); fetch on past them, in growing
        // chunks, since each query evaluates the search again.
        let keeps = filter.keeper()
        var rows: [FeedbackRecord] = []
        var below = cursor
        var chunkSize = limit + 1
        while rows.count <= limit {
            let chunk = try fetch(below: below, count: chunkSize)
            rows += chunk.filter(keeps)
            guard chunk.count == chunkSize, let last = chunk.last else { break }
            below = last.id
            chunkSize = min(chunkSize * 4, 4096)
        }
        if rows.count > limit + 1 { rows.removeLast(rows.count - limit - 1) }
        var next: String?
        if rows.count > limit {
            rows.removeLast()
            next = rows.last.map { Cursor.encode($0.id) }
        }
        return FeedbackPage(items: rows, nextCursor: next)
    }

    /// Whether a page prefix covers more than 2% of votes (from the all-time rollup): then walking ids
    /// newest first finds a page of matches sooner than sorting every row under the prefix.
    static func isCommonPrefix(_ filter: FeedbackFilter, connection: any SQLSession) throws -> Bool {
        guard let prefix = filter.pagePrefix, filter.page == nil else { return false }
        let counts = try connection.fetchFirst(
            "SELECT (SELECT coalesce(sum(up + down), 0) FROM rollup_page_total WHERE page_key >= ? AND page_key < ?), (SELECT coalesce(sum(up + down), 0) FROM rollup_page_total)",
            [prefix, prefix + "\u{10FFFF}"]) { ($0.int(0), $0.int(1)) } ?? (0, 0)
        return counts.0 * 50 > counts.1
    }

    /// Whether a page's listing on SQLite filters on a status fewer than 2,000 rows have (spam,
    /// usually): then the status index finds them sooner than checking every row of a busy page (113
    /// against 0.3 ms for the busiest page at 1M rows). Counting stops at 2,000 index entries. The
    /// index holds no row still 'new' (migrations/0010), so such a listing reads the page's rows.
    static func isRareStatus(_ filter: FeedbackFilter, connection: any SQLSession) throws -> Bool {
        guard connection.dialect == .sqlite, filter.page != nil, let status = filter.status, status != .new else { return false }
        let count = try connection.fetchFirst("SELECT count(*) FROM (SELECT 1 FROM feedback WHERE status = ? AND \(FeedbackFilter.notNew) LIMIT 2000) AS s",
                                              [status.rawValue]) { $0.int(0) } ?? 0
        return count < 2000
    }

    public static func get(_ id: Int64, connection: any SQLSession) throws -> FeedbackRecord? {
        try connection.fetchFirst("SELECT \(FeedbackRecord.columns) FROM feedback WHERE id = ?", [id]) { FeedbackRecord(row: $0) }
    }

    /// Applies triage changes and keeps rollups right when a row enters or leaves spam. Nil when absent.
    static func update(_ id: Int64, _ change: TriageUpdate, rows: any RowRollups) throws -> FeedbackRecord? {
        let connection = rows.session
        return try connection.withTransaction {
            guard let before = try rows.lockedRecord(id) else { return nil }
            // Spam is not counted: entering or leaving it moves the row's votes.
            let moves = change.status.map { ($0 == .spam) != (before.status == TriageStatus.spam.rawValue) } ?? false
            if moves { try rows.willMoveCounts(before) }
            var sets: [String] = ["updated_at = ?"]
            var values: [DatabaseValue] = [.integer(Timestamp.nowMilliseconds())]
            if let status = change.status { sets.append("status = ?"); values.append(.text(status.rawValue)) }
            if let note = change.note { sets.append("note = ?"); values.append(note.map(DatabaseValue.text) ?? .null) }
            if let tags = change.tags {
                sets.append("tags = ?")
                values.append(tags.isEmpty ? .null : .text("[" + tags.map(LabelsJSON.quote).joined(separator: ",") + "]"))
            }
            if let issue = change.issueURL { sets.append("issue_url = ?"); values.append(issue.map(DatabaseValue.text) ?? .null) }
            values.append(.integer(id))
            try connection.perform("UPDATE feedback SET \(sets.joined(separator: ", ")) WHERE id = ?", values, reuse: false)
            if moves {
                try rows.didMoveCounts(before, now: change.status == .spam ? nil : CountedAs(reason: before.reason, hasComment: before.comment != nil))
            }
            return try get(id, connection: connection)
        }
    }

    /// Erases a row and its labels (and on SQLite its search entry); rollups follow. False when absent.
    static func delete(_ id: Int64, rows: any RowRollups) throws -> Bool {
        let connection = rows.session
        return try connection.withTransaction {
            guard let before = try rows.lockedRecord(id) else { return false }
            // A spam row was not counted, so erasing it changes no rollup.
            let counted = before.status != TriageStatus.spam.rawValue
            if counted { try rows.willMoveCounts(before) }
            try connection.perform("DELETE FROM feedback WHERE id = ?", [id])
            if counted { try rows.didMoveCounts(before, now: nil) }
            return true
        }
    }
}

/// Opaque pagination cursors: base64url of a versioned payload.
public enum Cursor {
    public static func encode(_ id: Int64) -> String { encode(text: "i:\(id)") }
    public static func encode(offset: Int) -> String { encode(text: "o:\(offset)") }

    public static func decodeID(_ cursor: String) -> Int64? {
        guard let text = decode(cursor), text.hasPrefix("i:"), let id = Int64(text.dropFirst(2)), id > 0 else { return nil }
        return id
    }

    public static func decodeOffset(_ cursor: String) -> Int? {
        guard let text = decode(cursor), text.hasPrefix("o:"), let offset = Int(text.dropFirst(2)), offset >= 0 else { return nil }
        return offset
    }

    private static func encode(text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    private static func decode(_ cursor: String) -> String? {
        guard cursor.count <= 64 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).flatMap { String(data: $0, encoding: .utf8) }
    }
}
