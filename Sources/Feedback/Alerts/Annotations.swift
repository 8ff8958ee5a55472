import Foundation

/// An event on the docs that may change how readers rate them: a deploy, a rewrite, a fixed example.
public struct Annotation: Sendable, Equatable {
    public let id: Int64
    /// When the change went live, Unix milliseconds.
    public let at: Int64
    /// Exactly one of `page` (a normalized page) and `pagePrefix` is set.
    public let page: String?
    public let pagePrefix: String?
    public let note: String
    public let url: String?
    public let createdAt: Int64
    public let createdBy: String?

    /// Whether this annotation and one on `page`/`prefix` could touch a common page.
    public func overlaps(page other: String?, prefix otherPrefix: String?) -> Bool {
        Annotations.overlap(page, pagePrefix, other, otherPrefix)
    }
}

extension Annotations {
    /// Whether a page-or-prefix and another could touch a common page.
    public static func overlap(_ page: String?, _ pagePrefix: String?, _ other: String?, _ otherPrefix: String?) -> Bool {
        switch (page, pagePrefix, other, otherPrefix) {
        case (let a?, _, let b?, _): a == b
        case (let a?, _, _, let p?): a.hasPrefix(p)
        case (_, let p?, let b?, _): b.hasPrefix(p)
        case (_, let p?, _, let q?): p.hasPrefix(q) || q.hasPrefix(p)
        default: false
        }
    }
}

public struct NewAnnotation: Sendable {
    public var at: Int64
    public var page: String?
    public var pagePrefix: String?
    public var note: String
    public var url: String?
    public var createdBy: String?

    public init(at: Int64, page: String?, pagePrefix: String?, note: String, url: String?, createdBy: String?) {
        self.at = at
        self.page = page
        self.pagePrefix = pagePrefix
        self.note = note
        self.url = url
        self.createdBy = createdBy
    }
}

public struct AnnotationFilter: Sendable {
    /// Annotations on this page, including those on a prefix of it.
    public var page: String?
    /// Annotations on pages or prefixes under this prefix.
    public var pagePrefix: String?
    public var since: Int64?
    public var until: Int64?

    public init() {}
}

public enum Annotations {
    public static let maxNoteLength = 2000

    static let columns = "id, at, page_key, page_prefix, note, url, created_at, created_by"

    static func read(_ row: any SQLRow) -> Annotation {
        Annotation(id: row.int64(0), at: row.int64(1), page: row.optionalString(2), pagePrefix: row.optionalString(3), note: row.string(4),
                   url: row.optionalString(5), createdAt: row.int64(6), createdBy: row.optionalString(7))
    }

    public static func create(_ new: NewAnnotation, now: Int64 = Timestamp.nowMilliseconds(), connection: any SQLSession) throws -> Annotation {
        let id = try connection.insertReturningID(
            "INSERT INTO annotations(at, page_key, page_prefix, note, url, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [new.at, new.page, new.pagePrefix, new.note, new.url, now, new.createdBy])
        return Annotation(id: id, at: new.at, page: new.page, pagePrefix: new.pagePrefix, note: new.note,
                          url: new.url, createdAt: now, createdBy: new.createdBy)
    }

    public static func delete(_ id: Int64, connection: any SQLSession) throws -> Bool {
        try connection.perform("DELETE FROM annotations WHERE id = ?", [id])
        return connection.changes > 0
    }

    /// Newest first (by time, then id), `limit` at most, skipping `offset`.
    public static func list(_ filter: AnnotationFilter, limit: Int, offset: Int = 0, connection: any SQLSession) throws -> [Annotation] {
        var clauses: [String] = []
        var values: [any DatabaseBindable] = []
        if let since = filter.since { clauses.append("at >= ?"); values.append(since) }
        if let until = filter.until { clauses.append("at < ?"); values.append(until) }
        if let page = filter.page {
            // A prefix annotation covers the page when the page starts with it.
            clauses.append("(page_key = ? OR (page_prefix IS NOT NULL AND substr(?, 1, length(page_prefix)) = page_prefix))")
            values += [page, page]
        }
        if let prefix = filter.pagePrefix {
            // length(?) rather than a bound count: PostgreSQL's substr takes no bigint parameter.
            clauses.append("(substr(coalesce(page_key, page_prefix), 1, length(?)) = ? OR substr(?, 1, length(page_prefix)) = page_prefix)")
            values += [prefix, prefix, prefix]
        }
        let whereClause = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        values += [limit, offset]
        return try connection.fetch("SELECT \(columns) FROM annotations\(whereClause) ORDER BY at DESC, id DESC LIMIT ? OFFSET ?", values, read)
    }

    /// Every annotation in time order, oldest first, whose time is before `until`.
    public static func all(until: Int64, connection: any SQLSession) throws -> [Annotation] {
        try connection.fetch("SELECT \(columns) FROM annotations WHERE at < ? ORDER BY at, id", [until], read)
    }
}
