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
