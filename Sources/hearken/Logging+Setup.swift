import Logging

enum LogSetup {
    static let levels: [Logger.Level] = Logger.Level.allCases

    /// Logs go to standard error, one line each.
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "hearken")
        logger.logLevel = level
        return logger
    }
}

