import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The real `hearken` binary run as a child process, for tests of signals, restarts and the CLI.
public final class ServerProcess {
    public let process = Process()
    public private(set) var port = 0
    private let errors = Pipe()
    private let output = Pipe()
    private let collected = LockedText()

    /// The debug binary built by `swift build` (the Makefile's test target builds it first).
    public static var binary: URL {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/hearken")
    }

    /// Starts `hearken ARGS`; with `waitForPort`, waits until the server logs its port.
    public init(_ arguments: [String], environment: [String: String] = [:], waitForPort: Bool = true) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            throw RawClient.ClientError(description: "\(Self.binary.path) is missing: run `swift build` first (make test does)")
        }
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = errors
        process.standardOutput = output
        let collected = self.collected
        for pipe in [errors, output] {
            pipe.fileHandleForReading.readabilityHandler = { handle in collected.drain(handle.fileDescriptor) }
        }
        try process.run()
        guard waitForPort else { return }
        let deadline = Date().addingTimeInterval(patientSeconds)
        while Date() < deadline {
            if let port = Self.port(in: collected.text) {
                self.port = port
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        process.terminate()
        throw RawClient.ClientError(description: "server did not start: \(collected.text)")
    }

    private static func port(in log: String) -> Int? {
        guard let range = log.range(of: "listening on ") else { return nil }
        let rest = log[range.upperBound...]
        guard let end = rest.firstIndex(of: ","), let colon = rest[..<end].lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)..<end])
    }

    public var log: String { collected.text }

    public func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit and returns the status, or nil after `timeout` seconds.
    public func waitForExit(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            // Tell a stalled server (state S/D) from an exited child Foundation has not reaped yet (Z).
            let stat = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)) ?? "gone"
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task").count) ?? 0
            FileHandle.standardError.write(Data("ServerProcess: pid \(process.processIdentifier) still running after \(timeout) s: \(stat.prefix(60)) threads \(threads)\nlog:\n\(log.suffix(2000))\n".utf8))
            return nil
        }
        // The last output may still sit in the pipes, its callback not run yet (seen under load: a log
        // cut to "Error", or empty). Everything the child wrote is in them by now: read it here. (Waiting
        // for the end of the streams does not work: other children running meanwhile hold them open.)
        for pipe in [errors, output] {
            pipe.fileHandleForReading.readabilityHandler = nil
            collected.drain(pipe.fileHandleForReading.fileDescriptor)
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        errors.fileHandleForReading.readabilityHandler = nil
        output.fileHandleForReading.readabilityHandler = nil
    }
}

final class LockedText: @unchecked Sendable { // guarded by `lock`
    private let lock = NSLock()
    private var value = ""
    func append(_ text: String) { lock.lock(); value += text; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }

    /// Appends what `fd` holds now, without blocking. Reading and appending under one lock, a callback
    /// and the final read after exit can neither lose a piece nor append it after the log was read.
    func drain(_ fd: Int32) {
        lock.lock()
        defer { lock.unlock() }
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while poll(&descriptor, 1, 0) > 0 {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { break }
            value += String(decoding: buffer[0..<n], as: UTF8.self)
        }
    }
}
