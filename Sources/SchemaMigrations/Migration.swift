// Numbered schema changes and their rules, shared by the SQLite and PostgreSQL migrators so both
// parse file names, compute checksums and report failures the same way.

/// One numbered schema change, as found in `migrations/NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Parses a file name such as `0001_initial.sql` into its version and name.
    public static func parseFileName(_ fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let version = Int(digits), version > 0 else { return nil }
        let name = String(stem[stem.index(after: underscore)...])
        guard !name.isEmpty else { return nil }
        return (version, name)
    }

    /// FNV-1a 64 of the SQL text: detects an edited migration; not a security measure.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable, Sendable {
    case duplicateVersion(Int)
    case changed(version: Int, name: String)
    case missing(version: Int, name: String)

    public var description: String {
        switch self {
        case .duplicateVersion(let v):
            return "two migrations share version \(v)"
        case .changed(let v, let name):
            return "migration \(v) (\(name)) was already applied but its SQL has changed since; restore the original file and add a new migration instead"
        case .missing(let v, let name):
            return "the database has migration \(v) (\(name)) applied, but this build does not know it; is the binary older than the database?"
        }
    }
}

/// The state of one migration in a database.
public struct MigrationStatus: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let appliedAt: String?

    public init(version: Int, name: String, appliedAt: String?) {
        self.version = version
        self.name = name
        self.appliedAt = appliedAt
    }
}

extension Migration {
    /// `migrations` in version order; two with one version are refused.
    public static func ordered(_ migrations: [Migration]) throws(MigrationError) -> [Migration] {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.version == b.version {
            throw .duplicateVersion(a.version)
        }
        return sorted
    }

    /// Checks the rows of `schema_migrations` against the known migrations and returns the applied
    /// versions with their checksums: an applied migration this build does not know, or whose SQL
    /// changed since, stops everything.
    public static func verify(applied rows: [(version: Int, name: String, checksum: String)],
                              known migrations: [Migration]) throws(MigrationError) -> [Int: String] {
        let known = Dictionary(migrations.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        var applied: [Int: String] = [:]
        for row in rows {
            guard let migration = known[row.version] else { throw .missing(version: row.version, name: row.name) }
            guard migration.checksum == row.checksum else { throw .changed(version: row.version, name: row.name) }
            applied[row.version] = row.checksum
        }
        return applied
    }
}
