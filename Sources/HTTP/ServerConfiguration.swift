/// Limits on what one request may contain. Defaults follow common production servers.
public struct ParserLimits: Sendable {
    /// Longest request line in bytes; longer is 414.
    public var maxRequestLine: Int = 8 * 1024
    /// Largest header section in bytes (request line included); larger is 431.
    public var maxHeaderBytes: Int = 32 * 1024
    /// Most header fields; more is 431.
    public var maxHeaderCount: Int = 100
    /// Longest chunk-size line, extensions included.
    public var maxChunkLine: Int = 1024

    public init() {}
}

/// Everything the server needs to run; each value has a documented default.
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port; the bound port is reported by `HTTPServer.port`.
    public var port: Int = 8080
    public var limits = ParserLimits()
    /// Body limit for routes that do not set their own.
    public var defaultBodyLimit: Int = 64 * 1024
    /// From the first byte of a request until its header section is complete.
    public var headerTimeout: Double = 10
    /// Longest pause while a body is arriving.
    public var bodyTimeout: Double = 30
    /// How long an idle keep-alive connection stays open.
    public var keepAliveTimeout: Double = 15
    /// Longest a response may stall while being written.
    public var writeTimeout: Double = 30
    /// Open connections beyond this are answered 503 and closed.
    public var maxConnections: Int = 4096
    /// Event loop threads; each runs its own epoll set.
    public var eventLoops: Int = 1
    public var backlog: Int32 = 1024

    public init() {}
}
