import HTTP

/// How the public side (vote links, widget, feedback posts) behaves and defends itself.
public struct PublicOptions: Sendable {
    public enum VoteLinkMode: String, CaseIterable, Sendable {
        /// `GET /v1/vote` records the vote and shows the thank-you page.
        case record
        /// `GET /v1/vote` only shows a page whose button POSTs the vote.
        case confirm
    }

    public var voteLinks: VoteLinkMode = .record
    /// Hosts `redirect=` may send readers back to, besides the hosts of the allowed origins.
    public var redirectHosts: [String] = []
    /// Requests per minute per client on public endpoints; 0 turns the limit off.
    public var rateLimitPerMinute = 60
    /// Peers whose `X-Forwarded-For` is believed.
    public var trustedProxies: [CIDR] = []
    /// User-agent substrings (case-insensitive) of crawlers and link previews, whose vote-link visits do not count.
    public var crawlerAgents: [String] = CrawlerFilter.defaultAgents
    /// The form field bots fill in and people never see.
    public var honeypotField = "website"
    /// This server's public URL for the snippets on `/embed` and in `widget.js`; nil: from the request's Host.
    public var publicURL: String?

    public init() {}
}

/// Recognizes crawlers and link-preview fetchers by user agent.
public struct CrawlerFilter: Sendable {
    public static let defaultAgents = [
        "bot", "crawler", "spider", "slurp", "preview", "facebookexternalhit", "embedly", "quora link", "outbrain",
        "pinterest", "vkshare", "w3c_validator", "whatsapp", "skypeuripreview", "nuzzel", "bitlybot", "google-read-aloud",
        "mediapartners-google", "lighthouse", "headlesschrome-prerender", "linkcheck", "wget", "python-requests",
    ]

    let agents: [String]

    public init(agents: [String]) { self.agents = agents.map { $0.lowercased() }.filter { !$0.isEmpty } }

    public func isCrawler(_ userAgent: String?) -> Bool {
        guard let agent = userAgent?.lowercased(), !agent.isEmpty else { return true }
        return agents.contains { agent.contains($0) }
    }
}

/// Which `redirect=` targets a vote link may answer 303 to: absolute http(s) URLs on allowed hosts.
struct RedirectPolicy: Sendable {
    let hosts: Set<String>

    init(hosts: [String], allowedOrigins: [String]) {
        var all = Set(hosts.map { $0.lowercased() })
        for origin in allowedOrigins {
            if let host = Self.host(of: origin) { all.insert(host) }
        }
        self.hosts = all
    }

    /// The URL when it may be redirected to, else nil.
    func allowed(_ url: String) -> String? {
        guard let host = Self.host(of: url), hosts.contains(host) else { return nil }
        return url
    }

    /// The lower-cased host (without port) of an absolute http(s) URL without user info, or nil.
    static func host(of url: String) -> String? {
        let lower = url.lowercased()
        let rest: Substring
        if lower.hasPrefix("https://") { rest = lower.dropFirst(8) } else if lower.hasPrefix("http://") { rest = lower.dropFirst(7) } else { return nil }
        guard !lower.unicodeScalars.contains(where: { $0.value <= 0x20 || $0 == "\\" || $0.value == 0x7F }) else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            return String(authority[...close])
        }
        let host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return host.isEmpty ? nil : String(host)
    }
}
