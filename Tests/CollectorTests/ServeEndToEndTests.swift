import Foundation
import Live
import LoopbackPeers
import NATSTransport
import Recording
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The whole live path with real processes: `marketprism serve` (the recorded OKX and Binance samples)
/// -> `marketprism collect` (websockets, REST snapshots, recording) -> nats-server -> a consumer reading
/// the stream; compared with the deterministic replay of the same recordings, and with the replay of the
/// recordings the collector made.
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server"))
struct ServeEndToEndTests {
    static let recordings = TestEnvironment.packageRoot.appendingPathComponent("recordings").path

    func replay(_ path: String, into directory: URL) throws -> [String] {
        let out = directory.appendingPathComponent(UUID().uuidString + ".ndjson").path
        let result = try TestEnvironment.marketprism("replay", path, "--output", out)
        #expect(result.status == 0 || result.status == 1, "\(result.stderrText)")
        return try CanonicalLines.read(out)
    }

    @Test func serveCollectNATSEqualsReplayAndTheRecordingReplaysToTheLiveRun() throws {
        let okx = "\(Self.recordings)/okx.mprec", binance = "\(Self.recordings)/binance-spot.mprec"
        let directory = try TestEnvironment.temporaryDirectory("collector-serve")
        let nats = try NATSServer()
        defer { nats.stop() }
        let servePort = try LoopbackListener.freePort()
        let serve = try BackgroundMarketPrism(
            ["serve", okx, binance, "--port", "\(servePort)", "--speed", "20x"], directory: directory)
        #expect(waitUntil(seconds: 30) { canConnect(port: servePort) }, "\(serve.stderr)")
        let apiPort = try LoopbackListener.freePort()
        let config = """
            venues:
              - exchange: okx
                channels: [book, trades, ticker]
                symbols: [BTC-USDT, BTC-USDT-SWAP]
                websocket_url: ws://127.0.0.1:\(servePort)/okx
                rest_url: http://127.0.0.1:\(servePort)
                proxy: direct
              - exchange: binance
                channels: [book, trades, ticker]
                symbols: [BTCUSDT, ETHUSDT]
                websocket_url: ws://127.0.0.1:\(servePort)/binance
                rest_url: http://127.0.0.1:\(servePort)
                proxy: direct
            nats:
              urls: [\(nats.url)]
              storage: memory
            api:
              port: \(apiPort)
            """
        let configPath = directory.appendingPathComponent("collector.yaml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let recorded = directory.appendingPathComponent("recorded").path
        let canonical = directory.appendingPathComponent("canonical.ndjson").path
        let collect = try BackgroundMarketPrism(
            ["collect", "--config", configPath, "--record", recorded, "--canonical-output", canonical, "--log-level", "warning"],
            directory: directory)
        // serve replays market data only (the recordings' protocol frames are answered, not replayed):
        // done when both feeds have frames and their counts stop moving.
        #expect(try waitForSteadyFrames(apiPort: apiPort, feeds: 2), "collect: \(collect.stderr)\nserve: \(serve.stderr)")
        usleep(300_000)
        collect.signal(SIGTERM)
        #expect(collect.waitForExit() == 0, "\(collect.stderr)")
        serve.signal(SIGTERM)
        _ = serve.waitForExit()

        // A consumer reads the stream: exactly what the collector published, in order.
        let stream = try streamLines(nats.url)
        let live = try CanonicalLines.read(canonical)
        // (Per venue: two feeds publish concurrently, so only each feed's own order is defined.)
        for venue in ["okx", "binance"] {
            let mine = { (lines: [String]) in lines.filter { CanonicalLines.subject($0).hasPrefix("market.\(venue).") } }
            #expect(firstDifference(mine(stream), mine(live.filter(CanonicalLines.isMessage))) == nil, "\(venue)")
        }

        // OKX: books and trades equal the deterministic replay of the venue's recording.
        let okxLive = stream.filter { CanonicalLines.subject($0).hasPrefix("market.okx.") }
        let okxReplay = try replay(okx, into: directory)
        for kind in ["trade", "orderbook"] {
            let difference = firstDifference(CanonicalLines.messages(okxLive, kind: kind), CanonicalLines.messages(okxReplay, kind: kind))
            #expect(difference == nil, "okx \(kind): \(difference ?? "")")
        }
        // Binance: trades equal; books equal from the first book both runs have (the snapshot's timing differs).
        let binanceLive = stream.filter { CanonicalLines.subject($0).hasPrefix("market.binance.") }
        let binanceReplay = try replay(binance, into: directory)
        #expect(firstDifference(CanonicalLines.messages(binanceLive, kind: "trade"), CanonicalLines.messages(binanceReplay, kind: "trade")) == nil)
        for symbol in ["BTC-USDT", "ETH-USDT"] {
            let books = { (lines: [String]) in
                CanonicalLines.messages(lines, kind: "orderbook").filter { CanonicalLines.subject($0) == "market.binance.\(symbol).orderbook" }
                    .map(CanonicalLines.withoutTimestamps)
            }
            let liveBooks = books(binanceLive), replayBooks = books(binanceReplay)
            let ids = Set(replayBooks.map(CanonicalLines.id))
            let first = try #require(liveBooks.firstIndex { ids.contains(CanonicalLines.id($0)) })
            let tail = Array(liveBooks[first...])
            #expect(tail.count > liveBooks.count - 20)
            #expect(firstDifference(tail, Array(replayBooks.drop { CanonicalLines.id($0) != CanonicalLines.id(tail[0]) })) == nil, "\(symbol)")
        }

        // The recordings the collector made replay to exactly the messages it published live.
        let files = try FileManager.default.contentsOfDirectory(atPath: recorded).sorted()
        #expect(files.count == 2)
        let okxFile = try #require(files.first { $0.hasPrefix("okx-") })
        let replayedOwn = try replay("\(recorded)/\(okxFile)", into: directory).filter(CanonicalLines.isMessage)
        let difference = firstDifference(replayedOwn.map(CanonicalLines.withoutReceiveTimes), okxLive.map(CanonicalLines.withoutReceiveTimes))
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test func aResetThroughServeTurnsHealthTo503AndBackTo200() throws {
        let okx = "\(Self.recordings)/okx.mprec"
        let directory = try TestEnvironment.temporaryDirectory("collector-serve-fault")
        let scenario = directory.appendingPathComponent("reset.yaml").path
        try "name: reset\nrecording: \(okx)\nfaults:\n  - {at: 2s, kind: connection.reset}\n".write(
            toFile: scenario, atomically: true, encoding: .utf8)
        let servePort = try LoopbackListener.freePort()
        let serve = try BackgroundMarketPrism(
            ["serve", okx, "--port", "\(servePort)", "--speed", "5x", "--scenario", scenario], directory: directory)
        defer { serve.signal(SIGTERM); _ = serve.waitForExit() }
        #expect(waitUntil(seconds: 30) { canConnect(port: servePort) }, "\(serve.stderr)")
        let apiPort = try LoopbackListener.freePort()
        let configPath = directory.appendingPathComponent("collector.yaml").path
        try """
            venues:
              - exchange: okx
                channels: [book, trades]
                symbols: [BTC-USDT, BTC-USDT-SWAP]
                websocket_url: ws://127.0.0.1:\(servePort)/okx
                proxy: direct
            api:
              port: \(apiPort)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let collect = try BackgroundMarketPrism(["collect", "--config", configPath, "--log-level", "warning"], directory: directory)
        defer { collect.signal(SIGTERM); _ = collect.waitForExit() }
        let client = try CurlRestClient()
        // Healthy, then 503 with the reasons, then healthy again after the reconnect and resync.
        var seen: [Int] = []
        var reasons = ""
        let recovered = waitUntil(seconds: 60) {
            guard let answer = try? client.get("http://127.0.0.1:\(apiPort)/health", timeoutMilliseconds: 1_000) else { return false }
            if seen.last != answer.status { seen.append(answer.status) }
            if answer.status == 503 { reasons = String(decoding: answer.body, as: UTF8.self) }
            usleep(5_000)
            return seen.count >= 3 && seen.suffix(3) == [200, 503, 200]
        }
        #expect(recovered, "health went \(seen); \(collect.stderr)")
        #expect(reasons.contains("disconnected") || reasons.contains("book_invalid"), "\(reasons)")
        let status = try client.get("http://127.0.0.1:\(apiPort)/status", timeoutMilliseconds: 2_000)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any])
        let venue = try #require((json["venues"] as? [[String: Any]])?.first)
        #expect((venue["reconnects"] as? Int ?? 0) >= 1)
        #expect((venue["books"] as? [[String: Any]])?.allSatisfy { $0["state"] as? String == "valid" } == true)
    }
}
