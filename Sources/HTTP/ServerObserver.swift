/// What the server reports about each answered request, for metrics. Called on the event-loop
/// thread right after the response is queued for writing, so it must be cheap.
public struct CompletedExchange: Sendable {
    public let method: String
    /// The matched route's pattern (`/v1/feedback/:id`), `unmatched` for 404/405, `invalid` for
    /// requests that could not be parsed: never the raw path, so label sets stay small.
    public let route: String
    public let status: Int
    public let durationNanoseconds: UInt64
}

public typealias ExchangeObserver = @Sendable (CompletedExchange) -> Void
