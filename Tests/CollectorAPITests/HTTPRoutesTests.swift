import CollectorAPI
import CollectorControl
import Foundation
import Testing

let sampleBook = OrderBookView(
    exchange: "binance", symbol: "BTC-USDT", sequence: 4_242_001, exchangeTimeNs: 1_700_000_000_123_456_000,
    receiveTimeNs: 1_700_000_000_125_001_000,
    bids: [
        PriceLevelView(price: "91234.50", quantity: "0.35130000"),
        PriceLevelView(price: "91234.10", quantity: "1.2"),
        PriceLevelView(price: "91230", quantity: "1e-05"),
    ],
    asks: [
        PriceLevelView(price: "91234.60", quantity: "0.00100000"),
        PriceLevelView(price: "91235.00", quantity: "3"),
        PriceLevelView(price: "91240.25", quantity: "10.5"),
    ])

@Suite("CollectorAPI HTTP routes against a real server on loopback")
struct HTTPRoutesTests {
    @Test("/health is 200 while healthy and 503 with the reasons once degraded")
    func health() async throws {
        let collector = InMemoryCollector()
        try await withAPIServer(collector) { api in
            let ok = try await api.get("/health")
            #expect(ok.status == 200)
            #expect(try ok.decode(HealthReport.self) == HealthReport(reasons: []))

            let reasons = [
                HealthReason(exchange: "binance", stream: "BTC-USDT", problem: "book_invalid", detail: "gap 101..103"),
                HealthReason(exchange: "okx", stream: "ws-1", problem: "stale_feed", detail: "no frame for 31 s"),
                HealthReason(exchange: "nats", stream: "broker", problem: "broker_down"),
            ]
            collector.degrade(reasons)
            let degraded = try await api.get("/health")
            #expect(degraded.status == 503)
            #expect(degraded.header("Content-Type")?.hasPrefix("application/json") == true)
            let report = try degraded.decode(HealthReport.self)
            #expect(report.healthy == false)
            #expect(report.reasons == reasons)

            collector.degrade([])
            #expect(try await api.get("/health").status == 200)
        }
    }

