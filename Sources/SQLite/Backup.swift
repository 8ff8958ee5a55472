import CSQLite
import Foundation

extension Connection {
    /// Copies the whole database into a new file at `path` with SQLite's online backup API:
    /// one step over all pages, so the copy is a consistent snapshot while writers go on (WAL).
    /// The copy is written next to `path`, synced, checked, and renamed into place.
    public func backup(to path: String) throws {
        let temporary = path + ".partial"
        try? FileManager.default.removeItem(atPath: temporary)
        let destination = try Connection(path: temporary, options: ConnectionOptions(durability: .full, cacheKiB: 2048))
        do {
            guard let source = handle, let target = destination.handle else {
                throw SQLiteError(code: SQLITE_MISUSE, message: "connection is closed")
            }
            guard let backup = sqlite3_backup_init(target, "main", source, "main") else {
                throw SQLiteError(code: sqlite3_extended_errcode(target), message: String(cString: sqlite3_errmsg(target)))
            }
            var rc = SQLITE_OK
            repeat {
                rc = sqlite3_backup_step(backup, -1)
                if rc == SQLITE_BUSY || rc == SQLITE_LOCKED { sqlite3_sleep(50) }
            } while rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED
            let finish = sqlite3_backup_finish(backup)
            guard rc == SQLITE_DONE, finish == SQLITE_OK else {
                throw SQLiteError(code: rc == SQLITE_DONE ? finish : rc, message: String(cString: sqlite3_errmsg(target)))
            }
            // A standalone file: fold the copy's WAL back in before handing it over.
            try destination.execute("PRAGMA journal_mode=DELETE")
            let result = try destination.first("PRAGMA integrity_check") { $0.string(0) }
            guard result == "ok" else { throw SQLiteError(code: SQLITE_CORRUPT, message: "backup failed its integrity check: \(result ?? "no answer")") }
            destination.close()
        } catch {
            destination.close()
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.moveItem(atPath: temporary, toPath: path)
    }

    /// `PRAGMA integrity_check`: `["ok"]` for a sound database, otherwise the problems found.
    public func integrityCheck() throws -> [String] {
        try prepare("PRAGMA integrity_check").query { $0.string(0) }
    }
}
