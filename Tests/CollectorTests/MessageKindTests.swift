import Publishing
import Testing

@testable import Collector

struct MessageKindTests {
    @Test func subjectsMapToTheirKinds() {
        let cases: [(String, MessageKind)] = [
            ("market.binance.BTC-USDT.trade", .trade), ("market.okx.BTC-USDT-PERP.orderbook", .orderbook),
            ("market.binance.ETH-USDT.ticker", .ticker), ("market.binance.BTC-USDT.kline.1m", .kline),
            ("market.okx.BTC-USDT-PERP.funding", .funding), ("market.okx.BTC-USDT-PERP.open_interest", .openInterest),
            ("market.liquidation.binance_futures", .liquidation), ("market.x.y.unknown", .other),
            // A symbol that merely contains a kind's name is not that kind.
            ("market.x.trade-USDT.orderbook", .orderbook),
        ]
        for (subject, kind) in cases {
            #expect(MessageKind(OutboundMessage(subject: subject, id: "i", payload: Array("{}".utf8))) == kind, "\(subject)")
        }
        #expect(MessageKind.openInterest.name == "open_interest")
    }
}

/// The book times the API serves are read back from the published message's bytes.
@Suite struct PublishedBookTimesTests {
    @Test func scanFindsTheInstrumentAndBothTimes() throws {
        let payload = Array(#"{"exchange_name":"okx","symbol_name":"BTC-USDT","instrument_id":"BTC-USDT","data_type":"orderbook","timestamp":"2025-01-01T00:00:00.123456+00:00","timestamp_ns":1735689600123456789,"collected_at":"2025-01-01T00:00:00.200000+00:00","collected_at_ns":1735689600200000000,"last_update_id":7,"bids":[],"asks":[]}"#.utf8)
        let found = try #require(PublishedBookTimes.scan(payload[...]))
        #expect(found.native == "BTC-USDT")
        #expect(found.times == PublishedBookTimes.Times(exchangeNs: 1_735_689_600_123_456_789, receiveNs: 1_735_689_600_200_000_000))
        var times = PublishedBookTimes()
        times.note(OutboundMessage(subject: "market.okx.BTC-USDT.orderbook", id: "x", payload: payload))
        #expect(times.times(native: "BTC-USDT")?.exchangeNs == 1_735_689_600_123_456_789)
        #expect(times.times(native: "ETH-USDT") == nil)
        for broken in [#"{"instrument_id":"X","timestamp_ns":12"#, #"{"instrument_id":"X"#, #"{"timestamp_ns":1,"collected_at_ns":2}"#, ""] {
            #expect(PublishedBookTimes.scan(Array(broken.utf8)[...]) == nil, "\(broken)")
        }
    }
}
