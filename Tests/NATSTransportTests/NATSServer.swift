import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A real `nats-server` with JetStream on a free loopback port and a temporary store directory,
/// started and stopped by the tests (restartable on the same port and store, SIGKILL-able).
final class NATSServer: @unchecked Sendable {
    static let executable: String? = {
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }()

    /// Tests run where a server exists; in CI they run regardless, so a missing server fails loudly.
    static var available: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    let port: UInt16
    let storeDirectory: URL
    private var process: Process?

    var url: String { "nats://127.0.0.1:\(port)" }

    init() throws {
        port = try Self.freePort()
        storeDirectory = try TestEnvironment.temporaryDirectory("nats-js")
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: storeDirectory)
    }

    func start() throws {
        guard let executable = Self.executable else { throw ServerError.notInstalled }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = ["-a", "127.0.0.1", "-p", "\(port)", "-js", "-sd", storeDirectory.path]
        let logURL = storeDirectory.appendingPathComponent("server.log")
        FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
        try waitUntilAccepting()
    }

    /// Kills the server at once (no shutdown, no flush), as a crash would.
    func kill() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    func stop() {
        guard let p = process else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
    }

    private func waitUntilAccepting() throws {
        for _ in 0..<200 {
            if Self.canConnect(port: port) { return }
            usleep(25_000)
        }
        throw ServerError.didNotStart(port: port)
    }

    enum ServerError: Error {
        case notInstalled
        case didNotStart(port: UInt16)
        case noFreePort
    }

    static func canConnect(port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = loopback(port: port)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError.noFreePort }
        defer { close(fd) }
        var addr = loopback(port: 0)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ServerError.noFreePort }
        var out = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &out) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return UInt16(bigEndian: out.sin_port)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return addr
    }
}
