import Foundation
import Live
import LoopbackPeers
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `marketprism` started in the background (collect/record), signalled and waited for by the test.
final class BackgroundMarketPrism: @unchecked Sendable {
    let process = Process()
    let stderrPath: String

    /// `environment` replaces the inherited one (proxy variables, say) when given.
    init(_ arguments: [String], directory: URL, environment: [String: String]? = nil) throws {
        process.executableURL = TestEnvironment.executable("marketprism")
        process.arguments = arguments
        if let environment { process.environment = environment }
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

/// Waits until a `collect` process's API reports `feeds` venues, each past 1,000 frames, with counts
/// that have not moved for 15 polls in a row (1.5 s): `serve` replays market data only, so a quiet
/// feed means everything it had has arrived.
func waitForSteadyFrames(apiPort: Int, feeds: Int, seconds: Double = 120) throws -> Bool {
    let client = try CurlRestClient(options: .init(proxyPolicy: ProxyPolicy()))
    func received() -> [Int] {
        guard let answer = try? client.get("http://127.0.0.1:\(apiPort)/status", timeoutMilliseconds: 2_000),
            let status = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
            let venues = status["venues"] as? [[String: Any]]
        else { return [] }
        return venues.map { $0["framesReceived"] as? Int ?? 0 }
    }
    var last: [Int] = [], steady = 0
    return waitUntil(seconds: seconds) {
        let now = received()
        steady = now == last && now.count == feeds && now.allSatisfy({ $0 > 1_000 }) ? steady + 1 : 0
        last = now
        usleep(100_000)
        return steady >= 15
    }
}
