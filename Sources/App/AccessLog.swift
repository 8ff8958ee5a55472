import HTTP
import Logging

/// One info line per answered request, installed as the server's exchange observer. Only the path
/// is logged, never the query (it can carry comments or emails from vote links).
struct AccessLog: Sendable {
    let logger: Logger

    func record(_ exchange: CompletedExchange) {
        logger.info("\(exchange.method) \(exchange.path) \(exchange.status) \(exchange.bodyBytes)B \(exchange.durationNanoseconds / 1_000_000)ms",
                    metadata: ["request_id": "\(exchange.requestID)"])
    }
}
