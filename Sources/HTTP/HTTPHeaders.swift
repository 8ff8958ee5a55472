/// Header fields in received order; names compare case-insensitively.
public struct HTTPHeaders: Sendable, Sequence {
    public private(set) var fields: [(name: String, value: String)] = []

    public init(_ fields: [(String, String)] = []) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// One field, with no array to relabel (every response starts with its `Content-Type`).
    init(name: String, value: String) { fields = [(name: name, value: value)] }

    public mutating func add(_ name: String, _ value: String) { fields.append((name, value)) }

    mutating func reserveCapacity(_ count: Int) { fields.reserveCapacity(count) }

    /// Replaces every field with this name by one field.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        fields.append((name, value))
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.equal($0.name, name) }
    }

    /// The first value of the field.
    public subscript(_ name: String) -> String? {
        for index in fields.indices where Self.equal(fields[index].name, name) { return fields[index].value }
        return nil
    }

    public func values(_ name: String) -> [String] {
        // One pass and one array (none when absent): filter-then-map built two per present header,
        // and every request head asks for several (dhat).
        var values: [String] = []
        for index in fields.indices where Self.equal(fields[index].name, name) { values.append(fields[index].value) }
        return values
    }

    public func contains(_ name: String) -> Bool { fields.contains { Self.equal($0.name, name) } }

    /// Comma-separated list elements across every field with this name, trimmed and lower-cased.
    public func tokens(_ name: String) -> [String] { Self.tokens(values(name)) }

    static func tokens(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",") }
            .map { $0.trimmingOWS().lowercasedASCII() }
            .filter { !$0.isEmpty }
    }

    public var count: Int { fields.count }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { fields.makeIterator() }

    static func equal(_ a: String, _ b: String) -> Bool {
        // On contiguous bytes: `elementsEqual(by:)` over the two UTF8Views cost 800 instructions for
        // four-letter names (callgrind), and every request looks up several headers.
        guard a.utf8.count == b.utf8.count else { return false }
        let same = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                guard x.count == y.count else { return false }
                for index in 0..<x.count where lowerASCII(x[index]) != lowerASCII(y[index]) { return false }
                return true
            }
        }
        if let same, let same { return same }
        return a.utf8.elementsEqual(b.utf8) { lowerASCII($0) == lowerASCII($1) }
    }
}

@inline(__always) func lowerASCII(_ byte: UInt8) -> UInt8 {
    byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
}

extension StringProtocol {
    /// Trims optional whitespace (SP and HTAB) as RFC 9110 defines it. Works on UTF-8 bytes: both are
    /// ASCII, so the bytes kept are whole characters, and a scalar-wise copy cost more than the parse.
    func trimmingOWS() -> String {
        let bytes = utf8
        var first: UTF8View.Index?
        var end = bytes.startIndex
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let next = bytes.index(after: index)
            if bytes[index] != 0x20 && bytes[index] != 0x09 {
                if first == nil { first = index }
                end = next
            }
            index = next
        }
        guard let first else { return "" }
        return String(decoding: bytes[first..<end], as: UTF8.self)
    }

    /// Lower-cases ASCII letters only, as header names, tokens and media types compare (RFC 9110);
    /// other bytes are kept as they are.
    func lowercasedASCII() -> String {
        String(decoding: utf8.map(lowerASCII), as: UTF8.self)
    }
}
