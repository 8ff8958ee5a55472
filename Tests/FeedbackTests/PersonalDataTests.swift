import Foundation
import Testing
@testable import Feedback

@Suite struct PersonalDataTests {
    @Test(arguments: [
        ("write to jane.doe+docs@example.co.uk please", "write to [email] please"),
        ("call +1 (415) 555-2671 tomorrow", "call [phone] tomorrow"),
        ("my number is 030 1234 5678.", "my number is [phone]."),
        ("card 4111 1111 1111 1111 was charged", "card [card] was charged"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("0176 12345678", "[phone]"),
    ])
    func findsAndMasks(_ text: String, _ masked: String) {
        #expect(PersonalData.contains(text))
        #expect(PersonalData.mask(text) == masked)
    }

    @Test(arguments: [
        "the v2.3.1 example fails on 2024-01-15",
        "set timeout to 30000 ms and retry 3 times",
        "see section 4.2.1 and RFC 9112",
        "connect to 192.168.100.200 on port 8080",
        "use @decorator in python and user@localhost",
        "error 0x80070005 from build 4111111111111112x",
        "ids 12345678 and 87654321",
    ])
    func leavesOrdinaryTechnicalTextAlone(_ text: String) {
        #expect(!PersonalData.contains(text), "\(PersonalData.find(text))")
    }

    @Test func luhnRejectsCardLikeNumbersThatAreNotCards() {
        #expect(PersonalData.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
        #expect(!PersonalData.luhn([4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]))
        #expect(PersonalData.mask("order 4111111111111112 failed") != "order [card] failed")
    }

    @Test func multibyteTextAroundMatchesSurvives() {
        #expect(PersonalData.mask("Grüße — schreib an jörg@example.de ✓") == "Grüße — schreib an [email] ✓")
        #expect(PersonalData.mask("Grüße — schreib an joerg@example.de ✓") == "Grüße — schreib an [email] ✓")
    }
}

@Suite struct FollowupTokenTests {
    let tokens = FollowupTokens(lifetime: 3_600_000)

    @Test func validForItsRecordUntilItExpires() {
        let token = tokens.issue(id: 42, receivedAt: 1_000_000)
        #expect(tokens.verify(token, id: 42, now: 1_000_000) == .valid)
        #expect(tokens.verify(token, id: 42, now: 1_000_000 + 3_600_000) == .valid)
        #expect(tokens.verify(token, id: 42, now: 1_000_000 + 3_601_000) == .expired)
        #expect(tokens.verify(token, id: 43, now: 1_000_000) == .invalid)
    }

    @Test func everyTokenFromTheSharedKeyedStateVerifies() {
        // Tokens copy one keyed HMAC state; a state mutated by an earlier token would break later ones.
        let issued = (1...50).map { tokens.issue(id: Int64($0), receivedAt: 1_000_000) }
        #expect(Set(issued).count == 50)
        for (index, token) in issued.enumerated() {
            #expect(tokens.verify(token, id: Int64(index + 1), now: 1_000_000) == .valid)
            #expect(tokens.issue(id: Int64(index + 1), receivedAt: 1_000_000) == token)
        }
    }

    @Test func tamperedOrMalformedTokensAreInvalid() {
        let token = tokens.issue(id: 7, receivedAt: 1_000_000)
        let parts = token.split(separator: ".")
        #expect(tokens.verify("99999999999.\(parts[1])", id: 7, now: 0) == .invalid, "a later expiry breaks the MAC")
        for bad in ["", ".", "abc", "1.2.3", "-5.\(parts[1])", "\(parts[0]).", "\(parts[0]).!!!!", String(repeating: "9", count: 40) + ".x"] {
            #expect(tokens.verify(bad, id: 7, now: 0) == .invalid, "\(bad)")
        }
        let other = FollowupTokens(lifetime: 3_600_000)
        #expect(other.verify(token, id: 7, now: 1_000_000) == .invalid, "another server's secret")
    }
}

@Suite struct Base64URLTests {
    @Test(arguments: [0, 1, 2, 3, 4, 5, 31, 32, 33])
    func encodingMatchesFoundationsAndDecodesBack(_ length: Int) {
        let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
        let expected = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        #expect(Base64URL.encode(bytes) == expected)
        #expect(Base64URL.decode(Substring(expected)) == bytes)
    }
}
