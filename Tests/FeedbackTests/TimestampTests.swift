import Foundation
import Testing
@testable import Feedback

@Suite struct TimestampTests {
    /// `rfc3339` writes digits itself; Foundation's formatter is the reference (from 1600 on: before the
    /// Gregorian reform Foundation switches to the Julian calendar, RFC 3339 does not).
    @Test func rfc3339AgreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        let fixed: [Int64] = [0, 1, 999, 1000, -1, -1000, -1001, 951_782_400_000, 4_102_444_799_999, 253_402_300_799_999, -11_676_096_000_000]
        for milliseconds in fixed + (0..<2000).map({ _ in Int64.random(in: -11_676_096_000_000...253_402_300_799_999, using: &generator) }) {
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(Timestamp.rfc3339(milliseconds: milliseconds) == expected, "\(milliseconds)")
        }
        #expect(Timestamp.day(milliseconds: 1_795_392_000_000) == "2026-11-23")
    }
}
