import Model
import Testing

@testable import Publishing

/// `CachingMessageEncoder` keeps each (instrument, channel) pair's subject, id head and identity
/// fields, and `JSONWriter` keeps the last second's text: both must give byte for byte what the
/// stateless `MessageEncoder` gives, in any order, for any instrument.
@Suite struct CachingMessageEncoderTests {
    /// Names that exercise every rule: subject tokens with `.`, `*`, `>` and spaces, JSON escapes,
    /// control characters in ids, long (heap) strings next to short (inline) ones.
    static let natives = [
        "BTCUSDT", "ETH-USDT-SWAP", "BTC-PERPETUAL", "A.B*C>D E", "Q\"U\\OTE\u{1}", "LONG-NATIVE-SYMBOL-OVER-15-BYTES",
        "", "é-unicode-€", "X",
    ]
    static let assets = ["BTC", "ETH", "USDT", "USD", "A.B", "ÉTH", "LONGASSETNAME-OVER-FIFTEEN", ""]

    static func randomInstrument(_ random: inout SeededRandom) -> Instrument {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        let kinds: [InstrumentKind] = [
            .spot, .perpetual, .spot, .perpetual, .future(expiry: "20240628"),
            .option(expiry: "20240628", strike: FixedDecimal(mantissa: 600_000, scale: 1), right: .call),
        ]
        // A fresh string with the same text gets other storage when long: the cache must find it by value.
        let native = pick(natives)
        return Instrument(
            venue: pick(Venue.allCases), native: random.next() % 2 == 0 ? native : String(decoding: Array(native.utf8), as: UTF8.self),
            base: pick(assets), quote: pick(assets), kind: pick(kinds))
    }

    static func randomInstant(_ random: inout SeededRandom) -> Instant {
        switch random.next() % 6 {
        case 0: return Instant(nanoseconds: Int64(bitPattern: random.next()) / 4)  // any, negative included
        case 1: return Instant(nanoseconds: 999_999_999_999_999_999 + Int64(random.next() % 3))  // the 19-digit edge
        case 2: return Instant(nanoseconds: 1_714_564_799_999_999_000 + Int64(random.next() % 2_000))  // a second boundary
        default: return Instant(nanoseconds: 1_714_564_800_000_000_000 + Int64(random.next() % 3_000_000_000))
        }
    }

    static func randomEvent(_ random: inout SeededRandom, instruments: [Instrument]) -> PublishableEvent {
        let instrument = instruments[Int(random.next() % UInt64(instruments.count))]
        let t = randomInstant(&random)
        let r = random.next() % 4 == 0 ? randomInstant(&random) : t + .microseconds(Int64(random.next() % 5_000))
        let price = FixedDecimal(mantissa: Int64(random.next() % 10_000_000), scale: UInt8(random.next() % 9))
        let size = FixedDecimal(mantissa: Int64(random.next() % 100_000), scale: UInt8(random.next() % 9))
        let ids = ["1", "12345678", "1234567890123", "a\"b", "tab\there", "\u{7F}x", "id-with-0123456789-digits"]
        switch random.next() % 8 {
        case 0, 1:
            return .trade(
                Trade(
                    instrument: instrument, tradeId: ids[Int(random.next() % UInt64(ids.count))], price: price, quantity: size,
                    side: random.next() % 2 == 0 ? .buy : .sell, exchangeTime: t, receiveTime: r))
        case 2:
            return .ticker(
                Ticker(
                    instrument: instrument, bestBid: BookLevel(price: price, size: size), bestAsk: nil,
                    sequence: random.next() % 2 == 0 ? Int64(random.next() % 1_000_000) : nil, exchangeTime: t, receiveTime: r))
        case 3:
            let levels = (0..<Int(random.next() % 30)).map { BookLevel(price: price + FixedDecimal(mantissa: Int64($0), scale: 2), size: size) }
            return .orderbook(
                OrderbookView(
                    instrument: instrument, bids: levels, asks: levels.reversed(),
                    sequence: random.next() % 3 == 0 ? 0 : Int64(random.next() % 1_000_000_000), exchangeTime: t, receiveTime: r))
        case 4:
            return .funding(
                FundingRate(instrument: instrument, rate: size, nextFundingTime: random.next() % 2 == 0 ? t : nil, markPrice: price,
                            indexPrice: nil, exchangeTime: t, receiveTime: r))
        case 5:
            return .openInterest(OpenInterest(instrument: instrument, amount: size, value: price, exchangeTime: t, receiveTime: r))
        case 6:
            return .liquidation(Liquidation(instrument: instrument, side: .buy, price: price, quantity: size, exchangeTime: t, receiveTime: r))
        default:
            return .kline(
                Kline(
                    instrument: instrument, interval: random.next() % 2 == 0 ? "1m" : "1.h", openTime: t, closeTime: r, open: price,
                    high: price, low: price, close: price, volume: size, closed: random.next() % 2 == 0, exchangeTime: t, receiveTime: r))
        }
    }

    static func expectSame(_ actual: OutboundMessage, _ expected: OutboundMessage, _ event: PublishableEvent) {
        #expect(actual.storage == expected.storage, "\(event)")
        #expect(actual.subject == expected.subject)
        #expect(actual.id == expected.id)
    }

