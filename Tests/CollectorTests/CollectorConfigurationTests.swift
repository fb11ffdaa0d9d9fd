import ConfigSupport
import Exchanges
import Foundation
import Model
import Testing
import TestSupport

@testable import Collector

struct CollectorConfigurationTests {
    let minimal = """
        venues:
          - exchange: okx
            channels: [book, trades]
            symbols: [BTC-USDT]
        """

    func parse(_ text: String, env: [String: String] = [:]) throws(ConfigError) -> CollectorConfiguration {
        try CollectorConfigurationLoader.parse(text, file: "test.yaml", environment: env)
    }

    func error(_ text: String, env: [String: String] = [:]) -> ConfigError? {
        do {
            _ = try parse(text, env: env)
            return nil
        } catch {
            return error
        }
    }

    @Test func shippedConfigsLoad() throws {
        for name in ["collector.example.yaml", "loopback.yaml"] {
            let path = TestEnvironment.packageRoot.appendingPathComponent("config/\(name)").path
            let config = try CollectorConfigurationLoader.load(path: path, environment: [:])
            #expect(!config.venues.isEmpty, "\(name)")
        }
        let loopback = try CollectorConfigurationLoader.load(
            path: TestEnvironment.packageRoot.appendingPathComponent("config/loopback.yaml").path, environment: [:])
        #expect(loopback.venues.map(\.venue) == [.binance, .okx])
        #expect(loopback.venues[0].websocketOrigin == "ws://127.0.0.1:9443/binance")
        #expect(loopback.api.host == "127.0.0.1")
    }

    @Test func minimalConfigHasSafeDefaults() throws {
        let config = try parse(minimal)
        #expect(config.venues[0].subscription == Subscription(venue: .okx, channels: [.book, .trades], instruments: ["BTC-USDT"]))
        #expect(config.api.host == "127.0.0.1")
        #expect(config.api.port == nil)
        #expect(config.publisher.sink == .inProcess)
        #expect(config.recording == nil)
        #expect(config.nats == nil)
    }

    @Test func errorsNameFileLineAndKey() {
        let unknown = error(minimal + "\n    colour: blue\n")
        #expect(unknown?.file == "test.yaml")
        #expect(unknown?.line == 5)
        #expect(unknown?.path == "venues[0].colour")

        let exchange = error("venues:\n  - exchange: kraken\n    channels: [book]\n    symbols: [X]\n")
        #expect(exchange?.line == 2)
        #expect(exchange?.path == "venues[0].exchange")
        #expect(exchange?.description.contains("test.yaml:2") == true)

        let channel = error("venues:\n  - exchange: okx\n    channels: [book, candles]\n    symbols: [X]\n")
        #expect(channel?.path == "venues[0].channels[1]")
        #expect(channel?.line == 3)

        let port = error(minimal + "\napi:\n  port: 70000\n")
        #expect(port?.path == "api.port")
        #expect(port?.line == 6)

        let ws = error("venues:\n  - exchange: okx\n    channels: [book]\n    symbols: [X]\n    websocket_url: http://x\n")
        #expect(ws?.path == "venues[0].websocket_url")

        let missing = error("api:\n  port: 1\n")
        #expect(missing?.path == "venues")
        #expect(missing.map { "\($0)" }?.contains("missing required key") == true)

        let nats = error(minimal + "\npublisher:\n  sink: nats\n")
        #expect(nats?.path == "publisher.sink")
    }

    @Test func reliabilityErrorsPointAtTheirLine() {
        let text = minimal + "\nreliability:\n  okx:\n    stale_feed:\n      stale_after_ms: 0\n"
        let e = error(text)
        #expect(e?.path == "reliability.okx.stale_feed.stale_after_ms")
        #expect(e?.line == 8)
    }

    @Test func reliabilityOverridesReachTheVenue() throws {
        let config = try parse(minimal + "\nreliability:\n  okx:\n    stale_feed: {stale_after_ms: 1234}\n")
        #expect(config.reliability[.okx].staleAfter == .milliseconds(1234))
    }

    @Test func environmentOverridesTheFile() throws {
        let text = minimal + "\napi:\n  port: 8080\n    \n"
        let config = try parse(text, env: [
            "MARKETPRISM_NATS_URL": "nats://127.0.0.1:4222,nats://127.0.0.1:4223", "MARKETPRISM_API_PORT": "9090",
            "MARKETPRISM_API_TOKEN": "t0k", "MARKETPRISM_OKX_PROXY": "socks5h://127.0.0.1:1080",
        ])
        #expect(config.nats?.connection.urls == ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"])
        #expect(config.publisher.sink == .nats)
        #expect(config.api.port == 9090)
        #expect(config.api.bearerToken == "t0k")
        #expect(config.venues[0].proxy == "socks5h://127.0.0.1:1080")

        let bad = error(minimal, env: ["MARKETPRISM_API_PORT": "eighty"])
        #expect(bad?.file == "environment")
        #expect(bad?.path == "MARKETPRISM_API_PORT")
    }

    @Test func originOverrideKeepsTheVenuePath() {
        #expect(replacingOrigin(of: "wss://stream.binance.com:9443/stream?streams=btcusdt@aggTrade", with: "ws://127.0.0.1:9443/binance")
            == "ws://127.0.0.1:9443/binance/stream?streams=btcusdt@aggTrade")
        #expect(replacingOrigin(of: "https://api.binance.com/api/v3/depth?symbol=BTCUSDT&limit=1000", with: "http://127.0.0.1:1")
            == "http://127.0.0.1:1/api/v3/depth?symbol=BTCUSDT&limit=1000")
        #expect(replacingOrigin(of: "https://x/y", with: nil) == "https://x/y")
    }
}

struct LatencyHistogramTests {
    @Test func percentilesAreWithinOneSixteenth() {
        var h = LatencyHistogram()
        for v in 1...10_000 { h.record(Int64(v) * 1_000) }
        #expect(h.count == 10_000)
        let p50 = Double(h.percentile(0.5)), p99 = Double(h.percentile(0.99))
        #expect(abs(p50 - 5_000_000) / 5_000_000 <= 1.0 / 16)
        #expect(abs(p99 - 9_900_000) / 9_900_000 <= 1.0 / 16)
        #expect(h.percentile(1) == 10_000_000)
        #expect(LatencyHistogram().percentile(0.99) == 0)
    }

    @Test func bucketsAreMonotonic() {
        var previous = -1
        for v in stride(from: Int64(0), to: 1 << 32, by: 997_331) {
            let b = LatencyHistogram.bucket(v)
            #expect(b >= previous)
            #expect(LatencyHistogram.upperBound(b) >= v)
            previous = b
        }
    }
}
