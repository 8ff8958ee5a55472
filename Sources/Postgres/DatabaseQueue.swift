import Dispatch

/// A connection confined to its own serial queue: the only way other threads reach it.
public final class DatabaseQueue: @unchecked Sendable { // connection touched only on `queue`
    private let connection: Connection
    private let queue: DispatchQueue

    public init(_ connectionString: String, label: String, notices: (@Sendable (String) -> Void)? = nil,
                defaults: [(keyword: String, value: String)] = []) throws(PostgresError) {
        connection = try Connection(connectionString, notices: notices, defaults: defaults)
        queue = DispatchQueue(label: label)
    }

    /// Runs `work` on the queue and waits for it.
    public func sync<T>(_ work: (Connection) throws -> T) rethrows -> T {
        try queue.sync { try work(connection) }
    }

    /// Runs `work` on the queue without waiting.
    public func async(_ work: @escaping @Sendable (Connection) -> Void) {
        queue.async { work(self.connection) }
    }

    public func close() {
        queue.sync { connection.close() }
    }
}
