#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address as bytes; IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are IPv4.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("[") && text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        text = Self.strippingZone(text)
        var v4 = in_addr()
        // `withCString`: passing the String itself made a C copy on the heap (utf8CString).
        if text.withCString({ inet_pton(AF_INET, $0, &v4) }) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        guard text.withCString({ inet_pton(AF_INET6, $0, &v6) }) == 1 else { return nil }
        let raw = withUnsafeBytes(of: &v6) { Array($0) }
        if raw[0..<10].allSatisfy({ $0 == 0 }) && raw[10] == 0xFF && raw[11] == 0xFF {
            bytes = Array(raw[12...])
        } else {
            bytes = raw
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// The text before a `%zone`. On bytes when ASCII, as addresses are (bytes are then characters):
    /// the Character-wise search cost a third of screening a request (callgrind).
    static func strippingZone(_ text: String) -> String {
        guard text.utf8.allSatisfy({ $0 < 0x80 }) else { return strippingZoneByCharacter(text) }
        guard let zone = text.utf8.firstIndex(of: UInt8(ascii: "%")) else { return text }
        return String(text[..<zone])
    }

    static func strippingZoneByCharacter(_ text: String) -> String {
        guard let zone = text.firstIndex(of: "%") else { return text }
        return String(text[..<zone])
    }

    public var description: String {
        if isIPv4 { return Self.dotted(bytes) }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }

    /// `a.b.c.d`, digit by digit: joining four Strings cost about 2,000 instructions, and every
    /// submission prints its client's address twice (rate-limit key and client hash).
    static func dotted(_ bytes: [UInt8]) -> String {
        // Written straight into the String: at most 15 bytes (4n - 1), which are stored inline, with
        // no allocation, when that is also the capacity asked for.
        String(unsafeUninitializedCapacity: max(0, 4 * bytes.count - 1)) { text in
            var count = 0
            func put(_ byte: UInt8) {
                guard count < text.count else { return }
                text[count] = byte
                count += 1
            }
            for (index, byte) in bytes.enumerated() {
                if index > 0 { put(UInt8(ascii: ".")) }
                if byte >= 100 { put(0x30 + byte / 100) }
                if byte >= 10 { put(0x30 + byte / 10 % 10) }
                put(0x30 + byte % 10)
            }
            return count
        }
    }

    /// The key a client is counted under: the address itself, or its /64 for IPv6, since one
    /// subscriber usually holds a whole /64 and could otherwise rotate addresses freely.
    public var clientKey: String {
        guard !isIPv4 else { return description }
        return IPAddress.prefix(bytes, 64).map { String($0, radix: 16) }.joined(separator: ".") + "/64"
    }

    static func prefix(_ bytes: [UInt8], _ bits: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(8, max(0, bits - index * 8))
            return kept == 8 ? byte : byte & UInt8(truncatingIfNeeded: 0xFF << (8 - kept))
        }
    }
}

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a single address).
public struct CIDR: Hashable, Sendable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(parts[0]) else { return nil }
        let maximum = address.bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let bits = Int(parts[1]), (0...maximum).contains(bits), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = bits
        }
        prefixLength = length
        network = IPAddress(bytesUnchecked: IPAddress.prefix(address.bytes, length))
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.bytes.count == network.bytes.count && IPAddress.prefix(address.bytes, prefixLength) == network.bytes
    }

    public var description: String { "\(network)/\(prefixLength)" }
}

extension IPAddress {
    fileprivate init(bytesUnchecked: [UInt8]) { bytes = bytesUnchecked }
}

/// Who the client is: the socket's peer, or, when that peer is a trusted proxy, the address the
/// proxies recorded in `X-Forwarded-For` (read right to left, skipping trusted hops, so a client
/// cannot claim an address by sending its own header).
public struct ClientAddressResolver: Sendable {
    public let trustedProxies: [CIDR]

    public init(trustedProxies: [CIDR] = []) { self.trustedProxies = trustedProxies }

    public func isTrusted(_ address: IPAddress) -> Bool { trustedProxies.contains { $0.contains(address) } }

    public func resolve(_ request: Request) -> IPAddress? {
        guard let peer = IPAddress(request.remoteAddress) else { return nil }
        guard isTrusted(peer) else { return peer }
        let hops = request.headers.values("x-forwarded-for")
            .flatMap { $0.split(separator: ",") }
            .map { $0.strippingBlanks() }
        var client = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { break }
            client = address
            if !isTrusted(address) { break }
        }
        return client
    }
}

extension Substring {
    fileprivate func strippingBlanks() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
