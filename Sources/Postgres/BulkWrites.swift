import CPostgres

extension Connection {
    /// Runs `sql` once per element of `rows` in pipeline mode: the statement is parsed once, and the
    /// executions go out without waiting for each answer, `chunk` of them per round trip. All or
    /// nothing: outside a transaction the batch runs in one. Returns the rows changed in total.
    @discardableResult
    public func pipeline(_ sql: String, _ rows: [[any PostgresBindable]], chunk: Int = 1000) throws -> Int {
        guard !rows.isEmpty else { return 0 }
        if !isInTransaction {
            return try transaction { try pipeline(sql, rows, chunk: chunk) }
        }
        let db = try db()
        guard PQenterPipelineMode(db) == 1 else { throw error(nil, sql: sql) }
        defer { PQexitPipelineMode(db) }
        // The unnamed statement is parsed once; its answer comes back with the first chunk's.
        guard PQsendPrepare(db, "", sql, 0, nil) == 1 else { throw error(nil, sql: sql) }
        var pending = 1
        var total = 0
        // Waiting for each chunk's answers bounds what the server buffers for us: a blocking client
        // that only sends could otherwise stall against a server that only writes back.
        let size = max(1, chunk)
        for start in stride(from: 0, to: rows.count, by: size) {
            var failure: PostgresError?
            for values in rows[start..<min(rows.count, start + size)] {
                do {
                    let parameters = try Parameters(values, sql: sql)
                    let sent = parameters.withPointers { count, _, values, lengths, formats in
                        PQsendQueryPrepared(db, "", count, values, lengths, formats, 0)
                    }
                    guard sent == 1 else { failure = error(nil, sql: sql); break }
                    pending += 1
                } catch {
                    failure = error
                    break
                }
            }
            guard PQpipelineSync(db) == 1 else { throw failure ?? error(nil, sql: sql) }
            let (changed, firstError) = collectPipelineResults(db, expected: pending, sql: sql)
            if let problem = failure ?? firstError { throw problem }
            total += changed
            pending = 0
        }
        return total
    }

    /// Reads the answers of `expected` pipelined commands and the sync that closes them; the rows
    /// they changed and the first error (the commands after a failed one come back aborted).
    private func collectPipelineResults(_ db: OpaquePointer, expected: Int, sql: String) -> (Int, PostgresError?) {
        var changed = 0
        var firstError: PostgresError?
        var remaining = expected
        while true {
            guard let result = PQgetResult(db) else {
                // nil ends one command's results; libpq gives nil between commands.
                if PQstatus(db) == CONNECTION_BAD { return (changed, firstError ?? error(nil, sql: sql)) }
                continue
            }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_PIPELINE_SYNC:
                return (changed, firstError ?? (remaining > 0 ? .misuse("pipeline ended early", sql: sql) : nil))
            case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
                changed += Int(String(cString: PQcmdTuples(result))) ?? 0
                remaining -= 1
            case PGRES_PIPELINE_ABORTED:
                remaining -= 1
            default:
                if firstError == nil { firstError = error(result, sql: sql) }
                remaining -= 1
            }
        }
    }

    /// Loads `rows` into `table` with `COPY … FROM STDIN`, PostgreSQL's fastest way in. `table` and
    /// `columns` are quoted as identifiers. All rows or none (COPY is one statement).
    @discardableResult
    public func copy(into table: String, columns: [String], rows: [[any PostgresBindable]]) throws(PostgresError) -> Int {
        let db = try db()
        let sql = "COPY \(quotedIdentifier(table)) (\(columns.map(quotedIdentifier).joined(separator: ", "))) FROM STDIN"
        guard let started = PQexec(db, sql) else { throw error(nil, sql: sql) }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            let failure = error(started, sql: sql)
            PQclear(started)
            throw failure
        }
        PQclear(started)
        var buffer: [UInt8] = []
        var problem: PostgresError?
        for values in rows {
            guard values.count == columns.count else {
                problem = .misuse("a row has \(values.count) values for \(columns.count) columns", sql: sql)
                break
            }
            do throws(PostgresError) {
                try CopyText.appendLine(values.map(\.postgresValue), to: &buffer, sql: sql)
            } catch {
                problem = error
                break
            }
            if buffer.count >= 1 << 16 {
                guard send(buffer, db) else { problem = error(nil, sql: sql); break }
                buffer.removeAll(keepingCapacity: true)
            }
        }
        if problem == nil, !buffer.isEmpty, !send(buffer, db) { problem = error(nil, sql: sql) }
        // Ending with an error message makes the server abandon the COPY; nothing is stored.
        _ = PQputCopyEnd(db, problem.map { $0.message })
        let result = PQgetResult(db)
        defer { while let extra = PQgetResult(db) { PQclear(extra) } }
        if let problem {
            if let result { PQclear(result) }
            throw problem
        }
        return try check(result, sql: sql).affectedRows
    }

    private func send(_ bytes: [UInt8], _ db: OpaquePointer) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { base in
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { PQputCopyData(db, $0, Int32(buffer.count)) == 1 }
            } ?? true
        }
    }

    private func quotedIdentifier(_ name: String) -> String {
        "\"" + name.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}

/// COPY's text format: tab-separated, one line per row, `\N` for NULL, backslash escapes.
enum CopyText {
    static func appendLine(_ values: [PostgresValue], to buffer: inout [UInt8], sql: String) throws(PostgresError) {
        for (offset, value) in values.enumerated() {
            if offset > 0 { buffer.append(UInt8(ascii: "\t")) }
            switch value {
            case .null:
                buffer += Array(#"\N"#.utf8)
            case .bytes(let bytes):
                // bytea's input reads \x and hex digits; the backslash itself is escaped for COPY.
                buffer += Array(#"\\x"#.utf8)
                for byte in bytes { buffer += hex(byte) }
            default:
                for byte in (value.text ?? "").utf8 {
                    switch byte {
                    case 0: throw .misuse("a value contains a NUL character, which PostgreSQL text cannot hold", sql: sql)
                    case UInt8(ascii: "\\"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                    case UInt8(ascii: "\n"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                    case UInt8(ascii: "\r"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                    case UInt8(ascii: "\t"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                    default: buffer.append(byte)
                    }
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ byte: UInt8) -> [UInt8] { [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]] }
}
