
/// Which feedback rows a listing or aggregate covers. Every field is optional; set ones combine with AND.
public struct FeedbackFilter: Sendable {
    /// Normalized page key, exact.
    public var page: String?
    /// Prefix of the normalized page key.
    public var pagePrefix: String?
    public var source: String?
    public var rating: Rating?
    public var reason: String?
    public var status: TriageStatus?
    public var hasComment: Bool?
    public var labels: [(key: String, value: String)] = []
    /// Full-text search in comments; words are AND-ed, `word*` matches a prefix.
    public var text: String?
    /// The reader sees comments flagged as holding personal data masked, so such a comment matches
    /// `text` only through its masked form: otherwise a search for an address would reveal that a
    /// masked comment contains it.
    public var masksPersonalData = false
    /// Unix milliseconds, inclusive.
    public var since: Int64?
    /// Unix milliseconds, exclusive.
    public var until: Int64?

    public init() {}

    /// What to read FROM for `clause`, and the id to order and page by. On SQLite `feedback` has no
    /// index by page: with a page filter the rows come through the rows by page the fold keeps
    /// (`feedback_page_rows` as `r`, migrations/0009), and every read folds the pending rows first,
    /// so they hold every acknowledged row. Ordered by `r.feedback_id` a page's rows come newest first
    /// straight from that table's key. PostgreSQL keeps its index by page and reads `feedback`.
    /// `pageThroughStatus` reads a page's rows through the status index instead, for a status few rows
    /// have (spam): a busy page has too many rows to check one by one.
    func relation(scanPrefixInIDOrder: Bool = false, pageThroughStatus: Bool = false, dialect: SQLDialect = .sqlite) -> (from: String, id: String) {
        guard dialect == .sqlite, (page != nil && !pageThroughStatus) || (pagePrefix != nil && !scanPrefixInIDOrder) else {
            return ("feedback", "feedback.id")
        }
        return (Self.pageRowsJoin, "r.feedback_id")
    }

    static let pageRowsJoin = "feedback_page_rows r JOIN feedback ON feedback.id = r.feedback_id"

    /// A WHERE clause over `relation` with its bound values. `scanPrefixInIDOrder` walks `feedback`
    /// by id instead of the prefix's pages: newest-first listings of a common prefix find their rows
    /// sooner that way (a unary + keeps SQLite off other indexes; PostgreSQL has no unary `+` on text
    /// and plans prefixes by itself, so the hint is SQLite's only).
    func clause(scanPrefixInIDOrder: Bool = false, pageThroughStatus: Bool = false, dialect: SQLDialect = .sqlite) throws -> (sql: String, values: [DatabaseValue]) {
        var parts: [String] = []
        var values: [DatabaseValue] = []
        if let page {
            parts.append(dialect != .sqlite ? "page_key = ?" : pageThroughStatus ? Self.pageExists : Self.pageCondition)
            values.append(.text(page))
        }
        if let pagePrefix {
            if dialect != .sqlite {
                parts.append("page_key >= ? AND page_key < ?")
            } else {
                parts.append(scanPrefixInIDOrder ? "+page_key >= ? AND +page_key < ?" : Self.prefixCondition)
            }
            values += [.text(pagePrefix), .text(pagePrefix + "\u{10FFFF}")]
        }
        if let source { parts.append("source = ?"); values.append(.text(source)) }
        if let rating { parts.append("rating = ?"); values.append(.text(rating.rawValue)) }
        if let reason { parts.append("reason = ?"); values.append(.text(reason)) }
        if let status {
            parts.append(dialect == .sqlite && status != .new ? "status = ? AND \(Self.notNew)" : "status = ?")
            values.append(.text(status.rawValue))
        }
        if let hasComment { parts.append(hasComment ? "comment IS NOT NULL" : "comment IS NULL") }
        for label in labels {
            parts.append("EXISTS (SELECT 1 FROM feedback_labels l WHERE l.feedback_id = feedback.id AND l.key = ? AND l.value = ?)")
            values += [.text(label.key), .text(label.value)]
        }
        if let text, let query = CommentQuery(text) {
            if dialect == .sqlite {
                parts.append("id IN (SELECT rowid FROM feedback_fts WHERE feedback_fts MATCH ?)")
                values.append(.text(query.ftsQuery))
            } else if query.hasUnindexableToken {
                parts.append("FALSE") // PostgreSQL indexes no such word, so no comment can match it there
            } else {
                parts.append(Self.tsqueryCondition)
                values.append(.text(query.postgresWords))
            }
        }
        if let since { parts.append("received_at >= ?"); values.append(.integer(since)) }
        if let until { parts.append("received_at < ?"); values.append(.integer(until)) }
        return (parts.isEmpty ? "TRUE" : parts.joined(separator: " AND "), values)
    }

    /// FTS5's query on PostgreSQL; binds `CommentQuery.postgresWords`. Each word becomes a phrase of
    /// the lexemes `feedback_search_text` (migrations/postgres/0005, the function that also builds
    /// `comment_search`) leaves of it, its last lexeme a prefix for `word*`, and the phrases are
    /// AND-ed. Words without lexemes drop out as in FTS5; with none left the aggregate is NULL and
    /// nothing matches. Only lexemes reach the tsquery text, so no input can be an operator.
    static let tsqueryCondition = """
        comment_search @@ (SELECT string_agg('(' || t::text || CASE WHEN w LIKE '%*' THEN ':*' ELSE '' END || ')', ' & ')::tsquery \
        FROM regexp_split_to_table(?, ' ') AS w, LATERAL phraseto_tsquery('simple', feedback_search_text(w)) AS t WHERE numnode(t) > 0)
        """

    /// On SQLite only rows triaged away from 'new' are in the status index, which a query uses only with
    /// this term written out (a partial index, migrations/0010): rows still 'new' are most rows and the newest.
    static let notNew = "status <> 'new'"

    /// One page's rows in `pageRowsJoin`; binds the page key.
    static let pageCondition = "r.page_id = (SELECT id FROM pages WHERE page_key = ?)"
    /// One page's rows as a condition on `feedback` alone; binds the page key.
    static let pageExists = """
        EXISTS (SELECT 1 FROM feedback_page_rows r WHERE r.page_id = (SELECT id FROM pages WHERE page_key = ?) AND r.feedback_id = feedback.id)
        """
    /// A range of pages' rows in `pageRowsJoin`; binds the first key and the key past the last.
    static let prefixCondition = "r.page_id IN (SELECT id FROM pages WHERE page_key >= ? AND page_key < ?)"

    /// Which rows the SQL clause chose stay: a flagged comment must also match once masked.
    func keeper() -> (FeedbackRecord) -> Bool {
        guard masksPersonalData, let text, let query = CommentQuery(text) else { return { _ in true } }
        return { record in !record.pii || (record.comment.map { query.matches(PersonalData.mask($0)) } ?? false) }
    }

    /// Turns free text into an FTS5 query that cannot be a syntax error: each word quoted, AND-ed.
    static func ftsQuery(_ text: String) -> String? { CommentQuery(text)?.ftsQuery }
}