    @Test("/status decodes back to the collector's status")
    func status() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        _ = collector.subscribe(SubscriptionRequest(exchange: "okx", symbols: ["ETH-USDT"], channels: ["trade"]))
        try await withAPIServer(collector) { api in
            let reply = try await api.get("/status")
            #expect(reply.status == 200)
            let decoded = try reply.decode(CollectorStatus.self)
            #expect(decoded == collector.status())
            #expect(decoded.venues.first { $0.exchange == "binance" }?.books.first?.symbol == "BTC-USDT")
            #expect(decoded.venues.first { $0.exchange == "okx" }?.subscriptions == ["trade": ["ETH-USDT"]])
            #expect(reply.text.contains(#""connectionURL":"wss://127.0.0.1/binance""#))
            // Sorted keys: the same state gives the same bytes.
            #expect(try await api.get("/status").body == reply.body)
        }
    }

    @Test("GET /api/v1/orderbook returns the exact levels, as JSON numbers with the exchange's text")
    func orderBook() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        try await withAPIServer(collector) { api in
            let reply = try await api.get("/api/v1/orderbook/binance/BTC-USDT?depth=2")
            #expect(reply.status == 200)
            #expect(
                reply.text
                    == #"{"exchange":"binance","symbol":"BTC-USDT","sequence":4242001,"timestamp":"2023-11-14T22:13:20.123456+00:00","timestampNs":1700000000123456000,"#
                    + #""collectedAt":"2023-11-14T22:13:20.125001+00:00","collectedAtNs":1700000000125001000,"#
                    + #""bids":[{"price":91234.50,"quantity":0.35130000},{"price":91234.10,"quantity":1.2}],"#
                    + #""asks":[{"price":91234.60,"quantity":0.00100000},{"price":91235.00,"quantity":3}]}"#)
            let object = try reply.json()
            #expect((object["bids"] as? [Any])?.count == 2)

            // No depth: the default (20) covers all three levels, and 1e-05 stays as sent.
            let full = try await api.get("/api/v1/orderbook/binance/BTC-USDT")
            #expect(full.status == 200)
            #expect(full.text.contains(#"{"price":91230,"quantity":1e-05}],"asks""#))
            #expect(full.text.hasSuffix(#"{"price":91240.25,"quantity":10.5}]}"#))
        }
    }

    @Test("depth outside 1...max is a 400 naming the problem; an unknown book is a 404", arguments: ["0", "-3", "abc", "1001", "2.5", ""])
    func badDepth(depth: String) async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        try await withAPIServer(collector) { api in
            let reply = try await api.get("/api/v1/orderbook/binance/BTC-USDT?depth=\(depth)")
            #expect(reply.status == 400)
            let object = try reply.json()
            #expect(object["error"] as? String == "invalid_depth")
            #expect((object["message"] as? String)?.contains("from 1 to 1000") == true)

            let unknown = try await api.get("/api/v1/orderbook/binance/DOGE-USDT")
            #expect(unknown.status == 404)
            #expect(try unknown.json()["error"] as? String == "unknown_book")
            #expect(try await api.get("/api/v1/orderbook/kraken/BTC-USDT").status == 404)
        }
    }

    @Test("subscriptions: POST adds, DELETE removes, each answered with the collector's result")
    func subscriptions() async throws {
        let collector = InMemoryCollector()
        try await withAPIServer(collector) { api in
            let added = try await api.send("POST", "/api/v1/subscriptions", json: #"{"exchange":"binance","symbols":["ETHUSDT","SOLUSDT"],"channels":["trade"]}"#)
            #expect(added.status == 200)
            #expect(try added.decode(SubscriptionResult.self) == SubscriptionResult(ok: true, exchange: "binance", changed: ["trade:ETHUSDT", "trade:SOLUSDT"]))
            let status = try await api.get("/status").decode(CollectorStatus.self)
            #expect(status.venues.first { $0.exchange == "binance" }?.subscriptions == ["trade": ["ETHUSDT", "SOLUSDT"]])

            let again = try await api.send("POST", "/api/v1/subscriptions", json: #"{"exchange":"binance","symbols":["ETHUSDT"],"channels":["trade"]}"#)
            #expect(try again.decode(SubscriptionResult.self).changed == [])

            let removed = try await api.send("DELETE", "/api/v1/subscriptions", json: #"{"exchange":"binance","symbols":["ETHUSDT"],"channels":["trade"]}"#)
            #expect(removed.status == 200)
            #expect(try removed.decode(SubscriptionResult.self) == SubscriptionResult(ok: true, exchange: "binance", changed: ["trade:ETHUSDT"]))
            let after = try await api.get("/status").decode(CollectorStatus.self)
            #expect(after.venues.first { $0.exchange == "binance" }?.subscriptions == ["trade": ["SOLUSDT"]])

            let refused = try await api.send("POST", "/api/v1/subscriptions", json: #"{"exchange":"kraken","symbols":["XBTUSD"]}"#)
            #expect(refused.status == 400)
            #expect(try refused.decode(SubscriptionResult.self) == SubscriptionResult(ok: false, exchange: "kraken", changed: [], error: "unknown exchange"))

            for bad in [#"{"exchange":"binance"}"#, #"{"exchange":"","symbols":["A"]}"#, #"{"exchange":"binance","symbols":[]}"#, "not json"] {
                let reply = try await api.send("POST", "/api/v1/subscriptions", json: bad)
                #expect(reply.status == 400, "\(bad)")
                #expect(try reply.json()["error"] as? String == "invalid_body", "\(bad)")
            }
        }
    }

    @Test("with a bearer token: 401 without it or with a wrong one, 200 with it, on every route")
    func bearerToken() async throws {
        let collector = InMemoryCollector()
        collector.setBook(sampleBook)
        let token = "s3cret-token"
        try await withAPIServer(collector, configuration: CollectorAPIConfiguration(bearerToken: token)) { api in
            for path in ["/health", "/status", "/metrics", "/api/v1/orderbook/binance/BTC-USDT", "/ws/orderbook"] {
                let missing = try await api.get(path)
                #expect(missing.status == 401, "\(path)")
                #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true, "\(path)")
                #expect(try await api.get(path, token: "s3cret-tokeN").status == 401, "\(path)")
                #expect(try await api.get(path, token: "s3cret-token-longer").status == 401, "\(path)")
            }
            #expect(try await api.get("/health", token: token).status == 200)
            #expect(try await api.get("/status", token: token).status == 200)
            #expect(try await api.get("/metrics", token: token).status == 200)
            #expect(try await api.get("/api/v1/orderbook/binance/BTC-USDT?depth=1", token: token).status == 200)
            // A plain GET of the websocket route, authorised, is told to upgrade.
            #expect(try await api.get("/ws/orderbook", token: token).status == 426)

            let unauthorised = try await api.send("POST", "/api/v1/subscriptions", json: #"{"exchange":"binance","symbols":["ETHUSDT"]}"#)
            #expect(unauthorised.status == 401)
            let authorised = try await api.send("POST", "/api/v1/subscriptions", json: #"{"exchange":"binance","symbols":["ETHUSDT"]}"#, token: token)
            #expect(authorised.status == 200)

            await #expect(throws: (any Error).self) { _ = try await api.webSocket() }
            let ws = try await api.webSocket(token: token)
            try await ws.send(text: #"{"action":"subscribe","symbols":["BTC-USDT"]}"#)
            #expect(try await ws.nextJSON()["type"] as? String == "subscribed")
            await ws.close()
        }
    }
}
