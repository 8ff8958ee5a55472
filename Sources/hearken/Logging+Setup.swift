import Foundation
import HTTP
import Logging

enum LogFormat: String, CaseIterable {
    case text, json
}

enum LogSetup {
    /// Logs go to standard error, one line each: swift-log's text lines or one JSON object per line.
    static func bootstrap(level: Logger.Level, format: LogFormat) -> Logger {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
        }
        var logger = Logger(label: "hearken")
        logger.logLevel = level
        return logger
    }
}

/// One JSON object per line on standard error: time, level, label, source, message and metadata.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("time", Self.quote(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))),
            ("level", Self.quote(event.level.rawValue)), ("label", Self.quote(label)), ("source", Self.quote(event.source)),
            ("message", Self.quote(event.message.description)),
        ]
        if let error = event.error { fields.append(("error", Self.quote("\(error)"))) }
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }).sorted(by: { $0.key < $1.key }) {
            fields.append((key, Self.quote("\(value)")))
        }
        let text = "{" + fields.map { "\(Self.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func quote(_ text: String) -> String { JSONText.quoted(text) }
}
