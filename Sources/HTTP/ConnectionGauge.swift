import Synchronization

/// Open connections, counted by the server and readable by anyone given the gauge (`/metrics`), so a
/// reader needs no reference to the server, which is built after its routes.
public final class ConnectionGauge: Sendable {
    private let open = Atomic<Int>(0)

    public init() {}

    public var value: Int { open.load(ordering: .relaxed) }

    /// Counts a new connection unless that would pass `limit`; false when the server is full.
    func admit(limit: Int) -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        if now > limit {
            open.wrappingSubtract(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() { open.wrappingSubtract(1, ordering: .relaxed) }
}