    @Test(arguments: [3, 20, 80])
    func givesTheStatelessBytesInAnyOrder(instrumentCount: Int) {
        // 80 instruments overflow the cache, so entries are replaced while others stay.
        var random = SeededRandom(seed: UInt64(instrumentCount))
        let instruments = (0..<instrumentCount).map { _ in Self.randomInstrument(&random) }
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: 7))
        var caching = CachingMessageEncoder(encoder: stateless)
        for _ in 0..<4_000 {
            let event = Self.randomEvent(&random, instruments: instruments)
            Self.expectSame(caching.encode(event), stateless.encode(event), event)
        }
    }

    /// The stack encodes a venue's market event as it is, without making a `PublishableEvent` of it.
    @Test func aMarketEventGivesTheBytesOfItsPublishableEvent() {
        var random = SeededRandom(seed: 41)
        let instruments = (0..<12).map { _ in Self.randomInstrument(&random) }
        let stateless = MessageEncoder()
        var caching = CachingMessageEncoder(encoder: stateless)
        var seen = Set<String>()
        for _ in 0..<3_000 {
            let event = Self.randomEvent(&random, instruments: instruments)
            let market: MarketEvent
            switch event {
            case .trade(let e): market = .trade(e)
            case .ticker(let e): market = .ticker(e)
            case .funding(let e): market = .funding(e)
            case .openInterest(let e): market = .openInterest(e)
            case .liquidation(let e): market = .liquidation(e)
            case .kline(let e): market = .kline(e)
            case .orderbook: continue
            }
            guard let message = caching.encode(market) else {
                Issue.record("no message for \(market)")
                continue
            }
            Self.expectSame(message, stateless.encode(event), event)
            seen.insert("\(event.channel)".prefix(5).description)
        }
        #expect(seen.count == 6, "kinds covered: \(seen)")
        let book = BookUpdate(
            instrument: instruments[0], kind: .snapshot, bids: [], asks: [], sequence: BookSequence(first: 1, last: 1),
            exchangeTime: .zero, receiveTime: .zero)
        let bookMessage = caching.encode(MarketEvent.book(book))
        #expect(bookMessage == nil)
    }

    @Test func everyKindMatchesTheDocumentedEncoding() {
        var caching = CachingMessageEncoder()
        for _ in 0..<2 {
            for event in Fixtures.everyKind { Self.expectSame(caching.encode(event), MessageEncoder().encode(event), event) }
        }
    }

    @Test func equalInstrumentsWithOtherStorageShareAnEntryAndOtherValuesDoNot() {
        var caching = CachingMessageEncoder()
        let long = "LONG-NATIVE-SYMBOL-OVER-15-BYTES"
        let a = Instrument(venue: .okx, native: long, base: "BTC", quote: "USDT", kind: .perpetual)
        let b = Instrument(venue: .okx, native: String(decoding: Array(long.utf8), as: UTF8.self), base: "BTC", quote: "USDT", kind: .perpetual)
        let c = Instrument(venue: .okx, native: long, base: "BTC", quote: "USDT", kind: .spot)
        let d = Instrument(venue: .deribit, native: long, base: "BTC", quote: "USDT", kind: .perpetual)
        for (i, instrument) in [a, b, c, d, a, c, b, d].enumerated() {
            let event = Fixtures.trade(i, instrument: instrument)
            Self.expectSame(caching.encode(event), MessageEncoder().encode(event), event)
        }
    }

    @Test func nanosecondsWriteTheIntegerDigits() {
        var random = SeededRandom(seed: 9)
        var values: [Int64] = [0, -1, 1, 999_999_999_999_999_999, 1_000_000_000_000_000_000, .max, .min + 1, 1_714_564_800_000_000_000]
        for _ in 0..<2_000 { values.append(Int64(bitPattern: random.next()) >> Int(random.next() % 64)) }
        // One writer for all of them: the second's text is kept from one value to the next.
        let bytes = JSONWriter.bytes(capacity: 32 * values.count) { w in
            for v in values {
                w.nanoseconds(Instant(nanoseconds: v))
                w.byte(UInt8(ascii: " "))
                w.isoTime(Instant(nanoseconds: v))
                w.byte(UInt8(ascii: ","))
            }
        }
        let expected = JSONWriter.bytes(capacity: 32 * values.count) { w in
            for v in values {
                w.integer(v)
                w.byte(UInt8(ascii: " "))
                // A fresh writer per value: no kept second.
                w.append(JSONWriter.bytes { $0.isoTime(Instant(nanoseconds: v)) })
                w.byte(UInt8(ascii: ","))
            }
        }
        #expect(String(decoding: bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test func stringsAreEscapedWhereverTheByteFalls() {
        // Every escaped byte at every position of strings around the 8-byte steps.
        for length in 0..<20 {
            for position in 0..<max(length, 1) {
                for special: UInt8 in [0x22, 0x5C, 0x0A, 0x01, 0x1F, 0x20, 0x7F, 0xC3] {
                    var text = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    if position < length { text[position] = special }
                    let string = String(decoding: text, as: UTF8.self)
                    let written = String(decoding: JSONWriter.bytes { $0.string(string) }, as: UTF8.self)
                    #expect(written == Self.referenceJSONString(string), "\(text)")
                }
            }
        }
    }

    static func referenceJSONString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += "\\u00" + String(scalar.value, radix: 16).leftPadded(to: 2)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
