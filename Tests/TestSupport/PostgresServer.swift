import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for tests, in a temporary folder, reachable only through a unix socket
/// there: `initdb` and `pg_ctl` from the distribution's server package (Debian's `postgresql`). As
/// root it runs as the `postgres` user, as PostgreSQL requires. Stopped and removed at deinit (the
/// shared one when the test process ends), and by a watcher process once the test process is gone,
/// also if it crashed or was killed.
///
/// When the binaries are missing, `shared()` and `init` throw with what to install: the tests fail
/// rather than skip, unless HEARKEN_SKIP_POSTGRES=1 is set (see `isSkipped`).
public final class PostgresServer: Sendable {
    public struct SetupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// HEARKEN_SKIP_POSTGRES=1: PostgreSQL tests are turned off on purpose (a machine without the server).
    public static var isSkipped: Bool { ProcessInfo.processInfo.environment["HEARKEN_SKIP_POSTGRES"] == "1" }

    /// The folder holding the data directory, the socket and the log.
    public let directory: String
    /// libpq's `host` for a unix socket is the folder it lies in.
    public var socketDirectory: String { directory }
    public let port = 5432
    public let durable: Bool
    private let bin: String
    private var dataDirectory: String { directory + "/data" }
    public var logFile: String { directory + "/server.log" }

    /// Starts a new server. `durable: false` turns off fsync and friends (fast, but a machine crash
    /// would lose data): tests that check durability across a server crash ask for `durable: true`.
    public init(durable: Bool = false) throws {
        guard let bin = Self.binaries() else { throw SetupError(description: Self.missingMessage) }
        self.bin = bin
        self.durable = durable
        var template = Array("/tmp/hearken-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SetupError(description: "mkdtemp failed: \(String(cString: strerror(errno)))") }
        directory = String(cString: made)
        // Watched from the start: a test process that crashes or is killed never runs deinit.
        watchOverProcess()
        do {
            // 0755, not mkdtemp's 0700: a root test process without CAP_DAC_OVERRIDE must still reach the
            // socket in a folder `postgres` owns. The data directory inside stays 0700 (initdb's).
            guard chmod(directory, 0o755) == 0 else {
                throw SetupError(description: "chmod \(directory) failed: \(String(cString: strerror(errno)))")
            }
            try Self.handOver(directory)
            try run(bin + "/initdb", ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8",
                                      "--locale=C", "--no-sync", "--no-instructions"])
            var settings = "\n# Added by the tests' PostgresServer\nlisten_addresses = ''\nunix_socket_directories = '\(directory)'\n"
            settings += "port = \(port)\nmax_connections = 200\nshared_buffers = 32MB\n"
            if !durable { settings += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n" }
            let config = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
            try config.seekToEnd()
            try config.write(contentsOf: Data(settings.utf8))
            try config.close()
            try start()
        } catch {
            removeEverything()
            throw error
        }
    }

    deinit { removeEverything() }

    /// Starts the stopped server and waits until it accepts connections.
    public func start() throws {
        try run(bin + "/pg_ctl", ["-D", dataDirectory, "-l", logFile, "-w", "-t", "120", "start"])
        let ready = waitUntil(timeout: 120, interval: 0.05) {
            (try? run(bin + "/pg_isready", ["-h", directory, "-p", String(port), "-t", "5"])) != nil
        }
        guard ready else { throw SetupError(description: "PostgreSQL did not accept connections: \(log.suffix(2000))") }
    }

    /// Stops the server; `immediate` is a crash (no checkpoint), otherwise sessions are ended first.
    public func stop(immediate: Bool = false) throws {
        try run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", immediate ? "immediate" : "fast", "-w", "-t", "120", "stop"])
    }

    public var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// A key=value connection string for `database` as the superuser over the socket.
    public func connectionString(database: String) -> String {
        "host=\(socketDirectory) port=\(port) user=postgres dbname=\(database)"
    }

    /// The same as a URI (the socket folder goes in the `host` parameter).
    public func url(database: String) -> String {
        "postgresql://postgres@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// Creates an empty database with a random name (`t_…`), so each test has its own.
    public func createDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs SQL with psql as the superuser; its output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try run(bin + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory, "-p", String(port),
                                "-U", "postgres", "-d", database, "-c", sql], asPostgres: false)
    }

    /// The OS user the server process runs as (from the postmaster's pid file and /proc).
    public func serverUser() throws -> String {
        let pidText = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        guard let pid = pidText.split(separator: "\n").first.map(String.init),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Uid:") }),
              let uid = line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap({ uid_t($0) }),
              let entry = getpwuid(uid) else {
            throw SetupError(description: "cannot tell the server's user from \(dataDirectory)/postmaster.pid")
        }
        return String(cString: entry.pointee.pw_name)
    }

