import Feedback

/// The orders pages and sections can be listed in, shared by `GET /v1/stats/pages` and the dashboard.
enum PageSort: String, CaseIterable { case worst, best, votes, comments, recent }

struct RankedGroup {
    let key: String
    let counts: VoteCounts
    let wilson: (lower: Double, upper: Double)
}

enum PageRanking {
    /// Groups with at least `minVotes` votes in `sort` order. Worst first means the lowest upper bound
    /// of the Wilson interval: a page needs enough votes to rank as confidently bad.
    static func rank(_ groups: [(String, VoteCounts)], minVotes: Int, sort: PageSort) -> [RankedGroup] {
        var ranked = groups.filter { $0.1.votes >= minVotes }.map { RankedGroup(key: $0.0, counts: $0.1, wilson: $0.1.wilson) }
        switch sort {
        case .worst: ranked.sort { ($0.wilson.upper, -$0.counts.votes, $0.key) < ($1.wilson.upper, -$1.counts.votes, $1.key) }
        case .best: ranked.sort { (-$0.wilson.lower, -$0.counts.votes, $0.key) < (-$1.wilson.lower, -$1.counts.votes, $1.key) }
        case .votes: ranked.sort { (-$0.counts.votes, $0.key) < (-$1.counts.votes, $1.key) }
        case .comments: ranked.sort { (-$0.counts.comments, $0.key) < (-$1.counts.comments, $1.key) }
        case .recent: ranked.sort { (-($0.counts.lastAt ?? 0), $0.key) < (-($1.counts.lastAt ?? 0), $1.key) }
        }
        return ranked
    }
}
