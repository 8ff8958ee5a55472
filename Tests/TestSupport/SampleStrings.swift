/// Deterministic inputs for tests that hold a fast path against the general way: strings of chosen
/// pieces joined at random, and now and then raw bytes (invalid UTF-8 arrives repaired, as from the wire).
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// SplitMix64: small and seedable, so a failure reproduces.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

public enum SampleStrings {
    public static func make(_ pieces: [String], count: Int, seed: UInt64, maxPieces: Int = 8) -> [String] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            if Int.random(in: 0..<8, using: &random) == 0 {
                let bytes = (0..<Int.random(in: 0...12, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                return String(decoding: bytes, as: UTF8.self)
            }
            return (0..<Int.random(in: 0...maxPieces, using: &random)).map { _ in pieces.randomElement(using: &random) ?? "" }.joined()
        }
    }
}
