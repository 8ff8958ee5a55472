/// Statement parameters laid out as libpq wants them: types, C strings, lengths and formats.
/// Text values go as text; bytes go in binary, so a bytea needs no escaping.
struct Parameters {
    private var types: [UInt32] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []
    /// Every value, NUL-terminated, one after the other; nil offsets are NULLs.
    private var storage: [CChar] = []
    private var offsets: [Int?] = []

    init(_ values: [any PostgresBindable], sql: String?) throws(PostgresError) {
        for value in values.map(\.postgresValue) {
            types.append(value.typeOID)
            switch value {
            case .null:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .bytes(let bytes):
                offsets.append(storage.count)
                storage += bytes.map { CChar(bitPattern: $0) }
                storage.append(0)
                lengths.append(Int32(bytes.count))
                formats.append(1)
            default:
                let text = Array((value.text ?? "").utf8)
                // libpq passes text parameters as C strings: a NUL would silently cut the value.
                guard !text.contains(0) else {
                    throw .misuse("parameter \(offsets.count + 1) contains a NUL character, which PostgreSQL text cannot hold", sql: sql)
                }
                offsets.append(storage.count)
                storage += text.map { CChar(bitPattern: $0) }
                storage.append(0)
                lengths.append(Int32(text.count))
                formats.append(0)
            }
        }
    }

    var count: Int32 { Int32(types.count) }

    /// Calls `body` with pointers valid for its duration: (count, types, values, lengths, formats).
    func withPointers<R>(_ body: (Int32, UnsafePointer<UInt32>?, UnsafePointer<UnsafePointer<CChar>?>?,
                                  UnsafePointer<Int32>?, UnsafePointer<Int32>?) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { buffer in
            let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in offset.flatMap { buffer.baseAddress?.advanced(by: $0) } }
            return try pointers.withUnsafeBufferPointer { values in
                try types.withUnsafeBufferPointer { types in
                    try lengths.withUnsafeBufferPointer { lengths in
                        try formats.withUnsafeBufferPointer { formats in
                            try body(count, types.baseAddress, values.baseAddress, lengths.baseAddress, formats.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
