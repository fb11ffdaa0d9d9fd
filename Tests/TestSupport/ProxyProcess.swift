import Foundation
import LoopbackPeers

#if canImport(Glibc)
import Glibc
#endif

public enum ProxyProcessError: Error {
    case spawn(String, String)
    case didNotStart(String, String)
}

/// A real proxy from Debian's packages (tinyproxy for HTTP CONNECT, dante for SOCKS5) started as this test's
/// child process on a free loopback port with a generated config; `stop()` (also on deinit) kills it.
///
/// No test can hang on it: the proxy runs in a process group of its own, and `stop()` sends SIGKILL
/// to the whole group (dante's forked workers included; tinyproxy has been seen to ignore SIGTERM
/// under Foundation's `Process`), then reaps it with a bounded wait.
public final class ProxyProcess: @unchecked Sendable {
    public enum Kind: Sendable { case tinyproxy, dante }

    public static let tinyproxyPath = "/usr/bin/tinyproxy"
    public static let dantePath = "/usr/sbin/danted"
    public static var tinyproxyAvailable: Bool { FileManager.default.isExecutableFile(atPath: tinyproxyPath) }
    public static var danteAvailable: Bool { FileManager.default.isExecutableFile(atPath: dantePath) }
    public static let missingMessage = "skipped: tinyproxy/danted not installed (apt-get install -y tinyproxy dante-server)"

    public let port: Int
    public let directory: URL
    private let pid: pid_t
    private let logFile: URL
    private var stopped = false

    /// `basicAuth` (tinyproxy only) makes the proxy demand these credentials.
    public init(_ kind: Kind, basicAuth: (user: String, password: String)? = nil) throws {
        directory = try TestEnvironment.temporaryDirectory("live-proxy")
        port = try LoopbackListener.freePort()
        logFile = directory.appendingPathComponent("log.txt")
        let config = directory.appendingPathComponent("proxy.conf")
        let text: String
        let arguments: [String]
        switch kind {
        case .tinyproxy:
            text = """
                Port \(port)
                Listen 127.0.0.1
                Timeout 30
                Allow 127.0.0.1
                MaxClients 50
                LogLevel Connect
                DisableViaHeader Yes
                \(basicAuth.map { "BasicAuth \($0.user) \($0.password)" } ?? "")

                """
            arguments = [Self.tinyproxyPath, "-d", "-c", config.path]
        case .dante:
            text = """
                logoutput: stderr
                internal: 127.0.0.1 port = \(port)
                external: 127.0.0.1
                clientmethod: none
                socksmethod: none
                \(getuid() == 0 ? "user.privileged: root\nuser.unprivileged: nobody" : "")
                client pass {
                  from: 127.0.0.0/8 to: 0.0.0.0/0
                  log: error
                }
                socks pass {
                  from: 127.0.0.0/8 to: 0.0.0.0/0
                  command: connect
                  log: connect error
                }

                """
            arguments = [Self.dantePath, "-f", config.path, "-p", directory.appendingPathComponent("pid").path]
        }
        try text.write(to: config, atomically: true, encoding: .utf8)
        pid = try Self.spawn(arguments, log: logFile.path)
        // Ready when it accepts a TCP connection (bounded: 10 s).
        for _ in 0..<200 {
            if canConnect(port: port) { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(50_000)
        }
        stop()
        throw ProxyProcessError.didNotStart("\(kind)", log)
    }

    /// What the proxy logged so far.
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// SIGKILL to the proxy's process group (its workers too), then reap it; idempotent.
    public func stop() {
        guard !stopped else { return }
        stopped = true
        let children = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        kill(-pid, SIGKILL)
        for child in children.split(separator: " ").compactMap({ Int32($0) }) { kill(child, SIGKILL) }
        kill(pid, SIGKILL)
        // SIGKILL cannot be ignored; the bound only guards against a pid that is not our child any more.
        var status: Int32 = 0
        for _ in 0..<500 {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || reaped < 0 { break }
            usleep(10_000)
        }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// posix_spawn rather than Foundation's Process: dante closes every inherited descriptor at startup,
    /// which Foundation takes for the child's exit and then blocks its monitor thread in waitpid on a live
    /// process (no later Process in the test run would ever finish). Signals are reset to defaults and
    /// the child leads a new process group, so `stop()` reaches every process it forks.
    private static func spawn(_ arguments: [String], log: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, environ)
        guard result == 0 else { throw ProxyProcessError.spawn(arguments[0], String(cString: strerror(result))) }
        return pid
    }
}
