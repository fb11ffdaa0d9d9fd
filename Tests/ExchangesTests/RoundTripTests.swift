import Exchanges
import Model
import Testing

/// parse(encode(e)) == e for every event kind on every venue, over seeded random events. Events
/// are built within what each format can carry (documented on the encoders): e.g. spot bookTicker
/// has no event time, OKX candles use the open time as exchange time, Deribit has no next funding time.
struct RoundTripTests {
    struct Maker {
        var rng = SeededRandom(seed: 42)

        mutating func int(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &rng) }
        mutating func bool() -> Bool { int(0...1) == 1 }

        mutating func decimal(maxScale: UInt8 = 8, zero: Bool = false) -> FixedDecimal {
            let scale = UInt8(int(0...Int64(maxScale)))
            return FixedDecimal(mantissa: zero ? 0 : int(1...999_999_999_999), scale: scale)
        }

        mutating func maybe(_ d: FixedDecimal) -> FixedDecimal? { bool() ? d : nil }

        mutating func time() -> Instant { .milliseconds(int(1_500_000_000_000...1_900_000_000_000)) }

        mutating func levels(zeros: Bool) -> [BookLevel] {
            (0..<int(0...12)).map { _ in BookLevel(price: decimal(), size: decimal(zero: zeros && bool())) }
        }

        mutating func book(_ i: Instrument, kind: BookUpdate.Kind, sequence: BookSequence, checksum: Int32? = nil, at: Instant)
            -> BookUpdate
        {
            BookUpdate(
                instrument: i, kind: kind, bids: levels(zeros: kind == .delta), asks: levels(zeros: kind == .delta),
                sequence: sequence, checksum: checksum, exchangeTime: time(), receiveTime: at)
        }

        mutating func trade(_ i: Instrument, id: String, at: Instant) -> Trade {
            Trade(
                instrument: i, tradeId: id, price: decimal(), quantity: decimal(), side: bool() ? .buy : .sell,
                exchangeTime: time(), receiveTime: at)
        }

