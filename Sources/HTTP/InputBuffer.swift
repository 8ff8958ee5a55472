/// Bytes received and not yet parsed; pipelined requests wait here. Parsing marks what it used as
/// consumed, and `compact` drops consumed bytes only now and then, so offsets into the unread part
/// (the head scanner's) stay valid and a request costs no copying.
struct InputBuffer {
    private var bytes: [UInt8] = []
    private var consumed = 0

    var unread: Int { bytes.count - consumed }
    var isEmpty: Bool { consumed == bytes.count }
    /// A lone CR may be the first half of an empty line: the next read decides.
    var isLoneCR: Bool { unread == 1 && bytes[consumed] == 0x0D }

    mutating func append(_ received: UnsafeRawBufferPointer) { bytes.append(contentsOf: received) }

    mutating func consume(_ count: Int) { consumed += count }

    /// Everything, read or not, is dropped (a closing connection discards what is left).
    mutating func discardAll() {
        bytes = []
        consumed = 0
    }

    func withUnread<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { all in body(UnsafeBufferPointer(rebasing: all[consumed...])) }
    }

    /// RFC 9112 §2.2: empty lines before a request line are ignored.
    mutating func skipLeadingNewlines() {
        while consumed < bytes.count, bytes[consumed] == 0x0D || bytes[consumed] == 0x0A {
            if bytes[consumed] == 0x0D, consumed + 1 >= bytes.count { return }
            if bytes[consumed] == 0x0D, bytes[consumed + 1] != 0x0A { return }
            consumed += bytes[consumed] == 0x0D ? 2 : 1
        }
    }

    mutating func compact() {
        if consumed == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
            consumed = 0
        } else if consumed > 16 * 1024 {
            bytes.removeFirst(consumed)
            consumed = 0
        }
    }
}
