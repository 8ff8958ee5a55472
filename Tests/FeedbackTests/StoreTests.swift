import Crypto
import Dispatch
import Foundation
import SQLite
import Synchronization
import Testing
import TestSupport
@testable import Feedback

@Suite struct SchemaTests {
    /// The binary carries the migrations folder as it was at build time; this proves the copy is exact.
    @Test func embeddedMigrationsEqualTheFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("migrations")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!names.isEmpty)
        #expect(Schema.embeddedFiles.map(\.name) == names)
        for file in Schema.embeddedFiles {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(file.name), encoding: .utf8)
            #expect(file.text == onDisk, "\(file.name) differs from the embedded copy")
        }
        // Every file name parses, so none is silently skipped.
        #expect(Schema.migrations.count == names.count)
        // Versions follow the file names in order; numbers reserved for work in progress may leave gaps.
        let versions = Schema.migrations.map(\.version)
        #expect(versions == names.compactMap { Int($0.prefix { $0.isNumber }) })
        #expect(zip(versions, versions.dropFirst()).allSatisfy { $0 < $1 })
    }
}

@Suite struct StoreTests {
    func sample(_ page: String = "https://docs.example.com/a", rating: Rating = .up, address: String? = "192.0.2.7") -> NewFeedback {
        NewFeedback(page: page, pageKey: page, rating: rating, reason: "outdated", comment: "hi", source: "docs",
                    labels: [("api", "payments")], email: nil, userAgent: "UA", origin: nil, referer: nil, clientAddress: address)
    }

