import Foundation

/// How long a test waits for something that should happen. Generous on purpose: `swift test` runs
/// suites in parallel on a busy 2-core machine, and a passing condition returns at once anyway.
public let patientSeconds: Double = 30

/// Polls `condition` every `interval` seconds until it holds or `timeout` seconds have passed;
/// whether it held. Use instead of a fixed sleep before checking something that happens eventually.
public func waitUntil(timeout: Double = patientSeconds, interval: Double = 0.01, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(useconds_t(interval * 1_000_000))
    }
}

/// For tests whose writes must all fall on one UTC day (the client hash's secret changes at midnight)
/// and that cannot choose the writes' time: returns at once, unless UTC midnight is less than `margin`
/// seconds away, and then just after it.
public func waitUntilFarFromUTCMidnight(margin: Double = 120) {
    let untilMidnight = 86_400 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400)
    if untilMidnight < margin { usleep(useconds_t((untilMidnight + 1) * 1_000_000)) }
}
