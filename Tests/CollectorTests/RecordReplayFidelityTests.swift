import Foundation
import LoopbackPeers
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Record against serve, then replay the new recording: the replay's canonical output (every published
/// message and every stack event, in order) equals the live run's, local receive times aside. Real
/// processes: `marketprism serve` -> `marketprism collect --record --canonical-output` -> `marketprism replay`.
///
/// On Binance the book sync depends on when the REST snapshot came back relative to the depth frames, and
/// on loopback it comes back within a millisecond or two: the replay follows the recording's own
/// `connect` and `rest_response` records instead of modelling latencies, or the first book would differ.
@Suite(.serialized)
struct RecordReplayFidelityTests {
    struct Run {
        var live: [String]
        var recording: String
        var directory: URL
    }

    /// Serves `recording` at `speed`, collects it for `seconds` with recording on, and returns the live
    /// canonical output and the recording the collector made.
    func recordAgainstServe(
        _ recording: String, venue: String, symbols: [String], channels: [String], speed: String, seconds: Int,
        scenario: String? = nil
    ) throws -> Run {
        let directory = try TestEnvironment.temporaryDirectory("fidelity")
        let port = try LoopbackListener.freePort()
        var arguments = ["serve", recording, "--port", "\(port)", "--speed", speed]
        if let scenario { arguments += ["--scenario", scenario] }
        let serve = try BackgroundMarketPrism(arguments, directory: directory)
        defer {
            serve.signal(SIGTERM)
            _ = serve.waitForExit()
        }
        #expect(waitUntil(seconds: 30) { canConnect(port: port) }, "\(serve.stderr)")
        let config = directory.appendingPathComponent("collector.yaml").path
        try """
            venues:
              - exchange: \(venue)
                channels: [\(channels.joined(separator: ", "))]
                symbols: [\(symbols.joined(separator: ", "))]
                websocket_url: ws://127.0.0.1:\(port)/\(venue)
                rest_url: http://127.0.0.1:\(port)
                proxy: direct
                instruments: fetch
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let recorded = directory.appendingPathComponent("recorded").path
        let canonical = directory.appendingPathComponent("live.ndjson").path
        let collect = try TestEnvironment.marketprism(
            "collect", "--config", config, "--record", recorded, "--canonical-output", canonical, "--duration", "\(seconds)s",
            "--log-level", "warning")
        #expect(collect.status == 0, "\(collect.stderrText)")
        let files = try FileManager.default.contentsOfDirectory(atPath: recorded).filter { $0.hasSuffix(".mprec") }
        let file = try #require(files.count == 1 ? files.first : nil, "\(files)")
        return Run(live: try CanonicalLines.read(canonical), recording: "\(recorded)/\(file)", directory: directory)
    }

    func replay(_ path: String, into directory: URL) throws -> [String] {
        let out = directory.appendingPathComponent(UUID().uuidString + ".ndjson").path
        let result = try TestEnvironment.marketprism("replay", path, "--output", out)
        #expect(result.status == 0 || result.status == 1, "\(result.stderrText)")
        return try CanonicalLines.read(out)
    }

    /// The replay of the run's recording equals the run, twice over (and the two replays are byte-identical).
    func expectReplayEqualsLive(_ run: Run) throws {
        let first = try replay(run.recording, into: run.directory)
        let second = try replay(run.recording, into: run.directory)
        #expect(first == second, "the replay is not deterministic: \(firstDifference(first, second) ?? "")")
        let difference = firstDifference(first.map(CanonicalLines.withoutReceiveTimes), run.live.map(CanonicalLines.withoutReceiveTimes))
        #expect(difference == nil, "\(difference ?? "")")
    }

    /// Books synced from a REST snapshot, per symbol, in the live output.
    func syncedSymbols(_ lines: [String]) -> Set<String> {
        Set(lines.compactMap { line -> String? in
            guard line.hasPrefix("{\"event\":\"book_synced ") else { return nil }
            return line.dropFirst("{\"event\":\"book_synced ".count).split(separator: " ").first.map(String.init)
        })
    }

    @Test(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
    func realBinanceSampleRecordedAgainstServeReplaysToTheLiveRun() throws {
        let directory = try TestEnvironment.temporaryDirectory("fidelity-import")
        let sample = directory.appendingPathComponent("binance-real.mprec").path
        let files = TestEnvironment.cryptofeedFiles(feed: "BINANCE").map(\.path)
        let imported = try TestEnvironment.marketprism(arguments: ["import", "cryptofeed"] + files + ["--output", sample])
        #expect(imported.status == 0, "\(imported.stderrText)")
        // Twice: each live run differs in its instants, each must replay to itself.
        for _ in 0..<2 {
            let run = try recordAgainstServe(
                sample, venue: "binance", symbols: ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"],
                channels: ["trades", "book", "kline_1m", "ticker"], speed: "5x", seconds: 9)
            #expect(run.live.filter(CanonicalLines.isMessage).count > 100)
            // Every book went through the REST snapshot, the step whose timing used to differ.
            #expect(syncedSymbols(run.live) == ["NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"])
            try expectReplayEqualsLive(run)
        }
    }

    /// A fault scenario over the collector's own recording: where the fault takes the replay off the
    /// recorded path (here a close the live run never saw), the venue model carries on.
    @Test func aScenarioFaultOverTheCollectorsRecordingReconnectsAndResyncs() throws {
        let recording = TestEnvironment.packageRoot.appendingPathComponent("recordings/binance-spot.mprec").path
        let run = try recordAgainstServe(
            recording, venue: "binance", symbols: ["BTCUSDT", "ETHUSDT"], channels: ["book", "trades", "ticker"], speed: "20x",
            seconds: 8)
        let scenario = run.directory.appendingPathComponent("close.yaml").path
        try "name: close\nrecording: \(run.recording)\nfaults:\n  - {at: 2s, kind: connection.close, code: 1011}\n".write(
            toFile: scenario, atomically: true, encoding: .utf8)
        let out = run.directory.appendingPathComponent("faulted.ndjson").path
        let report = run.directory.appendingPathComponent("report.json").path
        let result = try TestEnvironment.marketprism("replay", run.recording, "--scenario", scenario, "--output", out, "--report-json", report)
        #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect(json["passed"] as? Bool == true)
        let lines = try CanonicalLines.read(out)
        let reconnected = try #require(lines.firstIndex { $0.contains("connected s0g2 reconnect=true") })
        // After the reconnect both books sync again and the venue's frames keep coming on the new connection.
        #expect(syncedSymbols(Array(lines[reconnected...])) == ["BTC-USDT", "ETH-USDT"])
        #expect(lines[reconnected...].filter(CanonicalLines.isMessage).count > 1_000)
    }

    /// The venue's connection dropped (reset, then a close with 4000) while recording: the replay drops it at
    /// the same records, reconnects at the recorded `connect`s and resyncs as live (OKX and Deribit from the
    /// book serve sent after the resubscription, which is in the recording; Binance from the REST snapshot).
    @Test(arguments: [
        ("binance-spot", "binance", ["BTCUSDT", "ETHUSDT"]), ("okx", "okx", ["BTC-USDT", "BTC-USDT-SWAP"]),
        ("deribit", "deribit", ["BTC-PERPETUAL", "ETH-PERPETUAL"]),
    ])
    func aRunWithAResetAndACloseThroughServeReplaysToTheLiveRun(recordingName: String, venue: String, symbols: [String]) throws {
        let recording = TestEnvironment.packageRoot.appendingPathComponent("recordings/\(recordingName).mprec").path
        let directory = try TestEnvironment.temporaryDirectory("fidelity-faults")
        let scenario = directory.appendingPathComponent("faults.yaml").path
        try """
            name: reset-and-close
            recording: \(recording)
            faults:
              - {at: 3s, kind: connection.reset}
              - {at: 6s, kind: connection.close, code: 4000}
            """.write(toFile: scenario, atomically: true, encoding: .utf8)
        let run = try recordAgainstServe(
            recording, venue: venue, symbols: symbols, channels: ["book", "trades", "ticker"], speed: "20x", seconds: 12,
            scenario: scenario)
        // The live run lost two connections and resynced after each.
        #expect(run.live.contains { $0.contains("connection_lost s0g1 transportError") })
        #expect(run.live.contains { $0.contains("connection_lost s0g2 closedByPeer(code: Optional(4000))") })
        #expect(run.live.contains { $0.contains("connected s0g3 reconnect=true") })
        let second = try #require(run.live.firstIndex { $0.contains("connected s0g2 reconnect=true") })
        #expect(syncedSymbols(Array(run.live[second...])).count == symbols.count)
        try expectReplayEqualsLive(run)
    }
}
