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
    static func apply(id: Int64, token: String, details: FeedbackDetails, tokens: FollowupTokens,
                      maxCommentLength: Int, rows: any RowRollups) throws -> Outcome {
        switch tokens.verify(token, id: id) {
        case .invalid: return .invalidToken
        case .expired: return .expired
        case .valid: break
        }
        return try rows.session.withTransaction {
            // Locked before reading: two instances given the same token apply it once.
            guard let before = try rows.lockedRecord(id) else { return .notFound }
            guard try rows.session.fetchFirst("SELECT followed_up_at FROM feedback WHERE id = ?", [id], { $0.isNull(0) }) == true else {
                return .alreadyUsed
            }
            try attach(details, to: before, markUsed: true, maxCommentLength: maxCommentLength, rows: rows)
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

    /// Merges `details` into the record (locked through `rows`): a new reason or email replaces the
    /// old one, a new comment is appended to an existing one. Call inside a transaction.
    static func attach(_ details: FeedbackDetails, to before: FeedbackRecord, markUsed: Bool, maxCommentLength: Int, rows: any RowRollups) throws {
        let (reason, comment, email) = merge(details, reason: before.reason, comment: before.comment, email: before.email,
                                             maxCommentLength: maxCommentLength)
        let counted = before.status != TriageStatus.spam.rawValue
        let rollupsChange = counted && (reason != before.reason || (comment != nil) != (before.comment != nil))
        if rollupsChange { try rows.willMoveCounts(before) }
        try rows.session.perform(
            """
            UPDATE feedback SET reason = ?, comment = ?, email = ?, pii = ?,
                followed_up_at = CASE WHEN ? = 1 THEN ? ELSE followed_up_at END WHERE id = ?
            """,
            [reason, comment, email, comment.map(PersonalData.contains) ?? false, markUsed, Timestamp.nowMilliseconds(), before.id]
        )
        if rollupsChange { try rows.didMoveCounts(before, now: CountedAs(reason: reason, hasComment: comment != nil)) }
    }
}
