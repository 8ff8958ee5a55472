import Feedback
import Foundation

/// `hearken import FILE`: NDJSON as `hearken export` and `GET /v1/export` write it. Each line is
/// checked like a submission; good lines are stored in batches, bad ones reported by line number.
/// Importing the same file again adds nothing (each line's hash is remembered, and a record that is
/// already here by id, time and page is recognized).
public struct NDJSONImport {
    public struct Report: Sendable {
        public var imported = 0
        public var alreadyPresent = 0
        public var rejected: [(line: Int, reason: String)] = []
    }

    let validator: FeedbackValidator
    let batchSize: Int

    public init(rules: FeedbackRules, batchSize: Int = 500) {
        validator = FeedbackValidator(rules: rules)
        self.batchSize = batchSize
    }

    /// Reads `handle` to its end in constant memory (one batch at a time).
    public func run(_ handle: FileHandle, store: any FeedbackStorage) throws -> Report {
        var report = Report()
        var batch: [Transfer.ImportedRecord] = []
        func flush() throws {
            guard !batch.isEmpty else { return }
            let outcomes = try store.write { try $0.importBatch(batch) }
            for outcome in outcomes {
                if case .imported = outcome { report.imported += 1 } else { report.alreadyPresent += 1 }
            }
            batch.removeAll(keepingCapacity: true)
        }
        var number = 0
        for line in LineReader(handle) {
            number += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            switch record(line) {
            case .success(let record):
                batch.append(record)
                if batch.count >= batchSize { try flush() }
            case .failure(let failure):
                report.rejected.append((number, failure.message))
            }
        }
        try flush()
        return report
    }

    struct LineError: Error { let message: String }

    func record(_ line: [UInt8]) -> Result<Transfer.ImportedRecord, LineError> {
        let fields: [String: FieldValue]
        do throws(BodyDecoding.Failure) {
            fields = try BodyDecoding.json(line)
        } catch {
            return .failure(LineError(message: "not a JSON object"))
        }
        func text(_ name: String) -> String? {
            if case .text(let value)? = fields[name] { return value }
            return nil
        }
        guard let receivedText = text("received_at"), let receivedAt = QueryParameters.parseTime(receivedText, now: 0), receivedText.count > 10 else {
            return .failure(LineError(message: "received_at must be an RFC 3339 time"))
        }
        let feedback: NewFeedback
        do {
            feedback = try validator.validate(FeedbackInput(fields: fields, userAgent: text("user_agent"), origin: text("origin"), referer: text("referer")))
        } catch {
            return .failure(LineError(message: "\(error.field) \(error.message)"))
        }
        let statusText = text("status") ?? "new"
        guard let status = TriageStatus(rawValue: statusText) else {
            return .failure(LineError(message: "status must be one of new, triaged, resolved, spam"))
        }
        var tags: [String] = []
        switch fields["tags"] {
        case nil, .null?: break
        case .array?:
            // The submission parser keeps no array contents; tags are rare enough to parse the line again.
            guard let raw = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let strings = raw["tags"] as? [String],
                  strings.count <= 20, strings.allSatisfy({ (1...32).contains($0.count) }) else {
                return .failure(LineError(message: "tags must be a list of at most 20 strings of 1-32 characters"))
            }
            tags = strings
        default:
            return .failure(LineError(message: "tags must be a list of strings"))
        }
        var originalID: Int64?
        if case .number(let id)? = fields["id"] { originalID = Int64(id) }
        let updatedAt = text("updated_at").flatMap { QueryParameters.parseTime($0, now: 0) }
        return .success(Transfer.ImportedRecord(
            feedback: feedback, originalID: originalID, receivedAt: receivedAt, status: status, note: text("note"), tags: tags,
            issueURL: text("issue_url"), updatedAt: updatedAt, line: line))
    }
}

/// Lines of a file without loading it whole; a final line without a newline counts.
struct LineReader: Sequence, IteratorProtocol {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var finished = false

    init(_ handle: FileHandle) { self.handle = handle }

    mutating func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                return line
            }
            if finished {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let data = handle.readData(ofLength: 64 * 1024)
            if data.isEmpty { finished = true } else { buffer.append(contentsOf: data) }
        }
    }
}

/// The time forms the query API accepts, for the command line.
public enum ExportTime {
    public static func parse(_ text: String, now: Int64) -> Int64? { QueryParameters.parseTime(text, now: now) }
}
