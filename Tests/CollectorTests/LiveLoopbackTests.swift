import CollectorControl
import Exchanges
import Foundation
import LoopbackPeers
import Recording
import Testing
import TestSupport

@testable import Collector

/// The live collector on real loopback sockets against a recorded venue, compared with the
/// deterministic replay: of the original recording (what the venue sent), and of the recording the
/// collector made while it ran (which must reproduce the live run).
@Suite(.serialized)
struct LiveLoopbackTests {
    struct LiveRun {
        var lines: [String]
        var recordings: [String]
        var framesSent: Int
        var framesReceived: Int
        var status: CollectorStatus
        var health: HealthReport
    }

    /// Runs the collector against `recording` played at `speed`, recording into a temporary directory.
    func runLive(_ recording: String, speed: Double = 20, certificate: TestCertificate? = nil) throws -> LiveRun {
        let path = TestEnvironment.packageRoot.appendingPathComponent("recordings/\(recording)").path
        let peer = try RecordedExchangePeer(recording: path, speed: speed, tls: try certificate?.tlsContext())
        defer { peer.stop() }
        let header = try RecordingReader(path: path).header
        let subscription = try #require(Subscription.fromJSON(header.subscription))
        let directory = try TestEnvironment.temporaryDirectory("collector-live")
        let lines = LineCollector()
        let configuration = CollectorConfiguration(venues: [
            VenueFeedConfiguration(
                subscription: subscription, websocketOrigin: peer.websocketOrigin, restOrigin: peer.restOrigin, proxy: "direct",
                caFile: certificate?.certificateFile)
        ])
        let collector = try LiveCollector(
            configuration: configuration,
            options: LiveCollectorOptions(
                output: lines.append, environment: [:], sink: InProcessLiveSink(), recordDirectory: directory.path,
                commandSubject: nil))
        collector.start()
        let all = waitUntil(seconds: 120) { collector.frameTotals.frames >= peer.frames.count }
        // Let the last frames' effects (REST answers, publishes) settle.
        usleep(300_000)
        let status = collector.status()
        let health = collector.health()
        let summary = collector.stop()
        #expect(all, "the collector received \(collector.frameTotals.frames) of \(peer.frames.count) frames")
        #expect(summary.drained)
        return LiveRun(lines: lines.lines, recordings: summary.recordings, framesSent: peer.sent,
                       framesReceived: collector.frameTotals.frames, status: status, health: health)
    }

    func replay(_ recording: String) throws -> [String] {
        let out = try TestEnvironment.temporaryDirectory("collector-replay").appendingPathComponent("out.ndjson").path
        let result = try TestEnvironment.marketprism("replay", recording, "--output", out)
        #expect(result.status == 0 || result.status == 1, "replay failed: \(result.stderrText)")
        return try CanonicalLines.read(out)
    }

    @Test func okxLiveRunEqualsReplayOfTheVenueAndOfItsOwnRecording() throws {
        let live = try runLive("okx.mprec")
        #expect(live.framesReceived == live.framesSent)
        let original = try replay(TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path)
        // Books and trades published live are exactly those of the deterministic replay of the venue's recording.
        for kind in ["trade", "orderbook", "ticker"] {
            let liveKind = CanonicalLines.messages(live.lines, kind: kind)
            #expect(!liveKind.isEmpty)
            let difference = firstDifference(liveKind, CanonicalLines.messages(original, kind: kind))
            #expect(difference == nil, "\(kind): \(difference ?? "")")
        }
        // The collector's own recording replays to the live run's canonical output, line for line.
        let recording = try #require(live.recordings.first)
        let replayed = try replay(recording).map(CanonicalLines.withoutReceiveTimes)
        let difference = firstDifference(replayed, live.lines.map(CanonicalLines.withoutReceiveTimes))
        #expect(difference == nil, "\(difference ?? "")")
        // While it ran the books were valid and the feed connected.
        let venue = try #require(live.status.venues.first)
        #expect(venue.books.allSatisfy { $0.state == "valid" })
        #expect(venue.framesReceived == live.framesSent)
        #expect(live.status.latency.count > 0)
    }

