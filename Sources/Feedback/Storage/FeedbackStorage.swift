import Postgres

/// What the application needs of its database, whichever backend holds it: the group-commit intake,
/// reads and changes through the domain's `FeedbackReader` and `FeedbackEditor`, follow-up tokens,
/// drop counts, readiness and shutdown. `App` and `hearken` talk to this and never to a connection.
///
/// `FeedbackStore` is the SQLite implementation (the default, one process); a PostgreSQL one lets
/// several instances share a database. `StorageBackends.open` picks one from `StorageOptions.path`.
public protocol FeedbackStorage: AnyObject, Sendable {
    var options: StorageOptions { get }
    /// Submissions turned away before storage, counted per day and reason.
    var drops: DropCounter { get }
    /// The follow-up tokens under the database's shared secret.
    var followups: FollowupTokens { get }

    /// Queues a validated submission for the next group commit; `completion` runs once it is durable
    /// (or failed), never before.
    func submit(_ feedback: NewFeedback, completion: @escaping FeedbackWriter.Completion)

    /// Runs a query off the caller's thread and hands back its result; sees every acknowledged write.
    func read<T: Sendable>(_ work: @escaping @Sendable (FeedbackReader) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    /// Runs a change off the caller's thread, after queued feedback, and hands back its result.
    func write<T: Sendable>(_ work: @escaping @Sendable (FeedbackEditor) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void)
    /// Reads and waits (command-line tools, background jobs).
    func read<T>(_ work: (FeedbackReader) throws -> T) throws -> T
    /// Changes and waits (command-line tools, background jobs).
    func write<T>(_ work: (FeedbackEditor) throws -> T) throws -> T

    /// Writes `seeder`'s demo rows (`hearken seed`); returns how many.
    func seed(_ seeder: Seeder, progress: (Int) -> Void) throws -> Int

    /// Nil when the database is reachable, migrated and writable; otherwise what is wrong.
    func checkReady() -> String?
    /// Bytes the database takes on disk, for metrics (0 when unknown).
    var sizeBytes: Int { get }
    /// WAL frames the writer's commits appended since opening (SQLite; 0 elsewhere), for metrics.
    var walFramesWritten: Int { get }

    /// Periodic upkeep: drop counts, the duplicate window, idempotency keys, retention.
    func maintain(now: Int64)
    /// Writes what is queued and closes every connection.
    func close()
}

/// Opens the backend `StorageOptions.path` names: a `postgres://` or `postgresql://` connection
/// string is PostgreSQL, anything else an SQLite file.
public enum StorageBackends {
    public static func isPostgres(_ path: String) -> Bool {
        PostgresDatabase.isConnectionString(path)
    }

    /// `path` as logs, errors and `--print-config` may show it: a connection string's password hidden.
    public static func displayName(_ path: String) -> String {
        isPostgres(path) ? ConnectionString.redacted(path) : path
    }

    public static func open(options: StorageOptions, migrate: Bool = true, drops: DropCounter = DropCounter(),
                            onCommit: FeedbackWriter.BatchObserver? = nil, onFoldFailure: FeedbackWriter.FoldFailureObserver? = nil,
                            completionScope: FeedbackWriter.CompletionScope? = nil) throws -> any FeedbackStorage {
        if isPostgres(options.path) {
            return try PostgresStore(options: options, migrate: migrate, drops: drops, onCommit: onCommit,
                                     onFoldFailure: onFoldFailure, completionScope: completionScope)
        }
        return try FeedbackStore(options: options, migrate: migrate, drops: drops, onCommit: onCommit,
                                 onFoldFailure: onFoldFailure, completionScope: completionScope)
    }
}

extension FeedbackStorage {
    /// Upkeep as of now.
    public func maintain() { maintain(now: Timestamp.nowMilliseconds()) }
}
