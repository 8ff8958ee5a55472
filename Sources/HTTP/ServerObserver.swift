/// What the server reports about each answered request, for metrics and the access log. Called on the
/// event-loop thread right after the response is queued for writing, so it must be cheap.
public struct CompletedExchange: Sendable {
    /// `-` when the request line could not be read.
    public let method: String
    /// The matched route's pattern (`/v1/feedback/:id`), `unmatched` for 404/405, `invalid` for
    /// requests that could not be parsed: never the raw path, so label sets stay small.
    public let route: String
    /// The matched route's `Router.Route.index` (its place in `Router.routes`); nil for `unmatched` and `invalid`.
    public let routeIndex: Int?
    public let status: Int
    public let durationNanoseconds: UInt64
    /// The percent-encoded path without the query (`-` when unknown): for logs, never for metric labels.
    public let path: String
    public let requestID: String
    /// Bytes of the response body as built by the handler (streamed bodies count 0).
    public let bodyBytes: Int
}

public typealias ExchangeObserver = @Sendable (CompletedExchange) -> Void
