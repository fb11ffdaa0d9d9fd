import Foundation
import LoopbackPeers
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A real `nats-server -js` on a free loopback port with a temporary store, killed in `stop()`.
/// (The NATSTransport tests have a fuller one; test targets cannot share it outside TestSupport.)
final class LocalNATSServer: @unchecked Sendable {
    static let executable = ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { executable != nil || ProcessInfo.processInfo.environment["CI"] != nil }

    let port: Int
    let process: Process
    let store: URL
    var url: String { "nats://127.0.0.1:\(port)" }

    init() throws {
        guard let executable = Self.executable else { throw ProcessError.missing("nats-server") }
        port = try LoopbackListener.freePort()
        store = try TestEnvironment.temporaryDirectory("collector-nats")
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)", "-js", "-sd", store.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        guard waitUntil(seconds: 10, { canConnect(port: port) }) else { throw ProcessError.didNotStart("nats-server") }
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: store)
    }
}

/// `marketprism` started in the background (collect/record), signalled and waited for by the test.
final class BackgroundMarketPrism: @unchecked Sendable {
    let process = Process()
    let stderrPath: String

    init(_ arguments: [String], directory: URL) throws {
        process.executableURL = TestEnvironment.executable("marketprism")
        process.arguments = arguments
        stderrPath = directory.appendingPathComponent("stderr.log").path
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit (bounded); nil if it did not exit in time (then it is killed).
    func waitForExit(seconds: Double = 30) -> Int32? {
        if waitUntil(seconds: seconds, { !process.isRunning }) { return process.terminationStatus }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return nil
    }

    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

enum ProcessError: Error {
    case missing(String)
    case didNotStart(String)
}

func canConnect(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    } == 0
}
