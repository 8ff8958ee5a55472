import Foundation
import SQLite
import Testing
import TestSupport
@testable import Feedback

/// Fix verification counts each window's votes from whole days of rollups plus the rows of the days
/// the window starts or ends inside (`ChangeTallies`), and finds each change's neighbours among its
/// page's changes only (`ChangeNeighbours`). Before, one query per window walked every row of the
/// page and every pair of changes was compared: 13,000 resolution days on a million rows took about
/// a minute. These tests hold the fast way to the plain definition, computed here from the rows.
@Suite struct ChangeTalliesTests {
    static let day: Int64 = 86_400_000
    /// Not at midnight, so the newest after-windows end inside a day.
    static let now: Int64 = 1_795_435_200_000 + 13 * 3_600_000 + 12_345
    static let prefix = "https://docs.example.com/api/"

    /// 40 days of votes on 12 pages, some spam, about 300 resolution days at odd instants, and
    /// annotations at midnight, at odd instants, on a section and on the whole site.
    static func seeded(_ directory: TemporaryDirectory) throws -> FeedbackStore {
        let store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        var seeder = Seeder(rows: 8_000)
        seeder.pages = 12
        seeder.days = 40
        try store.writeNow { db in
            _ = try seeder.run(connection: db, now: now)
            for id in stride(from: 1, through: 8_000, by: 7) {
                var change = TriageUpdate()
                change.status = id % 5 == 0 ? .spam : .resolved
                _ = try FeedbackQueries.update(Int64(id), change, connection: db)
            }
            // Triage stamps the clock's time: spread the resolutions over 38 days at odd instants.
            try db.run("UPDATE feedback_resolutions SET resolved_at = ? - (feedback_id % 38) * ? - (feedback_id * 7919) % ?", [now, day, day])
        }
        let page = seeder.regressedPages()[0]
        let midnight = (now / day - 10) * day
        try store.write { editor in
            for new in [NewAnnotation(at: midnight, page: page, pagePrefix: nil, note: "at midnight", url: nil, createdBy: nil),
                        NewAnnotation(at: midnight + 7_200_000, page: page, pagePrefix: nil, note: "two hours later", url: nil, createdBy: nil),
                        NewAnnotation(at: now - 9 * day + 4_321, page: nil, pagePrefix: prefix, note: "deploy", url: nil, createdBy: nil),
                        NewAnnotation(at: now - 25 * day, page: nil, pagePrefix: "https://docs.example.com/", note: "the whole site", url: nil, createdBy: nil)] {
                _ = try editor.createAnnotation(new)
            }
        }
        return store
    }

    /// Votes in `[from, to)` on the subject's pages, spam left out, straight from the rows.
    static func fromRows(_ subject: ChangeSubject, _ from: Int64, _ to: Int64, _ db: Connection) throws -> VoteTally {
        guard from < to else { return VoteTally() }
        let (low, high) = subject.page.map { ($0, $0) } ?? ((subject.pagePrefix ?? ""), (subject.pagePrefix ?? "") + "\u{10FFFF}")
        let pageCondition = subject.page != nil ? "page_key = ? AND page_key = ?" : "page_key >= ? AND page_key < ?"
        return try db.fetchFirst("""
            SELECT coalesce(sum(rating = 'up'), 0), count(*) FROM feedback
            WHERE \(pageCondition) AND received_at >= ? AND received_at < ? AND status <> 'spam'
            """, [low, high, from, to]) { VoteTally(up: $0.int(0), total: $0.int(1)) } ?? VoteTally()
    }

    /// Each change's window as the plain definition gives it: the nearest overlapping change on
    /// either side, found by comparing every pair.
    static func windows(_ subjects: [ChangeSubject], window: Int64) -> [String: Int64] {
        var result: [String: Int64] = [:]
        for subject in subjects {
            var length = window
            for other in subjects where other.at != subject.at && other.overlaps(subject) { length = min(length, abs(other.at - subject.at)) }
            result[subject.key] = length
        }
        return result
    }

