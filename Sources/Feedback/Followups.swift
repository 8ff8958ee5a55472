import SQLite

/// Adds a reason, comment or email to a stored vote: the reader's one-time follow-up, or a
/// duplicate vote that carried them. Rollups follow inside the caller's transaction.
public enum Followups {
    public enum Outcome: Equatable, Sendable {
        case updated
        case notFound
        case expired
        case invalidToken
        case alreadyUsed
    }

    /// The one-time follow-up: checks the token, then attaches `details` and marks the token used.
    public static func apply(id: Int64, token: String, details: FeedbackDetails, tokens: FollowupTokens,
                             maxCommentLength: Int, connection: Connection) throws -> Outcome {
        switch tokens.verify(token, id: id) {
        case .invalid: return .invalidToken
        case .expired: return .expired
        case .valid: break
        }
        return try connection.transaction(.immediate) {
            guard let used = try connection.first("SELECT followed_up_at FROM feedback WHERE id = ?", [id], { $0.isNull(0) ? nil : $0.int64(0) }) else {
                return .notFound
            }
            guard used == nil else { return .alreadyUsed }
            _ = try attach(details, to: id, markUsed: true, maxCommentLength: maxCommentLength, connection: connection)
            return .updated
        }
    }

    /// The record's reason, comment and email with `details` merged in: a new reason or email replaces
    /// the old one, a new comment is appended to an existing one. Both backends merge this way.
    static func merge(_ details: FeedbackDetails, reason: String?, comment: String?, email: String?,
                      maxCommentLength: Int) -> (reason: String?, comment: String?, email: String?) {
        var merged = comment
        if let added = details.comment, added != comment {
            merged = comment.map { String(($0 + "\n\n" + added).prefix(2 * maxCommentLength)) } ?? added
        }
        return (details.reason ?? reason, merged, details.email ?? email)
    }

    /// Merges `details` into the record: a new reason or email replaces the old one, a new comment is
    /// appended to an existing one. Returns false when the record is gone. Call inside a transaction.
    static func attach(_ details: FeedbackDetails, to id: Int64, markUsed: Bool, maxCommentLength: Int, connection: Connection) throws -> Bool {
        guard let before = try FeedbackQueries.get(id, connection: connection) else { return false }
        let (reason, comment, email) = merge(details, reason: before.reason, comment: before.comment, email: before.email,
                                             maxCommentLength: maxCommentLength)
        let counted = before.status != TriageStatus.spam.rawValue
        let rollupsChange = counted && (reason != before.reason || (comment != nil) != (before.comment != nil))
        if rollupsChange {
            try Rollups.recompute(id: id, receivedAt: before.receivedAt, pageKey: before.pageKey, source: before.source, reason: before.reason,
                                  rating: before.rating, hasComment: before.comment != nil, labels: before.labels,
                                  included: false, connection: connection)
        }
        try connection.run(
            """
            UPDATE feedback SET reason = ?, comment = ?, email = ?, pii = ?,
                followed_up_at = CASE WHEN ? THEN ? ELSE followed_up_at END WHERE id = ?
            """,
            [reason, comment, email, comment.map(PersonalData.contains) ?? false, markUsed, Timestamp.nowMilliseconds(), id]
        )
        if rollupsChange {
            try Rollups.recompute(id: id, receivedAt: before.receivedAt, pageKey: before.pageKey, source: before.source, reason: reason,
                                  rating: before.rating, hasComment: comment != nil, labels: before.labels,
                                  included: true, connection: connection)
        }
        return true
    }
}
