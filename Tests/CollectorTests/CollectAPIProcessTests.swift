import Foundation
import Live
import LoopbackPeers
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `marketprism collect` with its HTTP API, as a real process against a recorded venue on loopback:
/// what the API says matches what the collector published.
@Suite(.serialized)
struct CollectAPIProcessTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path

    func get(_ client: CurlRestClient, _ url: String) throws -> (Int, String) {
        let response = try client.get(url, timeoutMilliseconds: 5_000)
        return (response.status, String(decoding: response.body, as: UTF8.self))
    }

    /// The top `depth` levels of a side as (price, quantity) numbers.
    func levels(_ object: Any?, depth: Int) -> [[Double]] {
        ((object as? [[String: Any]]) ?? []).prefix(depth).map { level in
            [(level["price"] as? NSNumber)?.doubleValue ?? .nan, (level["quantity"] as? NSNumber)?.doubleValue ?? .nan]
        }
    }

    @Test func apiReportsWhatTheCollectorPublished() throws {
        let peer = try RecordedExchangePeer(recording: Self.okx, speed: 20)
        defer { peer.stop() }
        let directory = try TestEnvironment.temporaryDirectory("collector-api")
        let ndjson = directory.appendingPathComponent("published.ndjson").path
        let port = try LoopbackListener.freePort()
        let config = """
            venues:
              - exchange: okx
                channels: [book, trades, ticker]
                symbols: [BTC-USDT, BTC-USDT-SWAP]
                websocket_url: \(peer.websocketOrigin)
                proxy: direct
            publisher:
              sink: ndjson
              ndjson_path: \(ndjson)
            api:
              port: \(port)
            """
        let path = directory.appendingPathComponent("collector.yaml").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let collector = try BackgroundMarketPrism(["collect", "--config", path, "--log-level", "warning"], directory: directory)
        let client = try CurlRestClient()
        let base = "http://127.0.0.1:\(port)"
        // Everything the venue sends has arrived (the status says so), and the API is up.
        #expect(waitUntil(seconds: 90) {
            guard let answer = try? get(client, "\(base)/status"), answer.0 == 200 else { return false }
            return answer.1.contains("\"framesReceived\":\(peer.frames.count)")
        }, "\(collector.stderr)")
        let (healthStatus, health) = try get(client, "\(base)/health")
        #expect(healthStatus == 200, "\(health)")
        // Counters reach /metrics once a second.
        #expect(waitUntil(seconds: 10) {
            guard let answer = try? get(client, "\(base)/metrics") else { return false }
            return answer.1.contains("marketprism_frames_total{exchange=\"okx\"} \(peer.frames.count)")
        })
        let (_, metrics) = try get(client, "\(base)/metrics")
        #expect(metrics.contains("marketprism_messages_total{"))
        #expect(metrics.contains("marketprism_publish_latency_seconds_bucket{"))
        #expect(metrics.contains("marketprism_connected{exchange=\"okx\"} 1"))

        // The book the API serves is the last one published, top levels alike.
        let (bookStatus, bookBody) = try get(client, "\(base)/api/v1/orderbook/okx/BTC-USDT?depth=5")
        #expect(bookStatus == 200, "\(bookBody)")
        let book = try #require(try JSONSerialization.jsonObject(with: Data(bookBody.utf8)) as? [String: Any])
        collector.signal(SIGTERM)
        #expect(collector.waitForExit() == 0, "\(collector.stderr)")
        let published = try CanonicalLines.read(ndjson).filter { CanonicalLines.subject($0) == "market.okx.BTC-USDT.orderbook" }
        let last = try #require(published.last)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any])
        let data = try #require(message["data"] as? [String: Any])
        #expect(levels(book["bids"], depth: 5) == levels(data["bids"], depth: 5))
        #expect(levels(book["asks"], depth: 5) == levels(data["asks"], depth: 5))
        #expect(levels(book["bids"], depth: 5).count == 5)
        #expect((book["sequence"] as? NSNumber)?.int64Value == (data["last_update_id"] as? NSNumber)?.int64Value)
        // Its times are the last published book's: the exchange's and the local receive time.
        #expect(book["timestamp"] as? String == data["timestamp"] as? String)
        #expect(book["collectedAt"] as? String == data["collected_at"] as? String)
        let timestampNs = try #require(integerField("timestampNs", in: bookBody))
        #expect(timestampNs == integerField("timestamp_ns", in: last))
        #expect(integerField("collectedAtNs", in: bookBody) == integerField("collected_at_ns", in: last))
        #expect(timestampNs > 1_700_000_000_000_000_000, "a real exchange time, not null or zero")
    }

    /// The digits of `"key":123` in JSON text (integers this large must not go through a Double).
    func integerField(_ key: String, in text: String) -> Int64? {
        guard let range = text.range(of: "\"\(key)\":") else { return nil }
        return Int64(text[range.upperBound...].prefix { $0.isNumber || $0 == "-" })
    }
}