    /// All changes (many pages: each day's rows are read for every page), one page's (its own rows
    /// are read) and a section's, each window against the rows.
    @Test(arguments: [(nil, nil), (Seeder(rows: 1).regressedPages()[0], nil), (nil, prefix)] as [(String?, String?)])
    func everyWindowCountsWhatTheRowsSay(page: String?, prefix: String?) throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        let changes = try store.read { try $0.changes(since: nil, until: nil, now: Self.now, page: page, pagePrefix: prefix) }
        let subjects = try store.readNow { try Changes.subjects(until: Self.now, connection: $0) }
        let windows = Self.windows(subjects, window: Changes.Options().window)
        #expect(changes.count > (page == nil && prefix == nil ? 250 : 10))
        #expect(changes.contains { $0.window < Self.day }, "some windows must start and end inside one day")
        if page != nil { #expect(changes.contains { $0.subject.at % Self.day == 0 }, "a change at midnight") }
        if page == nil && prefix == nil {
            #expect(changes.contains { $0.subject.pagePrefix == "https://docs.example.com/" } && changes.contains { $0.subject.pagePrefix == Self.prefix })
        }
        try store.readNow { db in
            for change in changes {
                let s = change.subject
                #expect(change.window == windows[s.key], "\(s.key)")
                let before = try Self.fromRows(s, s.at - change.window, s.at, db)
                let after = try Self.fromRows(s, s.at, min(s.at + change.window, Self.now), db)
                #expect(change.before == before && change.after == after, "\(s.key): \(change.before) \(change.after), rows say \(before) \(after)")
            }
        }
        #expect(changes.reduce(0) { $0 + $1.before.total + $1.after.total } > 500, "the windows must hold votes")
    }

    @Test func aPageFilterChoosesTheSameChangesWithTheSameWindows() throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        let all = try store.read { try $0.changes(since: nil, until: nil, now: Self.now) }
        let page = Seeder(rows: 1).regressedPages()[0]
        for (page, prefix) in [(page, nil), (nil, Self.prefix)] as [(String?, String?)] {
            let filtered = try store.read { try $0.changes(since: nil, until: nil, now: Self.now, page: page, pagePrefix: prefix) }
            let expected = all.filter { Annotations.overlap($0.subject.page, $0.subject.pagePrefix, page, prefix) }
            #expect(!filtered.isEmpty && filtered.count < all.count)
            #expect(filtered.map(\.subject.key) == expected.map(\.subject.key))
            #expect(filtered.map(\.window) == expected.map(\.window) && filtered.map(\.before) == expected.map(\.before))
        }
    }

    /// The queries no longer grow with the changes: a few to list them, one per page or prefix for
    /// the whole days, one per day a window starts or ends inside.
    @Test func queriesGrowWithPagesAndDaysNotWithChanges() throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        let (changes, queries) = try store.readNow { db in
            let counting = CountingSession(db)
            return (try Changes.evaluate(since: nil, until: nil, now: Self.now, connection: counting), counting.queries)
        }
        let scopes = Set(changes.map { ChangeTallies.Scope($0.subject) }).count
        #expect(changes.count > 250)
        #expect(queries <= 2 + scopes + 60, "\(queries) queries for \(changes.count) changes on \(scopes) scopes")
    }
}

/// A session that counts the statements it passes on to a real one.
private final class CountingSession: SQLSession {
    let base: any SQLSession
    var queries = 0
    init(_ base: any SQLSession) { self.base = base }
    var dialect: SQLDialect { base.dialect }
    var changes: Int { base.changes }
    func execute(_ sql: String) throws { queries += 1; try base.execute(sql) }
    func perform(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool) throws { queries += 1; try base.perform(sql, values, reuse: reuse) }
    func fetch<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> [T] {
        queries += 1
        return try base.fetch(sql, values, reuse: reuse, map)
    }
    func fetchFirst<T>(_ sql: String, _ values: [any DatabaseBindable], reuse: Bool, _ map: (any SQLRow) throws -> T) throws -> T? {
        queries += 1
        return try base.fetchFirst(sql, values, reuse: reuse, map)
    }
    func withTransaction<T>(_ body: () throws -> T) throws -> T { try base.withTransaction(body) }
    func insertReturningID(_ sql: String, _ values: [any DatabaseBindable]) throws -> Int64 { queries += 1; return try base.insertReturningID(sql, values) }
    func isConstraintViolation(_ error: any Error) -> Bool { base.isConstraintViolation(error) }
}
