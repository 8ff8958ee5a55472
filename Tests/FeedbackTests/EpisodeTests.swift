import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

@Suite struct EpisodeTests {
    func finding(_ page: String, _ kind: FindingKind, q: Double) -> Finding {
        Finding(kind: kind, page: page, onset: nil, summary: "\(kind.rawValue) on \(page)", p: q, q: q)
    }

    @Test func aPageIsAnnouncedOncePerEpisode() throws {
        let directory = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        defer { store.close() }
        var announced: [String] = []
        func evaluate(_ findings: [Finding], at now: Int64) throws {
            try store.writeNow { db in
                _ = try Episodes.apply(findings, now: now, connection: db) { announced.append("\($0.page) \($0.kind.rawValue)") }
            }
        }
        try evaluate([finding("/a", .helpfulnessDrop, q: 0.001)], at: 1)
        try evaluate([finding("/a", .helpfulnessDrop, q: 0.002)], at: 2)
        // A second kind, now more significant, beside the first: the episode goes on.
        try evaluate([finding("/a", .helpfulnessDrop, q: 0.01), finding("/a", .commentBurst, q: 0.0001)], at: 3)
        #expect(announced == ["/a helpfulness_drop"])
        // Only the other kind now: the page's finding changed kind, which is announced.
        try evaluate([finding("/a", .commentBurst, q: 0.0001)], at: 4)
        #expect(announced == ["/a helpfulness_drop", "/a comment_burst"])
        // Recovered, then flagged again: a new episode.
        try evaluate([], at: 5)
        try evaluate([finding("/a", .commentBurst, q: 0.001), finding("/b", .slowDecline, q: 0.01)], at: 6)
        #expect(announced == ["/a helpfulness_drop", "/a comment_burst", "/a comment_burst", "/b slow_decline"])
        let open = try store.readNow { try Episodes.openEpisodes(connection: $0) }
        #expect(open.map(\.page).sorted() == ["/a", "/b"])
    }
}
