/// Finds personal data readers sometimes type into comments: email addresses, phone numbers and
/// card-like numbers (13–19 digits passing the Luhn check). Records whose comment holds any are
/// flagged so listings and exports can mask them. Deliberately simple and conservative: a false
/// positive only masks a comment, a false negative shows one.
public enum PersonalData {
    public enum Kind: String, Sendable {
        case email, phone, card
    }

    public struct Match: Equatable, Sendable {
        public let kind: Kind
        /// Byte offsets in the UTF-8 text.
        public let range: Range<Int>
    }

    public static func contains(_ text: String) -> Bool { !find(text).isEmpty }

    /// The text with each match replaced by `[email]`, `[phone]` or `[card]`.
    public static func mask(_ text: String) -> String {
        let matches = find(text)
        guard !matches.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var position = 0
        for match in matches {
            out += bytes[position..<match.range.lowerBound]
            out += Array("[\(match.kind.rawValue)]".utf8)
            position = match.range.upperBound
        }
        out += bytes[position...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Every match, in order, not overlapping.
    public static func find(_ text: String) -> [Match] {
        let bytes = Array(text.utf8)
        var matches: [Match] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "@"), let email = email(around: index, in: bytes, after: matches.last?.range.upperBound ?? 0) {
                matches.append(Match(kind: .email, range: email))
                index = email.upperBound
                continue
            }
            if startsNumber(at: index, in: bytes), index == 0 || !isWordByte(bytes[index - 1]) {
                let (range, match) = number(from: index, in: bytes)
                if let match { matches.append(Match(kind: match, range: range)) }
                index = max(range.upperBound, index + 1)
                continue
            }
            index += 1
        }
        return matches
    }

    // MARK: Email

    private static func email(around at: Int, in bytes: [UInt8], after floor: Int) -> Range<Int>? {
        var start = at
        while start > floor, isLocalByte(bytes[start - 1]) { start -= 1 }
        guard start < at else { return nil }
        var end = at + 1
        while end < bytes.count, isDomainByte(bytes[end]) { end += 1 }
        while end > at + 1, bytes[end - 1] == UInt8(ascii: ".") || bytes[end - 1] == UInt8(ascii: "-") { end -= 1 }
        let domain = bytes[(at + 1)..<end]
        guard let dot = domain.lastIndex(of: UInt8(ascii: ".")), dot > at + 1 else { return nil }
        let tld = bytes[(dot + 1)..<end]
        guard tld.count >= 2, tld.allSatisfy(isLetter) else { return nil }
        return start..<end
    }

    private static func isLocalByte(_ b: UInt8) -> Bool {
        b >= 0x80 || isLetter(b) || isDigit(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }

    private static func isDomainByte(_ b: UInt8) -> Bool {
        isLetter(b) || isDigit(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }

    // MARK: Numbers

    private static func startsNumber(at index: Int, in bytes: [UInt8]) -> Bool {
        if isDigit(bytes[index]) { return true }
        guard bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "("), index + 1 < bytes.count else { return false }
        return isDigit(bytes[index + 1])
    }

    /// Reads digits joined by single separators (space, `-`, `.`, `(`, `)`), then classifies them.
    private static func number(from start: Int, in bytes: [UInt8]) -> (Range<Int>, Kind?) {
        var digits: [UInt8] = []
        var separators = Set<UInt8>()
        var end = start
        var index = start
        let plus = bytes[start] == UInt8(ascii: "+")
        if plus { index += 1 }
        var lastWasSeparator = false
        var pending: [UInt8] = [] // separators count only once a digit follows them
        while index < bytes.count {
            let b = bytes[index]
            if isDigit(b) {
                digits.append(b - UInt8(ascii: "0"))
                separators.formUnion(pending)
                pending.removeAll()
                lastWasSeparator = false
                index += 1
                end = index
            } else if isSeparator(b), !lastWasSeparator || b == UInt8(ascii: "(") || bytes[index - 1] == UInt8(ascii: ")") {
                pending.append(b)
                lastWasSeparator = true
                index += 1
            } else {
                break
            }
        }
        if end < bytes.count, isLetter(bytes[end]) || bytes[end] == UInt8(ascii: "_") { return (start..<end, nil) }
        if (13...19).contains(digits.count), luhn(digits) { return (start..<end, .card) }
        let onlyDots = !separators.isEmpty && separators.isSubset(of: [UInt8(ascii: "."), UInt8(ascii: " ")]) && separators.contains(UInt8(ascii: "."))
        if (9...15).contains(digits.count), !onlyDots, plus || !separators.isEmpty || digits.count >= 10 {
            return (start..<end, .phone)
        }
        return (start..<end, nil)
    }

    static func luhn(_ digits: [UInt8]) -> Bool {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var value = Int(digit)
            if offset % 2 == 1 {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum += value
        }
        return sum % 10 == 0
    }

    private static func isSeparator(_ b: UInt8) -> Bool {
        b == UInt8(ascii: " ") || b == UInt8(ascii: "-") || b == UInt8(ascii: ".") || b == UInt8(ascii: "(") || b == UInt8(ascii: ")")
    }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private static func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
    private static func isWordByte(_ b: UInt8) -> Bool { isLetter(b) || isDigit(b) || b == UInt8(ascii: "_") || b >= 0x80 }
}