    func submitAndWait(_ store: FeedbackStore, _ feedback: NewFeedback) -> Result<StoredFeedback, WriteFailure> {
        let result = Mutex<Result<StoredFeedback, WriteFailure>?>(nil)
        let done = DispatchSemaphore(value: 0)
        store.writer.submit(feedback) { outcome in
            result.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? .failure(.closed)
    }

    @Test func storesAndReadsBack() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("sub/h.db")))
        defer { store.close() }
        let stored = try submitAndWait(store, sample()).get()
        let row = try store.readNow { db in
            try db.first("SELECT page_key, rating, reason, comment, labels, client_hash FROM feedback WHERE id = ?", [stored.id]) {
                ($0.string(0), $0.string(1), $0.string(2), $0.string(3), $0.string(4), $0.optionalString(5))
            }
        }
        #expect(row?.0 == "https://docs.example.com/a")
        #expect(row?.1 == "up")
        #expect(row?.4 == #"{"api":"payments"}"#)
        #expect(row?.5?.count == 32)
        let labels = try store.readNow { try $0.query("SELECT key, value FROM feedback_labels WHERE feedback_id = ?", [stored.id]) { "\($0.string(0))=\($0.string(1))" } }
        #expect(labels == ["api=payments"])
    }

    /// `readNow` (the alert scheduler's evaluations) takes readers in turn like requests do: a long
    /// query on one reader does not hold it up, and it does not always queue behind the first reader.
    @Test func readNowTakesTheNextReaderLikeRequests() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("h.db")))
        defer { store.close() }
        let (held, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
        // The first request's reader (the first one) stays busy until released.
        store.read({ _ in held.signal(); release.wait() }, completion: { _ in })
        held.wait()
        let done = DispatchSemaphore(value: 0)
        let serials = Mutex<[UInt64]>([])
        DispatchQueue.global().async {
            let serial = try? store.readNow { $0.serial }
            serials.withLock { $0.append(serial ?? 0) }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 30) == .success, "readNow waited behind the busy reader")
        release.signal()
        if serials.withLock({ $0.isEmpty }) { done.wait() }
        // Then the other reader again: turns alternate over both.
        let next = try store.readNow { $0.serial }
        #expect(serials.withLock { $0 } != [next])
    }

    @Test func concurrentSubmissionsAreAllCommittedInFewerBatches() throws {
        let dir = TemporaryDirectory()
        var options = withoutDuplicateWindow(dir.file("h.db"))
        options.maxBatch = 100
        // The writer reports every committed transaction (the metrics use this): its size tells the batches.
        let batches = Mutex<[Int]>([])
        let store = try FeedbackStore(options: options, onCommit: { rows, _ in batches.withLock { $0.append(rows) } })
        defer { store.close() }
        // Hold the writer's queue while 500 submissions arrive from many threads, as a burst would while
        // the previous commit's fsync runs; each commit must then take up to `maxBatch` of them at once.
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { try? store.writeNow { _ in holding.signal(); release.wait() } }
        holding.wait()
        let ids = Mutex<[Int64]>([])
        let group = DispatchGroup()
        DispatchQueue.concurrentPerform(iterations: 500) { i in
            group.enter()
            store.writer.submit(sample("/p\(i % 37)", rating: i % 3 == 0 ? .down : .up)) { result in
                if case .success(let stored) = result { ids.withLock { $0.append(stored.id) } }
                group.leave()
            }
        }
        release.signal()
        group.wait()
        let acknowledged = ids.withLock { $0 }
        #expect(Set(acknowledged).count == 500)
        let count = try store.readNow { try $0.first("SELECT count(*) FROM feedback") { $0.int(0) } }
        #expect(count == 500)
        // One commit per row would be 500 batches of 1.
        #expect(batches.withLock { $0 } == [100, 100, 100, 100, 100])
    }

    @Test func rawAddressNeverReachesTheDatabase() throws {
        let dir = TemporaryDirectory()
        let path = dir.file("h.db")
        let store = try FeedbackStore(options: StorageOptions(path: path))
        _ = try submitAndWait(store, sample(address: "203.0.113.99")).get()
        store.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data("203.0.113.99".utf8)) == nil)
        let wal = (try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data()
        #expect(wal.range(of: Data("203.0.113.99".utf8)) == nil)
    }

    /// Stores one vote through the writer's own ingestion step at a chosen time, so that "the same day"
    /// does not depend on when the test runs (a run crossing UTC midnight put two votes on two days).
    func ingest(_ store: FeedbackStore, _ ingestor: Ingestor, _ feedback: NewFeedback, at time: Int64) throws -> StoredFeedback {
        try store.writeNow { db in
            let stored = try db.transaction(.immediate) {
                try ingestor.ingest(feedback, receivedAt: time, connection: db)
            }
            ingestor.committed(now: time)
            return stored
        }
    }

    @Test func sameClientSameDayHashesAlikeOtherClientsDiffer() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: StorageOptions(path: dir.file("h.db")))
        defer { store.close() }
        let ingestor = Ingestor(duplicateWindow: 0, maxCommentLength: 4000)
        let noon: Int64 = 1_795_435_200_000 // 2026-11-23T12:00:00Z
        let a = try ingest(store, ingestor, sample(address: "192.0.2.1"), at: noon)
        let b = try ingest(store, ingestor, sample(address: "192.0.2.1"), at: noon + 11 * 3_600_000) // 23:00 the same day
        let c = try ingest(store, ingestor, sample(address: "192.0.2.2"), at: noon)
        func hash(_ item: StoredFeedback) throws -> String? {
            try store.readNow { try $0.first("SELECT client_hash FROM feedback WHERE id = ?", [item.id]) { $0.string(0) } }
        }
        let hashes = try [a, b, c].map(hash)
        #expect(hashes[0] != nil && hashes[0] == hashes[1])
        #expect(hashes[0] != hashes[2])
        let keys = try store.readNow { try $0.first("SELECT count(*) FROM client_hash_keys") { $0.int(0) } }
        #expect(keys == 1)
        // The hash is HMAC-SHA256(address, user agent, page host) under the day's secret, truncated to 16 bytes;
        // computed here from the stored secret, independently of the writer's cached keyed state.
        let secret = try store.readNow { try $0.first("SELECT secret FROM client_hash_keys WHERE day = '2026-11-23'") { row -> [UInt8] in
            if case .blob(let bytes) = row.value(0) { return bytes }
            return []
        } } ?? []
        let code = HMAC<SHA256>.authenticationCode(for: Data("192.0.2.2\nUA\ndocs.example.com".utf8), using: SymmetricKey(data: secret))
        #expect(hashes[2] == code.prefix(16).map { String(format: "%02x", $0) }.joined())
        // The next UTC day has a new secret, and the old one is gone: the same client cannot be linked across days.
        let nextDay = try ingest(store, ingestor, sample(address: "192.0.2.1"), at: noon + 13 * 3_600_000) // 01:00 the next day
        #expect(try hash(nextDay) != hashes[0])
        #expect(try store.readNow { try $0.query("SELECT day FROM client_hash_keys") { $0.string(0) } } == ["2026-11-24"])
    }

    @Test func fullDatabaseFailsTheWriteAndRecovers() throws {
        let dir = TemporaryDirectory()
        // Each vote a new row (a repeat would only fold its comment into the first).
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        defer { store.close() }
        _ = try submitAndWait(store, sample()).get()
        let pages = try store.writeNow { try $0.first("PRAGMA page_count") { $0.int(0) } } ?? 0
        try store.writeNow { try $0.execute("PRAGMA max_page_count=\(pages)") }
        var big = sample()
        big.comment = String(repeating: "x", count: 3900)
        var sawFull = false
        // Migration 0005 leaves the pages of the tables it dropped free, so a few rows fit still.
        for _ in 0..<100 {
            if case .failure(.storageFull) = submitAndWait(store, big) { sawFull = true; break }
        }
        #expect(sawFull)
        try store.writeNow { try $0.execute("PRAGMA max_page_count=1073741823") }
        #expect((try? submitAndWait(store, sample()).get()) != nil)
        #expect(try store.writeNow { try $0.first("PRAGMA integrity_check") { $0.string(0) } } == "ok")
    }

    @Test func queueBeyondItsBoundIsRefused() throws {
        let dir = TemporaryDirectory()
        var options = StorageOptions(path: dir.file("h.db"))
        options.maxPendingWrites = 5
        let store = try FeedbackStore(options: options)
        defer { store.close() }
        // Hold the writer's queue so submissions pile up.
        let release = DispatchSemaphore(value: 0)
        let holding = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { try? store.writeNow { _ in holding.signal(); release.wait() } }
        holding.wait()
        let refused = Mutex(0)
        let group = DispatchGroup()
        for _ in 0..<10 {
            group.enter()
            store.writer.submit(sample()) { result in
                if case .failure(.overloaded) = result { refused.withLock { $0 += 1 } }
                group.leave()
            }
        }
        release.signal()
        group.wait()
        #expect(refused.withLock { $0 } >= 4)
    }

    @Test func closeWritesWhatIsQueuedThenRefuses() throws {
        let dir = TemporaryDirectory()
        let store = try FeedbackStore(options: withoutDuplicateWindow(dir.file("h.db")))
        let acknowledged = Mutex(0)
        for _ in 0..<50 {
            store.writer.submit(sample()) { if case .success = $0 { acknowledged.withLock { $0 += 1 } } }
        }
        store.close()
        #expect(acknowledged.withLock { $0 } == 50)
        let late = submitAndWait(store, sample())
        #expect(late == .failure(.closed))
        let reopened = try FeedbackStore(options: StorageOptions(path: dir.file("h.db")))
        defer { reopened.close() }
        #expect(try reopened.readNow { try $0.first("SELECT count(*) FROM feedback") { $0.int(0) } } == 50)
    }

    @Test func unmigratedDatabaseIsRefusedWhenMigrationIsOff() throws {
        let dir = TemporaryDirectory()
        #expect(throws: (any Error).self) { try FeedbackStore(options: StorageOptions(path: dir.file("h.db")), migrate: false) }
    }
}

extension Result where Success == StoredFeedback, Failure == WriteFailure {
    static func == (a: Self, b: Self) -> Bool {
        switch (a, b) {
        case (.success(let x), .success(let y)): x == y
        case (.failure(let x), .failure(let y)): x == y
        default: false
        }
    }
}

/// Options for tests that submit the same vote from one client many times on purpose.
func withoutDuplicateWindow(_ path: String) -> StorageOptions {
    var options = StorageOptions(path: path)
    options.duplicateWindowSeconds = 0
    return options
}
