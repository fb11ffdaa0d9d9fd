import Foundation
import Model
import Testing

@testable import Publishing

@Suite struct MessageEncoderTests {
    func json(_ message: OutboundMessage) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(message.payload))
        return try #require(object as? [String: Any])
    }

    @Test func tradePayloadIsExactlyTheDocumentedJSON() {
        let m = MessageEncoder().encode(Fixtures.trade(1))
        let text = String(decoding: m.payload, as: UTF8.self)
        #expect(
            text
                == #"{"exchange_name":"binance","symbol_name":"BTC-USDT","instrument_id":"BTCUSDT","data_type":"trade","#
                + #""timestamp":"2024-05-01T12:00:00.001000+00:00","timestamp_ns":1714564800001000000,"#
                + #""collected_at":"2024-05-01T12:00:00.001250+00:00","collected_at_ns":1714564800001250000,"#
                + #""trade_id":"1","price":64000.10,"quantity":0.35130000,"side":"sell"}"#)
        #expect(m.subject == "market.binance.BTC-USDT.trade")
        #expect(m.id == "binance:BTCUSDT:trade:1")
    }

    @Test func everyKindIsValidJSONWithTheCommonFields() throws {
        for event in Fixtures.everyKind {
            let m = MessageEncoder().encode(event)
            let o = try json(m)
            #expect(o["exchange_name"] as? String == event.instrument.venue.rawValue)
            #expect(o["symbol_name"] as? String == event.instrument.symbol)
            #expect(o["timestamp_ns"] as? Int64 == event.exchangeTime.nanoseconds)
            #expect(o["collected_at_ns"] as? Int64 == event.receiveTime.nanoseconds)
            #expect((o["timestamp"] as? String)?.hasSuffix("+00:00") == true)
            #expect(o["data_type"] as? String == event.channel.name)
        }
    }

    @Test func orderbookIsCutToDepthBestFirst() throws {
        let m = MessageEncoder(configuration: .init(orderbookDepth: 2)).encode(Fixtures.book(sequence: 99, levels: 5))
        let o = try json(m)
        let bids = try #require(o["bids"] as? [[String: Any]])
        let asks = try #require(o["asks"] as? [[String: Any]])
        #expect(bids.count == 2 && asks.count == 2)
        #expect(o["last_update_id"] as? Int == 99)
        let text = String(decoding: m.payload, as: UTF8.self)
        #expect(text.contains(#""bids":[{"price":64000.00,"quantity":1.5},{"price":63999.99,"quantity":1.5}]"#))
        #expect(text.contains(#""asks":[{"price":64000.01,"quantity":0.25},{"price":64000.02,"quantity":0.25}]"#))
    }

    @Test func liquidationCarriesItsNotional() throws {
        let m = MessageEncoder().encode(Fixtures.everyKind[5])
        let text = String(decoding: m.payload, as: UTF8.self)
        #expect(text.hasSuffix(#""side":"sell","price":63500.5,"quantity":0.014,"value":889.007}"#))
        #expect(m.subject == "market.liquidation.binance_futures")
        #expect(try json(m)["symbol_name"] as? String == "BTC-USDT-PERP")
    }

    @Test(arguments: ["0", "-1.5", "0.00000001", "123456789012.345678", "-0.001", "9223372036854775807"])
    func decimalsAreWrittenExactly(text: String) {
        let bytes = JSONWriter.bytes { $0.decimal(FixedDecimal(text)!) }
        #expect(String(decoding: bytes, as: UTF8.self) == FixedDecimal(text)!.description)
        #expect(String(decoding: bytes, as: UTF8.self) == text)
    }

    @Test(arguments: [
        (Int64(0), "\"1970-01-01T00:00:00.000000+00:00\""),
        (Int64(951_782_400_123_456_789), "\"2000-02-29T00:00:00.123456+00:00\""),
        (Int64(-1), "\"1969-12-31T23:59:59.999999+00:00\""),
        (Int64(4_102_444_799_000_000_000), "\"2099-12-31T23:59:59.000000+00:00\""),
    ])
    func isoTimesMatchPythonIsoformat(ns: Int64, expected: String) {
        let bytes = JSONWriter.bytes { $0.isoTime(Instant(nanoseconds: ns)) }
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
    }

    @Test func isoTimesAgreeWithFoundationOverManyInstants() {
        var rng = SeededRandom(seed: 42)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        f.timeZone = TimeZone(identifier: "UTC")
        for _ in 0..<2000 {
            let seconds = Int64(rng.next() % 4_000_000_000)
            let ours = String(decoding: JSONWriter.bytes { $0.isoTime(Instant(nanoseconds: seconds * 1_000_000_000)) }, as: UTF8.self)
            let theirs = f.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))  // ...Z
            #expect(ours == "\"" + theirs.dropLast() + ".000000+00:00\"")
        }
    }

    @Test func stringsAreEscaped() throws {
        let bytes = JSONWriter.bytes { $0.string("a\"b\\c\nd\u{01}é") }
        #expect(String(decoding: bytes, as: UTF8.self) == #""a\"b\\c\nd\u0001é""#)
        let back = try JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) as? String
        #expect(back == "a\"b\\c\nd\u{01}é")
    }

    @Test func aWriterThatRunsOutOfRoomRetriesWithMore() {
        let long = String(repeating: "x", count: 5_000)
        let bytes = JSONWriter.bytes(capacity: 64) { w in
            w.string(long)
            w.integer(-42)
        }
        #expect(bytes.count == 5_005)
        #expect(bytes.suffix(4) == Array("\"-42".utf8))
    }

    @Test func deepBooksEncodeCompletely() throws {
        let m = MessageEncoder(configuration: .init(orderbookDepth: 1_000)).encode(Fixtures.book(sequence: 1, levels: 1_000))
        let o = try json(m)
        #expect((o["bids"] as? [Any])?.count == 1_000)
    }

    @Test func marketEventsMapExceptRawBooks() {
        let t = MarketEvent.trade(
            Trade(instrument: Fixtures.btcSpot, tradeId: "1", price: 1, quantity: 1, side: .buy, exchangeTime: .zero, receiveTime: .zero))
        #expect(PublishableEvent(t) != nil)
        let b = MarketEvent.book(
            BookUpdate(
                instrument: Fixtures.btcSpot, kind: .delta, bids: [], asks: [], sequence: BookSequence(first: 1, last: 2),
                exchangeTime: .zero, receiveTime: .zero))
        #expect(PublishableEvent(b) == nil)
    }
}
