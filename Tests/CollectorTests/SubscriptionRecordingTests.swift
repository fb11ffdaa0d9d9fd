import CollectorControl
import Exchanges
import Foundation
import LoopbackPeers
import Model
import Recording
import Stack
import Testing
import TestSupport

@testable import Collector

#if canImport(Glibc)
import Glibc
#endif

/// Subscriptions changed while `collect --record` runs are in the recording, at the instant the stack
/// took them, and the replay of that recording reproduces the live run.
@Suite(.serialized)
struct SubscriptionRecordingTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    @Test func aSubscriptionChangedMidRecordingIsRecordedAndReplaysToTheLiveRun() throws {
        let directory = try TestEnvironment.temporaryDirectory("collector-subscriptions")
        let servePort = try LoopbackListener.freePort()
        // serve sends a venue only what was subscribed, so the change shows in what arrives.
        let serve = try BackgroundMarketPrism(["serve", Self.okx, "--port", "\(servePort)", "--speed", "10x"], directory: directory)
        defer {
            serve.signal(SIGTERM)
            _ = serve.waitForExit()
        }
        #expect(waitUntil(seconds: 30) { canConnect(port: servePort) }, "\(serve.stderr)")
        let lines = LineCollector()
        let configuration = CollectorConfiguration(venues: [
            VenueFeedConfiguration(
                subscription: Subscription(venue: .okx, channels: [.book, .trades], instruments: ["BTC-USDT"]),
                websocketOrigin: "ws://127.0.0.1:\(servePort)/okx", proxy: "direct")
        ])
        let recordings = directory.appendingPathComponent("recorded").path
        let collector = try LiveCollector(
            configuration: configuration,
            options: LiveCollectorOptions(
                output: lines.append, environment: [:], sink: InProcessLiveSink(), recordDirectory: recordings, commandSubject: nil))
        collector.start()
        defer { collector.stop() }
        let swapBook = "market.okx.BTC-USDT-PERP.orderbook"
        #expect(waitUntil(seconds: 30) { collector.health().healthy && collector.frameTotals.frames > 200 })
        #expect(!lines.lines.contains { CanonicalLines.subject($0) == swapBook })

        let added = collector.subscribe(SubscriptionRequest(exchange: "okx", symbols: ["BTC-USDT-SWAP"], channels: ["book", "trades"]))
        #expect(added.ok && added.changed == ["book:BTC-USDT-SWAP", "trades:BTC-USDT-SWAP"], "\(added)")
        #expect(waitUntil(seconds: 30) { lines.lines.filter { CanonicalLines.subject($0) == swapBook }.count > 20 })
        let removed = collector.unsubscribe(SubscriptionRequest(exchange: "okx", symbols: ["BTC-USDT"], channels: ["trades"]))
        #expect(removed.changed == ["trades:BTC-USDT"], "\(removed)")
        let framesAtRemove = collector.frameTotals.frames
        #expect(waitUntil(seconds: 30) { collector.frameTotals.frames > framesAtRemove + 200 })
        let liveSubscriptions = collector.status().venues[0].subscriptions
        let summary = collector.stop()
        #expect(summary.drained)
        let recording = try #require(summary.recordings.first)

        // The recording: both changes on the control stream, each right before the frame it sent the venue.
        let reader = try RecordingReader(path: recording)
        #expect(reader.header.streamLabels.contains { $0.id == FeedRecorder.controlStream && $0.label == "control" })
        var records: [Record] = []
        while let record = try reader.nextRecord() { records.append(record) }
        let changes = records.indices.filter { records[$0].stream == FeedRecorder.controlStream }
        #expect(changes.count == 2)
        let expected: [(String, Subscription)] = [
            ("POST", Subscription(venue: .okx, entries: [.init(channel: .book, instruments: ["BTC-USDT-SWAP"]), .init(channel: .trades, instruments: ["BTC-USDT-SWAP"])])),
            ("DELETE", Subscription(venue: .okx, entries: [.init(channel: .trades, instruments: ["BTC-USDT"])])),
        ]
        for (k, index) in changes.enumerated() where k < expected.count {
            let r = records[index]
            #expect(r.kind == .restRequest && r.url == FeedRecorder.subscriptionChangeURL && r.method == expected[k].0)
            #expect(Subscription.fromJSON(String(decoding: r.payload, as: UTF8.self)) == expected[k].1)
            let next = records[(index + 1)...].first { $0.kind == .wsSent }
            #expect(next?.wallNs == r.wallNs, "the change and the frame it caused share the stack's instant")
            let op = expected[k].0 == "POST" ? "\"op\":\"subscribe\"" : "\"op\":\"unsubscribe\""
            #expect(next.map { String(decoding: $0.payload, as: UTF8.self).contains(op) } == true)
        }

        // What a replayer needs: the header's subscription with the recorded changes applied, at their
        // instants, is the subscription the live stack ended with.
        let start = try #require(Subscription.fromJSON(reader.header.subscription))
        var stack = CollectorStack(configuration: StackConfiguration(subscription: start, catalog: InstrumentCatalog(venue: .okx)))
        for index in changes {
            let r = records[index]
            let delta = try #require(Subscription.fromJSON(String(decoding: r.payload, as: UTF8.self)))
            let change = stack.changeSubscription(
                adding: r.method == "POST" ? delta.entries : [], removing: r.method == "DELETE" ? delta.entries : [],
                at: Instant(nanoseconds: r.wallNs))
            #expect(!change.isEmpty)
        }
        var replayedSubscriptions: [String: [String]] = [:]
        for e in stack.subscription.entries { replayedSubscriptions["\(e.channel)", default: []] += e.instruments }
        #expect(replayedSubscriptions.mapValues { $0.sorted() } == liveSubscriptions)
        #expect(liveSubscriptions == ["book": ["BTC-USDT", "BTC-USDT-SWAP"], "trades": ["BTC-USDT-SWAP"]])

        // The replay of the recording: the live run again, line for line (receive times aside).
        let out = directory.appendingPathComponent("replayed.ndjson").path
        let result = try TestEnvironment.marketprism("replay", recording, "--output", out)
        #expect(result.status == 0 || result.status == 1, "\(result.stderrText)")
        let replayed = try CanonicalLines.read(out).map(CanonicalLines.withoutReceiveTimes)
        let live = lines.lines.map(CanonicalLines.withoutReceiveTimes)
        #expect(live.contains { CanonicalLines.subject($0) == swapBook })
        let difference = firstDifference(replayed, live)
        #expect(difference == nil, "\(difference ?? "")")
    }
}
