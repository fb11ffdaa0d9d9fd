import CollectorControl
import Exchanges
import Foundation
import NATSTransport
import Publishing
import Recording
import Testing
import TestSupport

@testable import Collector

/// The collector publishing to a real nats-server: what the stream holds equals what the stack
/// published and the deterministic replay of the venue's recording; the command subject changes
/// subscriptions of the running feed.
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server"))
struct NATSCollectorTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    @Test func streamHoldsTheReplaysBooksAndTrades() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 20)
        defer { peer.stop() }
        let subscription = try #require(Subscription.fromJSON(try RecordingReader(path: Self.okx).header.subscription))
        var stream = StreamConfiguration(name: "MARKET_DATA")
        stream.storage = .memory
        let configuration = CollectorConfiguration(
            venues: [VenueFeedConfiguration(subscription: subscription, websocketOrigin: peer.websocketOrigin, proxy: "direct")],
            nats: NATSSettings(connection: NATSConnectionOptions(urls: [server.url]), stream: stream),
            publisher: PublisherSettings(sink: .nats))
        let lines = LineCollector()
        let collector = try LiveCollector(
            configuration: configuration, options: LiveCollectorOptions(output: lines.append, environment: [:], commandSubject: nil))
        collector.start()
        #expect(waitUntil(seconds: 120) { collector.frameTotals.frames >= peer.frames.count })
        usleep(300_000)
        #expect(collector.health().reasons.allSatisfy { $0.problem != "broker_down" })
        let summary = collector.stop()
        #expect(summary.drained)
        #expect(summary.publisher.lost == 0)

        let storedLines = try streamLines(server.url)
        let published = lines.lines.filter(CanonicalLines.isMessage)
        #expect(storedLines.count == published.count)
        #expect(firstDifference(storedLines, published) == nil)

        // What a consumer reads is what the deterministic replay of the venue's recording publishes.
        let out = try TestEnvironment.temporaryDirectory("collector-nats").appendingPathComponent("replay.ndjson").path
        _ = try TestEnvironment.marketprism("replay", Self.okx, "--output", out)
        let replayed = try CanonicalLines.read(out)
        for kind in ["trade", "orderbook"] {
            let difference = firstDifference(CanonicalLines.messages(storedLines, kind: kind), CanonicalLines.messages(replayed, kind: kind))
            #expect(difference == nil, "\(kind): \(difference ?? "")")
        }
    }

    @Test func commandSubjectSubscribesTheRunningFeed() throws {
        let server = try NATSServer()
        defer { server.stop() }
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 5)
        defer { peer.stop() }
        let configuration = CollectorConfiguration(
            venues: [VenueFeedConfiguration(
                subscription: Subscription(venue: .okx, channels: [.book, .trades], instruments: ["BTC-USDT"]),
                websocketOrigin: peer.websocketOrigin, proxy: "direct")],
            nats: NATSSettings(connection: NATSConnectionOptions(urls: [server.url])),
            publisher: PublisherSettings(sink: .inProcess))
        let collector = try LiveCollector(configuration: configuration, options: LiveCollectorOptions(environment: [:], sink: InProcessLiveSink()))
        collector.start()
        defer { collector.stop() }
        #expect(waitUntil(seconds: 30) { collector.status().venues.first?.connected == true })

        let answer = try natsRequest(server.url, #"{"action":"subscribe","exchange":"okx","symbols":["BTC-USDT-SWAP"],"channels":["book"]}"#)
        #expect(answer.contains(#""ok":true"#), "\(answer)")
        #expect(answer.contains("book:BTC-USDT-SWAP"))
        #expect(collector.status().venues.first?.subscriptions["book"] == ["BTC-USDT", "BTC-USDT-SWAP"])
        // The venue saw our subscribe frame for it on the open connection.
        #expect(waitUntil(seconds: 10) {
            peer.websocket.receivedFrames.contains { String(decoding: $0.payload, as: UTF8.self).contains(#""op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT-SWAP"}"#) }
        })
        let again = try natsRequest(server.url, #"{"action":"subscribe","exchange":"okx","symbols":["BTC-USDT-SWAP"],"channels":["book"]}"#)
        #expect(again.contains(#""changed":[]"#))
        let bad = try natsRequest(server.url, #"{"action":"explode","exchange":"okx","symbols":["X"]}"#)
        #expect(bad.contains(#""ok":false"#))
        let removed = try natsRequest(server.url, #"{"action":"unsubscribe","exchange":"okx","symbols":["BTC-USDT-SWAP"],"channels":["book"]}"#)
        #expect(removed.contains("book:BTC-USDT-SWAP"))
        #expect(collector.status().venues.first?.subscriptions["book"] == ["BTC-USDT"])
    }

    /// A NATS request through nats-py (an independent client), returning the reply text.
    func natsRequest(_ url: String, _ body: String) throws -> String {
        let script = """
            import asyncio, sys, nats
            async def main():
                nc = await nats.connect(sys.argv[1])
                reply = await nc.request("marketprism.control.subscriptions", sys.argv[2].encode(), timeout=5)
                print(reply.data.decode())
                await nc.close()
            asyncio.run(main())
            """
        let result = try TestEnvironment.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, url, body])
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText
    }
}

/// The stream's messages as canonical lines (`{"subject","id","data"}`), in stream order: what a
/// consumer reads, comparable with the collector's published lines.
func streamLines(_ url: String, stream: String = "MARKET_DATA") throws -> [String] {
    try streamLines(NATSConnectionOptions(urls: [url]), stream: stream)
}

func streamLines(_ connection: NATSConnectionOptions, stream: String = "MARKET_DATA") throws -> [String] {
    let admin = try JetStreamAdmin(connection)
    defer { admin.close() }
    return try admin.messages(stream).map { m in
        "{\"subject\":\"\(m.subject)\",\"id\":\"\(m.id ?? "")\",\"data\":\(String(decoding: m.payload, as: UTF8.self))}"
    }
}