    @Test func binanceLiveRunMatchesReplayAfterTheSnapshot() throws {
        let live = try runLive("binance-spot.mprec")
        #expect(live.framesReceived == live.framesSent)
        let original = try replay(TestEnvironment.packageRoot.appendingPathComponent("recordings/binance-spot.mprec").path)
        // Trades and tickers do not depend on when the REST snapshot arrived: equal (bookTicker has no
        // event time, so its timestamp is the receive time and is left out).
        for kind in ["trade", "ticker"] {
            let liveKind = CanonicalLines.messages(live.lines, kind: kind).map(CanonicalLines.withoutTimestamps)
            #expect(!liveKind.isEmpty)
            let difference = firstDifference(liveKind, CanonicalLines.messages(original, kind: kind).map(CanonicalLines.withoutTimestamps))
            #expect(difference == nil, "\(kind): \(difference ?? "")")
        }
        // Books: per symbol, once both runs have a book from the snapshot, every later book is the same.
        let recording = try #require(live.recordings.first)
        let own = try replay(recording)
        for symbol in ["BTC-USDT", "ETH-USDT"] {
            let books = { (lines: [String]) in
                // A book made from the REST snapshot carries its receive time as timestamp: left out.
                CanonicalLines.messages(lines, kind: "orderbook").filter { CanonicalLines.subject($0) == "market.binance.\(symbol).orderbook" }
                    .map(CanonicalLines.withoutTimestamps)
            }
            let liveBooks = books(live.lines)
            for other in [books(original), books(own)] {
                let ids = Set(other.map(CanonicalLines.id))
                let firstCommon = try #require(liveBooks.firstIndex { ids.contains(CanonicalLines.id($0)) })
                let tail = Array(liveBooks[firstCommon...])
                let otherTail = Array(other.drop { CanonicalLines.id($0) != CanonicalLines.id(tail[0]) })
                #expect(tail.count > liveBooks.count - 20, "\(symbol): live books only match from \(firstCommon) on")
                let difference = firstDifference(tail, otherTail)
                #expect(difference == nil, "\(symbol): \(difference ?? "")")
            }
        }
    }

    @Test func tlsWithATestCertificateTrustedThroughTheConfig() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let live = try runLive("binance-spot.mprec", speed: 40, certificate: certificate)
        #expect(live.framesReceived == live.framesSent)
        let original = try replay(TestEnvironment.packageRoot.appendingPathComponent("recordings/binance-spot.mprec").path)
        let trades = CanonicalLines.messages(live.lines, kind: "trade")
        #expect(!trades.isEmpty)
        #expect(firstDifference(trades, CanonicalLines.messages(original, kind: "trade")) == nil)
        // The depth snapshot came over https too: both books synced.
        #expect(live.status.venues.first?.books.map(\.state) == ["valid", "valid"])
    }

    @Test func healthGoesBadOnAResetAndRecoversAfterTheReconnect() throws {
        let path = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path
        let peer = try RecordedExchangePeer(recording: path, speed: 10, resetAfter: 1_000)
        defer { peer.stop() }
        let subscription = try #require(Subscription.fromJSON(try RecordingReader(path: path).header.subscription))
        let collector = try LiveCollector(
            configuration: CollectorConfiguration(venues: [
                VenueFeedConfiguration(subscription: subscription, websocketOrigin: peer.websocketOrigin, proxy: "direct")
            ]),
            options: LiveCollectorOptions(environment: [:], sink: InProcessLiveSink(keeps: false), commandSubject: nil))
        collector.start()
        defer { collector.stop() }
        #expect(waitUntil(seconds: 30) { collector.health().healthy })
        // The reset: the feed is disconnected and its books are invalid until the reconnect resyncs them.
        var problems = Set<String>()
        #expect(waitUntil(seconds: 30) {
            let report = collector.health()
            problems.formUnion(report.reasons.map(\.problem))
            return !report.healthy
        })
        #expect(problems.isSubset(of: ["disconnected", "book_invalid"]) && !problems.isEmpty, "\(problems)")
        #expect(waitUntil(seconds: 30) { collector.health().healthy && collector.status().venues[0].reconnects == 1 })
        let venue = collector.status().venues[0]
        #expect(venue.connected)
        #expect(venue.books.allSatisfy { $0.state == "valid" })
        // Both books synced again after the reconnect reset them.
        #expect(venue.resyncs >= 2)
        #expect(venue.books.allSatisfy { $0.resyncs >= 1 })
    }
}

