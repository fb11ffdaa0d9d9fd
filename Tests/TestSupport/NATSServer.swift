import Foundation
import LoopbackPeers

#if canImport(Glibc)
import Glibc
#endif

/// A real `nats-server` with JetStream on a free loopback port and a temporary store directory,
/// started and stopped by the tests (restartable on the same port and store, SIGKILL-able).
/// `configuration` is extra server config text (an `authorization` or `tls` block), written to a file
/// in the store directory and passed with `-c`; the command line still sets address, port and store.
public final class NATSServer: @unchecked Sendable {
    public static let executable: String? = {
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        return nil
    }()

    /// Tests run where a server exists; in CI they run regardless, so a missing server fails loudly.
    public static var available: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    public let port: UInt16
    public let storeDirectory: URL
    public let configuration: String?
    private var process: Process?

    public var url: String { "nats://127.0.0.1:\(port)" }
    public var logFile: URL { storeDirectory.appendingPathComponent("server.log") }
    /// What the server logged so far (all runs on this store).
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public init(configuration: String? = nil) throws {
        port = UInt16(try LoopbackListener.freePort())
        storeDirectory = try TestEnvironment.temporaryDirectory("nats-js")
        self.configuration = configuration
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: storeDirectory)
    }

    public func start() throws {
        guard let executable = Self.executable else { throw ServerError.notInstalled }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        var arguments = ["-a", "127.0.0.1", "-p", "\(port)", "-js", "-sd", storeDirectory.path]
        if let configuration {
            let file = storeDirectory.appendingPathComponent("server.conf")
            try configuration.write(to: file, atomically: true, encoding: .utf8)
            arguments += ["-c", file.path]
        }
        p.arguments = arguments
        let logURL = logFile
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
    public func kill() {
        guard let p = process else { return }
        Glibc.kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        process = nil
    }

    public func stop() {
        guard let p = process else { return }
        p.terminate()
        p.waitUntilExit()
        process = nil
    }

    private func waitUntilAccepting() throws {
        for _ in 0..<200 {
            if canConnect(port: Int(port)) { return }
            usleep(25_000)
        }
        throw ServerError.didNotStart(port: port)
    }

    public enum ServerError: Error {
        case notInstalled
        case didNotStart(port: UInt16)
    }
}