    private func removeEverything() {
        _ = try? run(bin + "/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: The shared server

    private static let sharedState = Mutex<Result<PostgresServer, SetupError>?>(nil)

    /// One server for the whole test process, started on first use; each test takes its own database
    /// with `createDatabase()`. Tests that stop or crash the server start their own instead.
    public static func shared() throws -> PostgresServer {
        try sharedState.withLock { state in
            if let state { return try state.get() }
            do {
                let server = try PostgresServer()
                atexit { PostgresServer.stopShared() }
                state = .success(server)
                return server
            } catch {
                let failure = error as? SetupError ?? SetupError(description: "\(error)")
                state = .failure(failure)
                throw failure
            }
        }
    }

    private static func stopShared() {
        let server = sharedState.withLock { state -> PostgresServer? in
            defer { state = nil }
            return try? state?.get()
        }
        server?.removeEverything()
    }

    /// A process that stops the server and removes its folder once this test process is gone,
    /// however it ends (a crash or SIGKILL skips atexit).
    private func watchOverProcess() {
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            \(Self.asPostgresPrefix.joined(separator: " ")) '\(bin)/pg_ctl' -D '\(dataDirectory)' -m immediate stop >/dev/null 2>&1
            rm -rf '\(directory)'
            """
        watcher.arguments = ["-c", script]
        watcher.standardInput = FileHandle.nullDevice
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try? watcher.run()
    }

    // MARK: Running the binaries

    /// The folder with the server binaries (and `pg_dump`), nil when none was found.
    public static var binaryFolder: String? { binaries() }

    /// The server binaries: those in HEARKEN_PG_BINDIR if set, else the newest of
    /// /usr/lib/postgresql/<version>/bin, then `pg_config --bindir`, then PATH.
    static func binaries() -> String? {
        let environment = ProcessInfo.processInfo.environment
        func complete(_ folder: String) -> Bool {
            ["initdb", "pg_ctl", "pg_isready", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: folder + "/" + $0) }
        }
        // Set, it is the only place looked at (also to check how the tests fail without a server).
        if let folder = environment["HEARKEN_PG_BINDIR"] { return complete(folder) ? folder : nil }
        var candidates: [String] = []
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        candidates += versions.compactMap(Int.init).sorted(by: >).map { "/usr/lib/postgresql/\($0)/bin" }
        let pgConfig = (environment["PATH"] ?? "").split(separator: ":").map { $0 + "/pg_config" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        if let pgConfig, let folder = try? captureOutput(pgConfig, ["--bindir"]) {
            candidates.append(folder.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)
        return candidates.first(where: complete)
    }

    static let missingMessage = """
        PostgreSQL server binaries (initdb, pg_ctl, pg_isready, psql) were not found in HEARKEN_PG_BINDIR, \
        /usr/lib/postgresql/*/bin, `pg_config --bindir` or PATH. Install them (Debian: `apt-get install postgresql`; \
        `scripts/ensure-deps.sh` does it as root), or set HEARKEN_SKIP_POSTGRES=1 to skip the PostgreSQL tests.
        """

    /// As root, the server's commands run as `postgres`: PostgreSQL refuses to run as root.
    private static var asPostgresPrefix: [String] { geteuid() == 0 ? ["runuser", "-u", "postgres", "--"] : [] }

    /// Gives the folder to the user the server will run as (root hands it to `postgres`).
    private static func handOver(_ folder: String) throws {
        guard geteuid() == 0 else { return }
        guard let user = getpwnam("postgres") else {
            throw SetupError(description: "running as root, but there is no `postgres` user to run PostgreSQL as (Debian's postgresql package creates it)")
        }
        guard chown(folder, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw SetupError(description: "chown \(folder) failed: \(String(cString: strerror(errno)))")
        }
    }

    @discardableResult
    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
        let prefix = asPostgres ? Self.asPostgresPrefix : []
        let command = prefix + [executable] + arguments
        return try Self.captureOutput(command[0], Array(command.dropFirst()), in: directory)
    }

    /// Has the child close every descriptor above stderr. glibc 2.34+ has `posix_spawn_file_actions_addclosefrom_np`
    /// but declares it only under _GNU_SOURCE, which Swift's Glibc module does not set: it is looked up.
    /// Without it, the descriptors open now are marked close-on-exec instead.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
           unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0 {
            return
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            guard let fd = Int32(name), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Runs a program to its end; its output, or an error with it when it exits non-zero.
    ///
    /// posix_spawn and waitpid rather than Foundation's Process: under parallel tests Process left a
    /// finished `runuser` unreaped and `waitUntilExit` never returned. Output goes through a file, not a
    /// pipe: a server started meanwhile inherits open pipes, and reading one to its end would never end.
    private static func captureOutput(_ executable: String, _ arguments: [String], in folder: String? = nil) throws -> String {
        let path = executable.hasPrefix("/") ? executable
            : ((ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(separator: ":")
                .map { $0 + "/" + executable }.first { FileManager.default.isExecutableFile(atPath: $0) } ?? executable)
        let outputPath = NSTemporaryDirectory() + "hearken-pg-output-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        // The server's user may not enter the test's working folder; it can always enter its own.
        let argv = (folder.map { ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", $0, path] } ?? [path]) + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process: a server started by pg_ctl would hold its fds open for its life.
        closeInheritedDescriptors(&actions)
        var pid: pid_t = 0
        let copies = argv.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let spawned = (copies + [nil]).withUnsafeBufferPointer { pointers -> Int32 in
            guard let base = pointers.baseAddress else { return EINVAL }
            return posix_spawn(&pid, argv[0], &actions, nil, base, environ)
        }
        guard spawned == 0 else {
            throw SetupError(description: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw SetupError(description: "waitpid failed: \(String(cString: strerror(errno)))") }
        }
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // Exited normally (no signal in the low 7 bits) with code 0 (bits 8-15).
        guard status & 0x7F == 0, (status >> 8) & 0xFF == 0 else {
            throw SetupError(description: "\(([executable] + arguments).joined(separator: " ")) failed (wait status \(status)): \(text)")
        }
        return text
    }
}