        mutating func kline(_ i: Instrument, interval: String, at: Instant, closed: Bool? = nil) -> Kline {
            let open = time()
            return Kline(
                instrument: i, interval: interval, openTime: open,
                closeTime: .milliseconds(KlineInterval.closeTime(openTime: open.milliseconds, interval: interval)!),
                open: decimal(), high: decimal(), low: decimal(), close: decimal(), volume: decimal(),
                closed: closed ?? bool(), exchangeTime: time(), receiveTime: at)
        }
    }

    static func parse<A: VenueAdapter>(_ adapter: inout A, _ frame: [UInt8], at: Instant) -> [AdapterOutput] {
        var out: [AdapterOutput] = []
        adapter.parse(frame: frame, receivedAt: at, into: &out)
        return out
    }

    static func expectRoundTrip<A: VenueAdapter>(
        _ adapter: inout A, _ event: MarketEvent, frame: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let out = parse(&adapter, frame, at: event.receiveTime)
        #expect(out.contains(.event(event)), "\(String(decoding: frame, as: UTF8.self)) -> \(out)", sourceLocation: sourceLocation)
        #expect(!out.contains { if case .error = $0 { return true } else { return false } }, sourceLocation: sourceLocation)
    }

    @Test func binanceSpot() throws {
        var m = Maker()
        var adapter = BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: InstrumentCatalog(venue: .binance))
        let encoder = BinanceFrameEncoder(venue: .binance)
        let i = try #require(InstrumentNaming.instrument(venue: .binance, native: "BTCUSDT"))
        for _ in 0..<200 {
            let at = m.time()
            let first = m.int(1...1_000_000_000)
            var events: [MarketEvent] = [
                .book(m.book(i, kind: .delta, sequence: BookSequence(first: first, last: first + m.int(0...50)), at: at)),
                .trade(m.trade(i, id: String(m.int(0...999_999_999_999)), at: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: BookLevel(price: m.decimal(), size: m.decimal()),
                    bestAsk: BookLevel(price: m.decimal(), size: m.decimal()), sequence: m.int(1...1_000_000_000),
                    exchangeTime: at, receiveTime: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: BookLevel(price: m.decimal(), size: m.decimal()),
                    bestAsk: BookLevel(price: m.decimal(), size: m.decimal()), last: m.decimal(), open24h: m.maybe(m.decimal()),
                    high24h: m.maybe(m.decimal()), low24h: m.maybe(m.decimal()), volume24h: m.maybe(m.decimal()),
                    quoteVolume24h: m.maybe(m.decimal()), exchangeTime: m.time(), receiveTime: at)),
                .kline(m.kline(i, interval: ["1m", "5m", "1h", "1d", "1w", "1M"][Int(m.int(0...5))], at: at)),
            ]
            // A snapshot on the partial-depth stream carries no event time.
            var snapshot = m.book(i, kind: .snapshot, sequence: BookSequence(first: first, last: first), at: at)
            snapshot.exchangeTime = at
            events.append(.book(snapshot))
            for e in events {
                var frame: [UInt8] = []
                #expect(encoder.encode(e, into: &frame))
                Self.expectRoundTrip(&adapter, e, frame: frame)
            }
            // REST snapshot body.
            var body: [UInt8] = []
            encoder.encodeDepthSnapshot(snapshot, into: &body)
            #expect(try adapter.parseSnapshot(body: body, instrument: i, receivedAt: at).get() == snapshot)
        }
        #expect(adapter.counters.errors == 0)
    }

    @Test func binanceFutures() throws {
        var m = Maker(rng: SeededRandom(seed: 7))
        var adapter = BinanceFuturesAdapter(
            subscription: Subscription(venue: .binanceFutures, entries: []), catalog: InstrumentCatalog(venue: .binanceFutures))
        let encoder = BinanceFrameEncoder(venue: .binanceFutures)
        let perp = try #require(InstrumentNaming.instrument(venue: .binanceFutures, native: "ETHUSDT"))
        let quarterly = try #require(InstrumentNaming.instrument(venue: .binanceFutures, native: "BTCUSDT_240628"))
        #expect(quarterly.symbol == "BTC-USDT-20240628")
        for k in 0..<200 {
            let i = k % 2 == 0 ? perp : quarterly
            let at = m.time()
            let first = m.int(1...1_000_000_000)
            let events: [MarketEvent] = [
                .book(m.book(i, kind: .delta, sequence: BookSequence(first: first, last: first + 9, previous: first - 3), at: at)),
                .book(m.book(i, kind: .snapshot, sequence: BookSequence(first: first, last: first), at: at)),
                .trade(m.trade(i, id: String(m.int(0...999_999)), at: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: BookLevel(price: m.decimal(), size: m.decimal()),
                    bestAsk: BookLevel(price: m.decimal(), size: m.decimal()), sequence: m.int(1...1_000_000_000),
                    exchangeTime: m.time(), receiveTime: at)),
                .funding(FundingRate(
                    instrument: i, rate: FixedDecimal(mantissa: m.int(-99_999...99_999), scale: 8), nextFundingTime: m.time(),
                    markPrice: m.maybe(m.decimal()), indexPrice: m.maybe(m.decimal()), exchangeTime: m.time(), receiveTime: at)),
                .liquidation(Liquidation(
                    instrument: i, side: m.bool() ? .buy : .sell, price: m.decimal(), quantity: m.decimal(),
                    exchangeTime: m.time(), receiveTime: at)),
                .kline(m.kline(i, interval: "15m", at: at)),
            ]
            for e in events {
                var frame: [UInt8] = []
                #expect(encoder.encode(e, into: &frame))
                Self.expectRoundTrip(&adapter, e, frame: frame)
            }
            let oi = OpenInterest(instrument: i, amount: m.decimal(), exchangeTime: m.time(), receiveTime: at)
            var body: [UInt8] = []
            encoder.encodeOpenInterest(oi, into: &body)
            #expect(try adapter.parseRestResponse(body: body, purpose: .openInterest(i), receivedAt: at).get() == [.openInterest(oi)])
            #expect(!encoder.encode(.openInterest(oi), into: &body), "open interest has no websocket stream")
            let funding = FundingRate(
                instrument: i, rate: m.decimal(), nextFundingTime: m.time(), markPrice: m.decimal(), indexPrice: m.decimal(),
                exchangeTime: m.time(), receiveTime: at)
            body.removeAll()
            encoder.encodePremiumIndex(funding, into: &body)
            #expect(try adapter.parseRestResponse(body: body, purpose: .funding(i), receivedAt: at).get() == [.funding(funding)])
            guard case .book(let snapshot) = events[1] else { continue }
            body.removeAll()
            encoder.encodeDepthSnapshot(snapshot, into: &body)
            #expect(try adapter.parseSnapshot(body: body, instrument: i, receivedAt: at).get() == snapshot)
        }
        #expect(adapter.counters.errors == 0)
    }

    @Test func okx() throws {
        var m = Maker(rng: SeededRandom(seed: 11))
        var adapter = OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: InstrumentCatalog(venue: .okx))
        let encoder = OKXFrameEncoder()
        let spot = try #require(InstrumentNaming.instrument(venue: .okx, native: "BTC-USDT"))
        let swap = try #require(InstrumentNaming.instrument(venue: .okx, native: "BTC-USDT-SWAP"))
        let future = try #require(InstrumentNaming.instrument(venue: .okx, native: "BTC-USD-220527"))
        let option = try #require(InstrumentNaming.instrument(venue: .okx, native: "BTC-USD-220514-22000-C"))
        #expect(option.symbol == "BTC-USD-20220514-22000-C")
        for k in 0..<300 {
            let i = [spot, swap, future, option][k % 4]
            let at = m.time()
            let seq = m.int(1...1_000_000_000)
            let sequence: BookSequence = [
                .unsequenced, BookSequence(first: seq, last: seq, previous: -1), BookSequence(first: seq, last: seq, previous: seq - 5),
            ][k % 3]
            let checksum: Int32? = m.bool() ? Int32(truncatingIfNeeded: m.int(1...4_000_000_000)) : nil
            let isSpot = i.kind == .spot
            var events: [MarketEvent] = [
                .book(m.book(i, kind: k % 2 == 0 ? .snapshot : .delta, sequence: sequence, checksum: checksum, at: at)),
                .trade(m.trade(i, id: "t\(m.int(0...999_999))\\\"", at: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: BookLevel(price: m.decimal(), size: m.decimal()), bestAsk: nil, last: m.decimal(),
                    open24h: m.maybe(m.decimal()), high24h: m.maybe(m.decimal()), low24h: m.maybe(m.decimal()),
                    volume24h: m.maybe(m.decimal()), quoteVolume24h: isSpot ? m.maybe(m.decimal()) : nil,
                    exchangeTime: m.time(), receiveTime: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: BookLevel(price: m.decimal(), size: m.decimal()),
                    bestAsk: BookLevel(price: m.decimal(), size: m.decimal()), sequence: seq, exchangeTime: m.time(), receiveTime: at)),
            ]
            var candle = m.kline(i, interval: ["1m", "1h", "4h", "1d", "1w", "1M"][k % 6], at: at)
            candle.exchangeTime = candle.openTime
            events.append(.kline(candle))
            if !isSpot {
                events += [
                    .funding(FundingRate(
                        instrument: i, rate: m.decimal(), nextFundingTime: m.bool() ? m.time() : nil, exchangeTime: m.time(),
                        receiveTime: at)),
                    .openInterest(OpenInterest(
                        instrument: i, amount: m.decimal(), value: m.maybe(m.decimal()), exchangeTime: m.time(), receiveTime: at)),
                    .liquidation(Liquidation(
                        instrument: i, side: m.bool() ? .buy : .sell, price: m.decimal(), quantity: m.decimal(),
                        exchangeTime: m.time(), receiveTime: at)),
                ]
            }
            for e in events {
                var frame: [UInt8] = []
                #expect(encoder.encode(e, into: &frame))
                Self.expectRoundTrip(&adapter, e, frame: frame)
            }
            var snapshot = m.book(i, kind: .snapshot, sequence: sequence, at: at)
            snapshot.checksum = checksum
            var body: [UInt8] = []
            encoder.encodeBookSnapshotBody(snapshot, into: &body)
            #expect(try adapter.parseSnapshot(body: body, instrument: i, receivedAt: at).get() == snapshot)
            if !isSpot {
                let oi = OpenInterest(instrument: i, amount: m.decimal(), value: m.decimal(), exchangeTime: m.time(), receiveTime: at)
                body.removeAll()
                encoder.encodeOpenInterestBody(oi, into: &body)
                #expect(try adapter.parseRestResponse(body: body, purpose: .openInterest(i), receivedAt: at).get() == [.openInterest(oi)])
                let f = FundingRate(instrument: i, rate: m.decimal(), nextFundingTime: m.time(), exchangeTime: m.time(), receiveTime: at)
                body.removeAll()
                encoder.encodeFundingBody(f, into: &body)
                #expect(try adapter.parseRestResponse(body: body, purpose: .funding(i), receivedAt: at).get() == [.funding(f)])
            }
        }
        #expect(adapter.counters.errors == 0)
    }

    @Test func deribit() throws {
        var m = Maker(rng: SeededRandom(seed: 5))
        var adapter = DeribitAdapter(subscription: Subscription(venue: .deribit, entries: []), catalog: InstrumentCatalog(venue: .deribit))
        let encoder = DeribitFrameEncoder()
        let perp = try #require(InstrumentNaming.instrument(venue: .deribit, native: "BTC-PERPETUAL"))
        let future = try #require(InstrumentNaming.instrument(venue: .deribit, native: "ETH-6AUG21"))
        let option = try #require(InstrumentNaming.instrument(venue: .deribit, native: "XRP_USDC-30JUN23-0d625-C"))
        #expect(perp.symbol == "BTC-USD-PERP" && future.symbol == "ETH-USD-20210806")
        #expect(option.symbol == "XRP-USDC-20230630-0.625-C")
        for k in 0..<300 {
            let i = [perp, future, option][k % 3]
            let at = m.time()
            let change = m.int(1...100_000_000_000)
            let events: [MarketEvent] = [
                .book(m.book(i, kind: .snapshot, sequence: BookSequence(first: change, last: change), at: at)),
                .book(m.book(i, kind: .delta, sequence: BookSequence(first: change, last: change, previous: change - 7), at: at)),
                .trade(m.trade(i, id: "ETH-\(m.int(0...999_999))", at: at)),
                .ticker(Ticker(
                    instrument: i, bestBid: m.bool() ? BookLevel(price: m.decimal(), size: m.decimal()) : nil,
                    bestAsk: BookLevel(price: m.decimal(), size: m.decimal()), last: m.maybe(m.decimal()),
                    high24h: m.maybe(m.decimal()), low24h: m.maybe(m.decimal()), volume24h: m.maybe(m.decimal()),
                    exchangeTime: m.time(), receiveTime: at)),
                .funding(FundingRate(
                    instrument: i, rate: FixedDecimal(mantissa: m.int(-99_999...99_999), scale: 10), markPrice: m.maybe(m.decimal()),
                    indexPrice: m.maybe(m.decimal()), exchangeTime: m.time(), receiveTime: at)),
                .openInterest(OpenInterest(instrument: i, amount: m.decimal(), exchangeTime: m.time(), receiveTime: at)),
                .liquidation(Liquidation(
                    instrument: i, side: m.bool() ? .buy : .sell, price: m.decimal(), quantity: m.decimal(),
                    exchangeTime: m.time(), receiveTime: at)),
                .kline({
                    var c = m.kline(i, interval: ["1m", "5m", "1h", "12h", "1d"][k % 5], at: at, closed: false)
                    c.exchangeTime = c.openTime
                    return c
                }()),
            ]
            for e in events {
                var frame: [UInt8] = []
                #expect(encoder.encode(e, into: &frame))
                Self.expectRoundTrip(&adapter, e, frame: frame)
            }
            guard case .book(let snapshot) = events[0], case .funding(let f) = events[4], case .openInterest(let oi) = events[5]
            else { continue }
            var body: [UInt8] = []
            encoder.encodeBookSnapshotBody(snapshot, into: &body)
            #expect(try adapter.parseSnapshot(body: body, instrument: i, receivedAt: at).get() == snapshot)
            body.removeAll()
            encoder.encodeTickerBody(instrument: i, time: f.exchangeTime, funding: f, into: &body)
            #expect(try adapter.parseRestResponse(body: body, purpose: .funding(i), receivedAt: at).get() == [.funding(f)])
            body.removeAll()
            encoder.encodeTickerBody(instrument: i, time: oi.exchangeTime, openInterest: oi, into: &body)
            #expect(try adapter.parseRestResponse(body: body, purpose: .openInterest(i), receivedAt: at).get() == [.openInterest(oi)])
        }
        #expect(adapter.counters.errors == 0)
    }
}

