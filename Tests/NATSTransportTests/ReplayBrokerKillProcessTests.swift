import Foundation
import NATSTransport
import Testing
import TestSupport

/// Issue 6 as a user sees it: `replay --nats` runs while nats-server is SIGKILLed and restarted on
/// the same port and store; the replay reports the outage and no loss, and the stream holds every
/// message exactly once.
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server (apt-get install nats-server)"))
struct ReplayBrokerKillProcessTests {
    @Test func brokerKilledAndRestartedDuringReplayLosesNothing() throws {
        let server = try NATSServer()
        let dir = try TestEnvironment.temporaryDirectory("nats-broker-kill")
        defer { try? FileManager.default.removeItem(at: dir) }
        func stored() -> UInt64 {
            guard let admin = try? JetStreamAdmin(NATSConnectionOptions(urls: [server.url])) else { return 0 }
            defer { admin.close() }
            return (try? admin.streamState("MARKET_DATA").messages) ?? 0
        }

        let replay = try CLIProcess(
            [
                "replay", RedundantReplayProcessTests.recording, "--nats", server.url, "--speed", "8x", "--depth", "20",
                "--output", dir.appendingPathComponent("out.ndjson").path,
                "--report-json", dir.appendingPathComponent("report.json").path,
            ], stderrPath: dir.appendingPathComponent("replay.stderr").path)
        try #require(waitUntil(seconds: 120) { stored() > 0 || !replay.isRunning }, "\(replay.stderrText)")
        let beforeKill = stored()
        server.kill()
        // The publisher noticed (it logs the outage) while the replay goes on buffering.
        try #require(waitUntil(seconds: 60) { replay.stderrText.contains("broker unreachable") || !replay.isRunning })
        try #require(replay.isRunning, "the replay ended before the broker came back: \(replay.stderrText)")
        try server.start()

        #expect(replay.wait(seconds: 300), "\(replay.stderrText)")
        #expect(replay.process.terminationStatus == 0, "\(replay.stderrText)")
        #expect(replay.stderrText.contains("broker back after"))
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("report.json"))) as? [String: Any])
        let published = try #require(report["published"] as? Int)
        let nats = try #require(report["nats"] as? [String: Any])
        #expect((nats["outages"] as? Int ?? 0) >= 1)
        // The report shows how long the broker was gone and how much waited for it.
        #expect((nats["outage_ms"] as? Int ?? 0) > 0)
        #expect((nats["buffered_max"] as? Int ?? 0) > 0)
        #expect(nats["lost"] as? Int == 0)
        #expect(nats["acked"] as? Int == published)
        #expect(beforeKill < UInt64(published))

        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        defer { admin.close() }
        let ids = try admin.messages("MARKET_DATA").map { $0.id ?? "<missing>" }
        #expect(ids.count == published)
        #expect(Set(ids).count == ids.count, "some Nats-Msg-Id is stored twice")
        let expected = try RedundantReplayProcessTests().publishedIds(dir.appendingPathComponent("out.ndjson"))
        // Resends start at the first un-acked message, so the stream keeps the replay's order.
        #expect(firstDifference(ids, expected) == "")
    }
}
