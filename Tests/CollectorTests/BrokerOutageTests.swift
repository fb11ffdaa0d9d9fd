import CollectorControl
import Exchanges
import Foundation
import Live
import LoopbackPeers
import NATSTransport
import Publishing
import Recording
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

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
        // The breaker opened on three failures: the lost connection, failed reconnects, publishes that failed.
        #expect(downStatus.brokerConnectFailures >= 1)
        #expect(downStatus.brokerConnectionsLost + downStatus.brokerConnectFailures + downStatus.publishFailures >= 3)
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

    /// The same as a `collect` process against a broker that wants TLS (the self-signed test
    /// certificate as `nats.tls.ca_file`) and a token (from `MARKETPRISM_NATS_TOKEN`): /health turns
    /// 503 with `broker_down` and the reason, /metrics shows the broker breaker open and the broker
    /// disconnected, both recover after the restart, and the stream holds every published message once.
    @Test func collectProcessThroughATLSTokenBrokerKilledAndRestarted() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try NATSServer(configuration: """
            authorization { token: "t0ken-7" }
            tls {
              cert_file: "\(certificate.certificateFile)"
              key_file: "\(certificate.keyFile)"
            }
            """)
        defer { server.stop() }
        // 120 s of recording at 5x: about 24 s of frames.
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 5)
        defer { peer.stop() }
        let directory = try TestEnvironment.temporaryDirectory("collector-broker-outage")
        let apiPort = try LoopbackListener.freePort()
        let configPath = directory.appendingPathComponent("collector.yaml").path
        try """
            venues:
              - exchange: okx
                channels: [book, trades]
                symbols: [BTC-USDT, BTC-USDT-SWAP]
                websocket_url: \(peer.websocketOrigin)
                proxy: direct
            nats:
              urls: [tls://localhost:\(server.port)]
              tls:
                ca_file: \(certificate.certificateFile)
            api:
              port: \(apiPort)
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let canonical = directory.appendingPathComponent("canonical.ndjson").path
        var environment = ProcessInfo.processInfo.environment
        environment["MARKETPRISM_NATS_TOKEN"] = "t0ken-7"
        let collect = try BackgroundMarketPrism(
            ["collect", "--config", configPath, "--canonical-output", canonical, "--log-level", "warning"], directory: directory,
            environment: environment)
        defer { _ = collect.waitForExit(seconds: 1) }
        let client = try CurlRestClient(options: .init(proxyPolicy: ProxyPolicy()))
        func get(_ path: String) -> (status: Int, text: String)? {
            guard let r = try? client.get("http://127.0.0.1:\(apiPort)\(path)", timeoutMilliseconds: 2_000) else { return nil }
            return (r.status, String(decoding: r.body, as: UTF8.self))
        }
        let breakerOpen = #"marketprism_breaker_state{exchange="okx",target="broker"} 2"#
        let breakerClosed = #"marketprism_breaker_state{exchange="okx",target="broker"} 0"#
        #expect(waitUntil(seconds: 30) { get("/health")?.status == 200 && get("/metrics")?.text.contains("marketprism_broker_connected 1") == true },
                "\(collect.stderr)")

        server.kill()
        var degraded = ""
        #expect(waitUntil(seconds: 20) {
            guard let health = get("/health"), health.status == 503, health.text.contains("broker_down") else { return false }
            degraded = health.text
            return get("/metrics")?.text.contains(breakerOpen) == true
        }, "\(get("/health")?.text ?? "") \(collect.stderr)")
        #expect(degraded.contains(#""detail":"nats: "#), "\(degraded)")
        #expect(get("/metrics")?.text.contains("marketprism_broker_connected 0") == true)
        #expect(get("/status")?.text.contains(#""brokerConnected":false"#) == true)

        try server.start()
        #expect(waitUntil(seconds: 30) {
            get("/health")?.status == 200 && get("/metrics")?.text.contains(breakerClosed) == true
        }, "\(get("/health")?.text ?? "") \(collect.stderr)")
        #expect(waitUntil(seconds: 60) { get("/status")?.text.contains(#""framesReceived":\#(peer.frames.count)"#) == true })
        usleep(300_000)
        collect.signal(SIGTERM)
        #expect(collect.waitForExit() == 0, "\(collect.stderr)")

        let connection = NATSConnectionOptions(
            urls: ["tls://localhost:\(server.port)"], token: "t0ken-7", tls: NATSTransport.TLSOptions(caFile: certificate.certificateFile))
        let stored = try streamLines(connection)
        let published = try CanonicalLines.read(canonical).filter(CanonicalLines.isMessage)
        #expect(published.count > 1_000)
        #expect(Set(stored.map(CanonicalLines.id)).count == stored.count, "every id once")
        #expect(firstDifference(stored, published) == nil)
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
