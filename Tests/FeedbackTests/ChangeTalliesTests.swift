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

    /// Each change's window as the plain definition gives it, and its votes straight from the rows.
    static func expectRowCounts(_ changes: [Change], subjects: [ChangeSubject], now: Int64 = now, window: Int64 = Changes.Options().window,
                                store: FeedbackStore) throws {
        let windows = Self.windows(subjects, window: window)
        try store.readNow { db in
            for change in changes {
                let s = change.subject
                #expect(change.window == windows[s.key], "\(s.key)")
                let before = try Self.fromRows(s, s.at - change.window, s.at, db)
                let after = try Self.fromRows(s, s.at, min(s.at + change.window, now), db)
                #expect(change.before == before && change.after == after, "\(s.key): \(change.before) \(change.after), rows say \(before) \(after)")
            }
        }
    }

    /// Votes before 1970-01-02 (an import may hold any time; the rollups' hour and day 0 also hold
    /// the hours before 1970), a page key with a decomposed accent under a prefix that Swift's
    /// `hasPrefix` would not match, and an erased record.
    @Test func earlyTimesAccentsAndErasedRecords() throws {
        let directory = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        let now = 5 * Self.day + 1_234
        let pages = ["/docs/cafe\u{301}", "/docs/cafe", "/docs/tea", "/api/x"]
        try store.writeNow { db in
            for i in 0..<1_200 {
                let time = -2 * Self.day + Int64(i) * 5 * Self.day / 1_200 + Int64(i % 7) * 1_000
                let page = pages[i % pages.count]
                try db.run("INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (?, ?, ?, ?, 'docs')",
                           [time, page, page, i % 3 == 0 ? "down" : "up"])
            }
        }
        _ = try store.write { editor in
            for id in stride(from: 3, through: 1_200, by: 50) { _ = try editor.erase(id: Int64(id)) }
            for new in [NewAnnotation(at: Self.day + 7_200_000 + 17, page: nil, pagePrefix: "/docs/cafe", note: "prefix", url: nil, createdBy: nil),
                        NewAnnotation(at: 2 * Self.day, page: "/docs/cafe\u{301}", pagePrefix: nil, note: "accent", url: nil, createdBy: nil),
                        NewAnnotation(at: Self.day / 2, page: "/docs/tea", pagePrefix: nil, note: "1970", url: nil, createdBy: nil),
                        NewAnnotation(at: 3 * Self.day + 3_333, page: nil, pagePrefix: "/docs/", note: "section", url: nil, createdBy: nil),
                        NewAnnotation(at: 2 * Self.day + 50_000_017, page: "/api/x", pagePrefix: nil, note: "late", url: nil, createdBy: nil)] {
                _ = try editor.createAnnotation(new)
            }
        }
        for window in [1, 2, 14] as [Int64] {
            var options = Changes.Options()
            options.window = window * Self.day
            let changes = try store.read { try $0.changes(since: nil, until: nil, now: now, options: options) }
            let subjects = try store.readNow { try Changes.subjects(until: now, connection: $0) }
            #expect(changes.count == 5)
            try Self.expectRowCounts(changes, subjects: subjects, now: now, window: options.window, store: store)
            for change in changes { #expect(change.before.total + change.after.total > 0, "\(window) days, \(change.subject.note)") }
        }
    }

    /// A page's resolutions of one day are one change at the first of them: `since` less a window
    /// falling between two of them must keep the day whole, or the change moves later and cuts a
    /// later change's window that it does not reach.
    @Test func aResolutionDayIsKeptWholeWhenSinceFallsInIt() throws {
        let directory = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: directory.file("h.db")))
        let day = Self.day, hour: Int64 = 3_600_000, start = 20_000 * day
        try store.writeNow { db in
            for i in 0..<4 {
                try db.run("INSERT INTO feedback(received_at, page, page_key, rating, source) VALUES (?, '/tea', '/tea', 'up', 'docs')", [start + Int64(i) * hour])
            }
            for id in [1, 2] as [Int64] {
                var change = TriageUpdate()
                change.status = .resolved
                _ = try FeedbackQueries.update(id, change, connection: db)
            }
            try db.run("UPDATE feedback_resolutions SET resolved_at = ? WHERE feedback_id = 1", [start + hour])
            try db.run("UPDATE feedback_resolutions SET resolved_at = ? WHERE feedback_id = 2", [start + 20 * hour])
        }
        let at = start + 14 * day + 10 * hour
        _ = try store.write { try $0.createAnnotation(NewAnnotation(at: at, page: "/tea", pagePrefix: nil, note: "fix", url: nil, createdBy: nil)) }
        let now = at + 20 * day
        let changes = try store.read { try $0.changes(since: start + 14 * day + 2 * hour, until: nil, now: now) }
        #expect(changes.map(\.subject.note) == ["fix"])
        #expect(changes.first?.window == Changes.Options().window, "the resolution day starts 14 days 9 hours before the fix")
    }

    /// All changes (many pages: each day's rows are read for every page), one page's (its own rows
    /// are read) and a section's, each window against the rows.
    @Test(arguments: [(nil, nil), (Seeder(rows: 1).regressedPages()[0], nil), (nil, prefix)] as [(String?, String?)])
    func everyWindowCountsWhatTheRowsSay(page: String?, prefix: String?) throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        let changes = try store.read { try $0.changes(since: nil, until: nil, now: Self.now, page: page, pagePrefix: prefix) }
        let subjects = try store.readNow { try Changes.subjects(until: Self.now, connection: $0) }
        #expect(changes.count > (page == nil && prefix == nil ? 250 : 10))
        #expect(changes.contains { $0.window < Self.day }, "some windows must start and end inside one day")
        if page != nil { #expect(changes.contains { $0.subject.at % Self.day == 0 }, "a change at midnight") }
        if page == nil && prefix == nil {
            #expect(changes.contains { $0.subject.pagePrefix == "https://docs.example.com/" } && changes.contains { $0.subject.pagePrefix == Self.prefix })
        }
        try Self.expectRowCounts(changes, subjects: subjects, store: store)
        #expect(changes.reduce(0) { $0 + $1.before.total + $1.after.total } > 500, "the windows must hold votes")
    }

    /// Filters and `since` read only the resolutions that matter (`Changes.subjects`), yet choose the
    /// same changes with the same windows and votes as filtering everything afterwards. A page under
    /// the annotated section `/api/`, the section itself, a page outside it, and a start in the middle.
    @Test(arguments: [(Seeder(rows: 1).regressedPages()[0], nil, nil), (nil, prefix, nil), ("https://docs.example.com/guides/topic-0/page-0", nil, nil),
                      (nil, nil, now - 12 * day), (nil, prefix, now - 6 * day)] as [(String?, String?, Int64?)])
    func filtersChooseTheSameChangesWithTheSameWindows(page: String?, prefix: String?, since: Int64?) throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        // With the whole site annotated every page's resolutions are read; without it, only the filter's.
        for siteAnnotated in [true, false] {
            if !siteAnnotated {
                _ = try store.write { editor in
                    for annotation in try editor.session.fetch("SELECT id FROM annotations WHERE page_prefix = 'https://docs.example.com/'", [], { $0.int64(0) }) {
                        _ = try editor.deleteAnnotation(id: annotation)
                    }
                }
            }
            let all = try store.read { try $0.changes(since: nil, until: nil, now: Self.now) }
            let filtered = try store.read { try $0.changes(since: since, until: nil, now: Self.now, page: page, pagePrefix: prefix) }
            let expected = all.filter {
                (page == nil && prefix == nil || Annotations.overlap($0.subject.page, $0.subject.pagePrefix, page, prefix)) && $0.subject.at >= since ?? .min
            }
            #expect(!filtered.isEmpty && filtered.count < all.count)
            #expect(filtered.map(\.subject.key) == expected.map(\.subject.key), "site annotated: \(siteAnnotated)")
            #expect(filtered.map(\.window) == expected.map(\.window), "site annotated: \(siteAnnotated)")
            #expect(filtered.map(\.before) == expected.map(\.before) && filtered.map(\.after) == expected.map(\.after))
        }
    }

    /// The queries no longer grow with the changes: two to list them, one per page or prefix for the
    /// whole days and one for the whole hours, one per run of consecutive hours windows end inside.
    @Test func queriesGrowWithPagesAndDaysNotWithChanges() throws {
        let directory = TemporaryDirectory()
        let store = try Self.seeded(directory)
        let (changes, queries) = try store.readNow { db in
            let counting = CountingSession(db)
            return (try Changes.evaluate(since: nil, until: nil, now: Self.now, connection: counting), counting.queries)
        }
        let scopes = Set(changes.map { ChangeTallies.Scope($0.subject) }).count
        #expect(changes.count > 250)
        // One set of reads per window would be at least 4 queries a change.
        #expect(queries <= 2 + 2 * scopes + changes.count / 4, "\(queries) queries for \(changes.count) changes on \(scopes) scopes")
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
