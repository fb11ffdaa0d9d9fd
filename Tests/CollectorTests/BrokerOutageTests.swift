import CollectorControl
import Exchanges
import Foundation
import NATSTransport
import Publishing
import Recording
import Testing
import TestSupport

@testable import Collector

/// The broker as the stack sees it: a real nats-server killed and restarted under a running
/// collector turns /health degraded with the reason and opens the stack's broker breaker, both
/// recover, and the stream holds every published message exactly once, in order.
@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server"))
struct BrokerOutageTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    @Test func brokerKilledAndRestartedUnderARunningCollector() throws {
        let server = try NATSServer()
        defer { server.stop() }
        // 120 s of recording at 8x: about 15 s of frames, long enough for an outage in the middle.
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 8)
        defer { peer.stop() }
        let subscription = try #require(Subscription.fromJSON(try RecordingReader(path: Self.okx).header.subscription))
        let connection = NATSConnectionOptions(
            urls: [server.url], reconnectWait: .milliseconds(50), maxReconnectWait: .milliseconds(400), connectTimeout: .seconds(1))
        let configuration = CollectorConfiguration(
            venues: [VenueFeedConfiguration(subscription: subscription, websocketOrigin: peer.websocketOrigin, proxy: "direct")],
            nats: NATSSettings(connection: connection, stream: StreamConfiguration(name: "MARKET_DATA")),
            publisher: PublisherSettings(sink: .nats))
        let lines = LineCollector()
        let collector = try LiveCollector(
            configuration: configuration, options: LiveCollectorOptions(output: lines.append, environment: [:], commandSubject: nil))
        collector.start()
        defer { collector.stop() }
        #expect(waitUntil(seconds: 30) { collector.status().publisher.acked >= 50 })
        #expect(!collector.health().reasons.contains { $0.problem == "broker_down" })

        server.kill()
        // Down: /health names the broker and why, the stack's broker breaker opens on the failed reconnects.
        #expect(waitUntil(seconds: 20) {
            let status = collector.status()
            return collector.health().reasons.contains { $0.problem == "broker_down" }
                && status.venues[0].breakers.contains(BreakerStatus(target: "broker", state: "open"))
        })
        let down = collector.health()
        let brokerReason = try #require(down.reasons.first { $0.problem == "broker_down" })
        #expect(!down.healthy)
        #expect(brokerReason.detail.hasPrefix("nats: "), "\(brokerReason.detail)")
        #expect(brokerReason.detail.contains("buffered"), "\(brokerReason.detail)")
        #expect(down.reasons.contains { $0.problem == "breaker_open" && $0.stream == "broker" && $0.exchange == "okx" })
        let downStatus = collector.status().publisher
        #expect(downStatus.brokerConnected == false)
        #expect(downStatus.brokerLastError != nil)
        #expect(downStatus.brokerDownSeconds != nil)
        #expect(downStatus.brokerConnectionsLost == 1)
        #expect(downStatus.brokerConnectFailures >= 2)
        // Frames keep flowing during the outage; the publisher holds what they produce.
        let publishedAtKill = downStatus.published
        #expect(waitUntil(seconds: 10) { collector.status().publisher.published > publishedAtKill + 300 })

        try server.start()
        // Up again: no broker reason, and the breaker closes once it has probed the broker (its open timeout is 5 s).
        #expect(waitUntil(seconds: 30) {
            let health = collector.health()
            return health.reasons.allSatisfy { $0.stream != "broker" }
                && collector.status().venues[0].breakers.contains(BreakerStatus(target: "broker", state: "closed"))
        })
        #expect(collector.status().publisher.brokerDownSeconds == nil)
        // The stack's own event log saw the breaker open, probe and close.
        let transitions = lines.lines.filter { $0.contains("\"breaker broker ") }
        #expect(transitions.contains { $0.contains("closed->open") }, "\(transitions)")
        #expect(transitions.contains { $0.contains("half_open->closed") }, "\(transitions)")

        #expect(waitUntil(seconds: 60) { collector.frameTotals.frames >= peer.frames.count })
        usleep(300_000)
        let summary = collector.stop()
        #expect(summary.drained)
        #expect(summary.publisher.lost == 0)

        let storedLines = try streamLines(server.url)
        let published = lines.lines.filter(CanonicalLines.isMessage)
        #expect(published.count > publishedAtKill)
        #expect(Set(storedLines.map(CanonicalLines.id)).count == storedLines.count, "every id once")
        #expect(storedLines.count == published.count)
        #expect(firstDifference(storedLines, published) == nil)
    }

    /// The poll's arithmetic: differences become failures (capped), acks and a link that came up a success.
    @Test func linkWatchTurnsDifferencesIntoOutcomes() {
        var watch = BrokerLinkWatch()
        var h = ConnectionHealth()
        h.connected = true
        h.acked = 10
        var out = watch.observe(h, monotonicNs: 0)
        #expect(out == BrokerLinkWatch.Outcomes(failures: [], success: true, connected: true))
        out = watch.observe(h, monotonicNs: 500_000_000)
        #expect(out.isEmpty, "nothing new and less than a second since the last success")
        h.connected = false
        h.connectionsLost = 1
        h.lastError = "connection lost: EOF"
        out = watch.observe(h, monotonicNs: 600_000_000)
        #expect(out == BrokerLinkWatch.Outcomes(failures: ["connection lost: EOF"], success: false, connected: false))
        h.connectAttemptsFailed = 30
        h.lost = 5
        out = watch.observe(h, monotonicNs: 700_000_000)
        #expect(out.failures.count == BrokerLinkWatch.maxFailuresPerPoll)
        h = ConnectionHealth()
        h.connected = true
        h.connectionsLost = 1
        h.connectAttemptsFailed = 30
        h.lost = 5
        h.acked = 10
        out = watch.observe(h, monotonicNs: 800_000_000)
        #expect(out == BrokerLinkWatch.Outcomes(failures: [], success: true, connected: true), "the link came back")
        out = watch.observe(h, monotonicNs: 1_900_000_000)
        #expect(out.success, "an idle link that stays up still counts once a second")
    }
}
