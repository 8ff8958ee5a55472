import Foundation

/// A page's finding from its first evaluation to the one that no longer sees it, or sees another kind.
public struct Episode: Sendable, Equatable {
    public let id: Int64
    public let page: String
    public let kind: FindingKind
    public let summary: String
    public let onset: String?
    public let q: Double
    public let openedAt: Int64
    public let closedAt: Int64?
}

/// Turns each evaluation's findings into episodes, so each is announced once.
public enum Episodes {
    /// Opens an episode (and queues its announcement through `announce`, in the same transaction) for
    /// each page with a finding and no open episode; closes episodes whose page no longer has a
    /// finding of their kind (recovered, or changed kind: then a new episode opens). Returns the
    /// episodes opened.
    @discardableResult
    public static func apply(_ findings: [Finding], now: Int64, connection: any SQLSession, announce: (Episode) throws -> Void) throws -> [Episode] {
        // One finding per page: the most significant, so a page is one alert however many tests flag it.
        var byPage: [String: Finding] = [:]
        for finding in findings where byPage[finding.page].map({ finding.q < $0.q }) ?? true { byPage[finding.page] = finding }
        // An open episode goes on while its page still has a finding of its kind, even when another
        // kind is more significant this time: two tests trading places must not re-announce the page.
        var sameKind: [String: Finding] = [:]
        for finding in findings { sameKind["\(finding.page) \(finding.kind.rawValue)"] = finding }
        return try connection.withTransaction {
            let open = try openEpisodes(connection: connection)
            var opened: [Episode] = []
            for episode in open {
                let current = sameKind["\(episode.page) \(episode.kind.rawValue)"]
                if current == nil {
                    try connection.perform("UPDATE alert_episodes SET closed_at = ? WHERE id = ?", [now, episode.id])
                } else if let current {
                    try connection.perform("UPDATE alert_episodes SET last_seen_at = ?, summary = ?, q = ? WHERE id = ?", [now, current.summary, current.q, episode.id])
                }
            }
            let continuing = Set(open.filter { sameKind["\($0.page) \($0.kind.rawValue)"] != nil }.map(\.page))
            for (page, finding) in byPage.sorted(by: { $0.key < $1.key }) where !continuing.contains(page) {
                let id = try connection.insertReturningID(
                    "INSERT INTO alert_episodes(page_key, kind, summary, onset, q, opened_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [page, finding.kind.rawValue, finding.summary, finding.onset, finding.q, now, now])
                let episode = Episode(id: id, page: page, kind: finding.kind, summary: finding.summary,
                                      onset: finding.onset, q: finding.q, openedAt: now, closedAt: nil)
                try announce(episode)
                opened.append(episode)
            }
            return opened
        }
    }

    static let columns = "id, page_key, kind, summary, onset, q, opened_at, closed_at"

    static func read(_ row: any SQLRow) -> Episode {
        Episode(id: row.int64(0), page: row.string(1), kind: FindingKind(rawValue: row.string(2)) ?? .helpfulnessDrop, summary: row.string(3),
                onset: row.optionalString(4), q: row.double(5), openedAt: row.int64(6), closedAt: row.isNull(7) ? nil : row.int64(7))
    }

    public static func openEpisodes(connection: any SQLSession) throws -> [Episode] {
        try connection.fetch("SELECT \(columns) FROM alert_episodes WHERE closed_at IS NULL ORDER BY q, page_key", [], read)
    }

    public static func opened(since: Int64, until: Int64, connection: any SQLSession) throws -> [Episode] {
        try connection.fetch("SELECT \(columns) FROM alert_episodes WHERE opened_at >= ? AND opened_at < ? ORDER BY q, page_key", [since, until], read)
    }
}