/// Instruments listings: encode then build a catalog from the body gives the same instruments.
struct InstrumentListingRoundTripTests {
    @Test func everyVenueListingRoundTrips() throws {
        let binance = ["BTCUSDT", "NKNUSDT", "ETHBTC"].compactMap { InstrumentNaming.instrument(venue: .binance, native: $0) }
        var body: [UInt8] = []
        BinanceFrameEncoder(venue: .binance).encodeExchangeInfo(binance, into: &body)
        #expect(try InstrumentCatalog.binance(exchangeInfo: body, venue: .binance).instruments == binance)

        let futures = ["BTCUSDT", "ETHUSDT_240927"].compactMap { InstrumentNaming.instrument(venue: .binanceFutures, native: $0) }
        body.removeAll()
        BinanceFrameEncoder(venue: .binanceFutures).encodeExchangeInfo(futures, into: &body)
        #expect(try InstrumentCatalog.binance(exchangeInfo: body, venue: .binanceFutures).instruments == futures)

        let okx = ["BTC-USDT", "UNI-USD-SWAP", "BTC-USD-220527", "ETH-USD-220513-2500-P"].compactMap {
            InstrumentNaming.instrument(venue: .okx, native: $0)
        }
        body.removeAll()
        OKXFrameEncoder().encodeInstruments(okx, into: &body)
        var okxCatalog = InstrumentCatalog(venue: .okx, usesNamingFallback: false)
        try okxCatalog.addOKXInstruments(body)
        #expect(okxCatalog.instruments == okx)

        let deribit = ["BTC-PERPETUAL", "ETH_USDC-PERPETUAL", "BTC-24SEP21", "BTC-24SEP21-8000-P", "BTC_USDC"].compactMap {
            InstrumentNaming.instrument(venue: .deribit, native: $0)
        }
        body.removeAll()
        DeribitFrameEncoder().encodeInstruments(deribit, into: &body)
        var deribitCatalog = InstrumentCatalog(venue: .deribit, usesNamingFallback: false)
        try deribitCatalog.addDeribitInstruments(body)
        #expect(deribitCatalog.instruments == deribit)
        #expect(deribit.count == 5 && okx.count == 4 && futures.count == 2 && binance.count == 3)
    }
}
