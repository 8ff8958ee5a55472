/// Answers a request through its `Responder`, now or later, from any thread.
public typealias Handler = @Sendable (Request, Responder) -> Void

/// Maps method and path to handlers. Patterns use `:name` for one path segment.
public struct Router: Sendable {
    public struct Route: Sendable {
        public let method: String
        public let pattern: String
        /// Largest body this route accepts; nil uses the server default.
        public let bodyLimit: Int?
        /// Its place in `routes`: observers keep per-route figures in arrays, without hashing the pattern.
        public let index: Int
        let segments: [Segment]
        let handler: Handler
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    public enum Lookup {
        case found(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    public private(set) var routes: [Route] = []

    public init() {}

    public mutating func add(_ method: String, _ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        let segments = Self.split(pattern).map { $0.hasPrefix(":") ? Segment.parameter(String($0.dropFirst())) : .literal(String($0)) }
        routes.append(Route(method: method, pattern: pattern, bodyLimit: bodyLimit, index: routes.count, segments: segments, handler: handler))
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        add("POST", pattern, bodyLimit: bodyLimit, handler)
    }

    /// Finds the route for a method and a percent-encoded path. HEAD falls back to GET.
    public func lookup(method: String, path: String) -> Lookup {
        let parts = Self.split(path)
        var allowed: [String] = []
        var fallback: (Route, [String: String])?
        for route in routes {
            guard let parameters = match(route.segments, parts) else { continue }
            if route.method == method { return .found(route, parameters: parameters) }
            if method == "HEAD" && route.method == "GET" { fallback = (route, parameters) }
            allowed.append(route.method)
        }
        if let fallback { return .found(fallback.0, parameters: fallback.1) }
        guard !allowed.isEmpty else { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        if !allowed.contains("OPTIONS") { allowed.append("OPTIONS") }
        return .methodNotAllowed(allowed: allowed)
    }

    /// Every method some route answers, in the order routes were added, with HEAD after GET and
    /// OPTIONS last: the server-wide `Allow` for `OPTIONS *` (RFC 9110 §9.3.7).
    public var methods: [String] {
        var methods: [String] = []
        for route in routes where !methods.contains(route.method) {
            methods.append(route.method)
            if route.method == "GET" && !methods.contains("HEAD") { methods.append("HEAD") }
        }
        methods.removeAll { $0 == "OPTIONS" }
        methods.append("OPTIONS")
        return methods
    }

    private func match(_ segments: [Segment], _ parts: [Substring]) -> [String: String]? {
        guard segments.count == parts.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, part) in zip(segments, parts) {
            switch segment {
            case .literal(let text):
                guard part == text else { return nil }
            case .parameter(let name):
                guard let value = FormDecoding.decodePathSegment(part), !value.isEmpty else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }

    /// The non-empty pieces between slashes. On UTF-8 bytes when the path is ASCII (always, off the
    /// wire: the head parser refuses other bytes in targets), where bytes are characters; the
    /// Character-wise split cost a seventh of a `/healthz` (callgrind).
    static func split(_ path: some StringProtocol) -> [Substring] {
        let path = Substring(path)
        let utf8 = path.utf8
        var parts: [Substring] = []
        parts.reserveCapacity(8) // one allocation, not one per doubling
        let ascii = utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return false }
            func piece(_ start: Int, _ end: Int) -> Substring {
                path[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)]
            }
            var start = 0
            for index in 0..<bytes.count where bytes[index] == UInt8(ascii: "/") {
                if index > start { parts.append(piece(start, index)) }
                start = index + 1
            }
            if start < bytes.count { parts.append(piece(start, bytes.count)) }
            return true
        }
        return ascii == true ? parts : splitByCharacter(path)
    }

    /// The general split, for paths with non-ASCII characters (a `/` may combine with what follows).
    static func splitByCharacter(_ path: Substring) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
