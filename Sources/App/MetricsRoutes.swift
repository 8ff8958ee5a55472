import Crypto
import Feedback
import Foundation
import HTTP
import Synchronization

/// `GET /metrics`: Prometheus text format. With `--metrics-token`, scrapers must send it as a bearer token.
struct MetricsRoutes {
    static let path = "/metrics"
    let metrics: ServiceMetrics
    let requests: RequestMetrics
    let store: any FeedbackStorage
    let connections: ConnectionGauge
    /// SHA-256 of the configured token; compared in constant time.
    let tokenDigest: [UInt8]?

    init(metrics: ServiceMetrics, requests: RequestMetrics, store: any FeedbackStorage, connections: ConnectionGauge, token: String?) {
        self.metrics = metrics
        self.requests = requests
        self.store = store
        self.connections = connections
        tokenDigest = token.map { Array(SHA256.hash(data: Data($0.utf8))) }
    }

    func register(in router: inout Router) {
        router.get(Self.path) { request, responder in
            if let tokenDigest {
                let presented = request.headers["authorization"].flatMap { header -> String? in
                    let parts = header.split(separator: " ", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
                }
                let digest = Array(SHA256.hash(data: Data((presented ?? "").utf8)))
                guard presented != nil, Self.constantTimeEqual(digest, tokenDigest) else {
                    var response = Response.error(.unauthorized, code: "unauthorized", message: "/metrics needs the metrics token: Authorization: Bearer TOKEN")
                    response.headers.add("WWW-Authenticate", "Bearer realm=\"hearken-metrics\"")
                    responder.respond(response)
                    return
                }
            }
            let body = metrics.render(openConnections: connections.value, databaseBytes: store.sizeBytes, walFramesWritten: store.walFramesWritten,
                                      requests: requests)
            var response = Response(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: body)
            response.headers.add("Cache-Control", "no-store")
            responder.respond(response)
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
