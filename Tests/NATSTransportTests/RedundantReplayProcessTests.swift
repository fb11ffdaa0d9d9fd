import Foundation
import NATSTransport
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A `marketprism` child process with its output in files (no pipes to fill up), SIGKILLed on
/// teardown if the test did not end it.
final class CLIProcess {
    let process = Process()
    let stderrPath: String

    init(_ arguments: [String], stderrPath: String) throws {
        self.stderrPath = stderrPath
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.executableURL = TestEnvironment.executable("marketprism")
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
    }

    deinit {
        if process.isRunning { kill() }
    }

    var isRunning: Bool { process.isRunning }

    /// SIGKILL, as a crash or an OOM kill would: nothing is flushed or drained.
    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Waits for the process to exit by itself; false (and the process is killed) after `seconds`.
    func wait(seconds: Double) -> Bool {
        if waitUntil(seconds: seconds, { !process.isRunning }) {
            process.waitUntilExit()
            return true
        }
        kill()
        return false
    }

    var stderrText: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// Issue 6: two collectors replay the same recording into one stream and one of them is SIGKILLed
/// mid-way; the stream still holds every message exactly once (real processes, real nats-server).
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server (apt-get install nats-server)"))
struct RedundantReplayProcessTests {
    static let recording = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    /// `replay --nats` paced at 8x real time: the 120 s recording takes about 15 s, long enough to
    /// kill one replay in the middle.
    func startReplay(_ server: NATSServer, _ dir: URL, _ name: String) throws -> CLIProcess {
        try CLIProcess(
            [
                "replay", Self.recording, "--nats", server.url, "--speed", "8x", "--depth", "20",
                "--output", dir.appendingPathComponent("\(name).ndjson").path,
                "--report-json", dir.appendingPathComponent("\(name).json").path,
            ], stderrPath: dir.appendingPathComponent("\(name).stderr").path)
    }

    @Test func oneOfTwoReplaysKilledMidwayLeavesEveryMessageOnce() throws {
        let server = try NATSServer()
        let dir = try TestEnvironment.temporaryDirectory("nats-redundant")
        defer { try? FileManager.default.removeItem(at: dir) }
        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        defer { admin.close() }
        // Until the first replay creates the stream, it holds nothing.
        func stored() -> UInt64 { (try? admin.streamState("MARKET_DATA").messages) ?? 0 }

        let victim = try startReplay(server, dir, "victim")
        // Only the victim runs yet, so whatever the stream holds now, the victim published.
        try #require(waitUntil(seconds: 120) { stored() > 0 || !victim.isRunning }, "victim: \(victim.stderrText)")
        let byVictimAlone = stored()
        try #require(byVictimAlone > 0 && victim.isRunning, "victim: \(victim.stderrText)")

        let survivor = try startReplay(server, dir, "survivor")
        // Both run: the survivor is replaying (its output grows) and the stream has grown past what
        // the victim stored alone. Then the victim dies mid-way.
        let survivorOutput = dir.appendingPathComponent("survivor.ndjson.tmp").path
        func survivorWrote() -> Bool {
            ((try? FileManager.default.attributesOfItem(atPath: survivorOutput)[.size] as? Int) ?? 0) > 0
        }
        try #require(waitUntil(seconds: 120) { (survivorWrote() && stored() > byVictimAlone) || !victim.isRunning })
        try #require(victim.isRunning, "the victim finished before it could be killed: \(victim.stderrText)")
        victim.kill()
        #expect(victim.process.terminationReason == .uncaughtSignal && victim.process.terminationStatus == SIGKILL)
        let atKill = stored()

        #expect(survivor.wait(seconds: 300), "survivor did not finish: \(survivor.stderrText)")
        #expect(survivor.process.terminationStatus == 0, "\(survivor.stderrText)")
        let reportData = try Data(contentsOf: dir.appendingPathComponent("survivor.json"))
        let report = try #require(try JSONSerialization.jsonObject(with: reportData) as? [String: Any])
        let published = try #require(report["published"] as? Int)
        let nats = try #require(report["nats"] as? [String: Any])
        #expect(nats["acked"] as? Int == published)
        #expect(nats["lost"] as? Int == 0)
        // The survivor met the victim's copies: the broker acked them as duplicates and kept one.
        #expect((nats["duplicates"] as? Int ?? 0) >= Int(byVictimAlone))
        // The victim was killed mid-way: the stream then held only part of the replay.
        #expect(atKill < UInt64(published))

        let messages = try admin.messages("MARKET_DATA")
        #expect(messages.count == published)
        #expect(try admin.streamState("MARKET_DATA").messages == UInt64(published))
        let ids = messages.map { $0.id ?? "<missing>" }
        #expect(Set(ids).count == ids.count, "some Nats-Msg-Id is stored twice")
        let expected = try publishedIds(dir.appendingPathComponent("survivor.ndjson"))
        #expect(expected.count == published)
        #expect(Set(ids) == Set(expected))
    }

    /// The `id` of every published message line of a replay's `--output` NDJSON.
    func publishedIds(_ url: URL) throws -> [String] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["subject"] != nil ? object?["id"] as? String : nil
        }
    }
}
