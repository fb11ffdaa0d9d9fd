import Exchanges
import Foundation
import Model
import Testing
import TestSupport

/// Every channel of the real cryptofeed captures parsed with zero errors, with the counts the
/// data README states (and that grep confirms), and spot checks of field mapping.
@Suite(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
struct SampleDataTests {
    struct Tally {
        var snapshots = 0, deltas = 0, trades = 0, tickers = 0, klines = 0, funding = 0, openInterest = 0
        var subscribed = 0, errors: [FrameError] = [], other = 0
        var books: [BookUpdate] = []
        var all: [MarketEvent] = []

        mutating func add(_ outputs: [AdapterOutput]) {
            for o in outputs {
                switch o {
                case .event(let e):
                    all.append(e)
                    switch e {
                    case .book(let b):
                        books.append(b)
                        if b.kind == .snapshot { snapshots += 1 } else { deltas += 1 }
                    case .trade: trades += 1
                    case .ticker: tickers += 1
                    case .kline: klines += 1
                    case .funding: funding += 1
                    case .openInterest: openInterest += 1
                    case .liquidation: other += 1
                    }
                case .subscribed(let c): subscribed += c.count
                case .error(let e): errors.append(e)
                default: other += 1
                }
            }
        }
    }

    static func run<A: VenueAdapter>(_ adapter: inout A, file: String) throws -> Tally {
        var tally = Tally()
        var out: [AdapterOutput] = []
        for line in try Captures.file(file) where line.kind == .received {
            out.removeAll(keepingCapacity: true)
            adapter.parse(frame: line.payload, receivedAt: line.time, into: &out)
            tally.add(out)
        }
        return tally
    }

    static func restBodies(_ file: String, urlContaining: String) throws -> [(String, [UInt8])] {
        try Captures.file(file).compactMap { line in
            guard case .rest(let url) = line.kind, url.contains(urlContaining) else { return nil }
            return (url, line.payload)
        }
    }

    static func binanceCatalog() throws -> InstrumentCatalog {
        let body = try #require(try restBodies("BINANCE.0", urlContaining: "exchangeInfo").first?.1)
        return try InstrumentCatalog.binance(exchangeInfo: body, venue: .binance)
    }

    static func okxCatalog() throws -> InstrumentCatalog {
        var catalog = InstrumentCatalog(venue: .okx, usesNamingFallback: false)
        for (_, body) in try restBodies("OKX.0", urlContaining: "instruments") {
            try catalog.addOKXInstruments(body)
        }
        return catalog
    }

    static func deribitCatalog() throws -> InstrumentCatalog {
        var catalog = InstrumentCatalog(venue: .deribit, usesNamingFallback: false)
        for (_, body) in try restBodies("DERIBIT.0", urlContaining: "get_instruments") {
            try catalog.addDeribitInstruments(body)
        }
        return catalog
    }

    static func configuration(_ file: String) throws -> [UInt8] {
        try #require(try Captures.file(file).first { $0.kind == .configuration }?.payload)
    }

    @Test func binanceSpotStreamParsesEveryFrame() throws {
        let catalog = try Self.binanceCatalog()
        #expect(catalog.count > 1000)
        let natives = ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"]
        var adapter = BinanceSpotAdapter(
            subscription: Subscription(venue: .binance, channels: [.book, .ticker, .kline(interval: "1m"), .trades], instruments: natives),
            catalog: catalog)
        let t = try Self.run(&adapter, file: "BINANCE.ws.1.0")
        #expect(t.errors.isEmpty, "\(t.errors.prefix(3))")
        #expect(t.deltas == 177)
        #expect(t.snapshots == 0)
        #expect(t.tickers == 84)
        #expect(t.klines == 2)
        #expect(t.trades == 2)
        #expect(adapter.counters.frames == 265)
        #expect(adapter.counters.events == 265)
        #expect(adapter.counters.errors == 0)

        let first = try #require(t.books.first)
        #expect(first.instrument.symbol == "NKN-USDT")
        #expect(first.instrument.native == "NKNUSDT")
        #expect(first.sequence == BookSequence(first: 499_869_750, last: 499_869_752, previous: nil))
        #expect(first.bids.count == 3 && first.asks.isEmpty)
        #expect(first.bids[0] == BookLevel(price: FixedDecimal("0.35130000")!, size: 6195))
        #expect(first.bids[0].price.description == "0.35130000")
        #expect(first.exchangeTime == .milliseconds(1_633_998_512_068))
        #expect(first.receiveTime == Instant(nanoseconds: 1_633_998_512_063_356_900))

        // Every symbol's depth stream chains U == previous u + 1 in the capture.
        var lastU: [String: Int64] = [:]
        for b in t.books {
            if let prev = lastU[b.instrument.native] { #expect(b.sequence.first == prev + 1) }
            lastU[b.instrument.native] = b.sequence.last
        }
        #expect(Set(t.books.map(\.instrument.symbol)) == ["NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"])

        let trade = try #require(t.all.compactMap { if case .trade(let x) = $0 { return x } else { return nil } }.first)
        #expect(trade.tradeId == "15683430" && trade.side == .buy && trade.price == FixedDecimal("0.35280000")!)
        #expect(trade.quantity == 58 && trade.exchangeTime == .milliseconds(1_633_998_523_963))

        let kline = try #require(t.all.compactMap { if case .kline(let x) = $0 { return x } else { return nil } }.first)
        #expect(kline.interval == "1m" && kline.openTime == .milliseconds(1_633_998_480_000))
        #expect(kline.closeTime == .milliseconds(1_633_998_539_999) && !kline.closed)
        #expect(kline.volume == FixedDecimal("25877")! && kline.high == FixedDecimal("0.3528")!)

        let ticker = try #require(t.all.compactMap { if case .ticker(let x) = $0 { return x } else { return nil } }.first)
        #expect(ticker.sequence == 499_869_768)
        #expect(ticker.bestBid == BookLevel(price: FixedDecimal("0.3521")!, size: 672))
        #expect(ticker.bestAsk == BookLevel(price: FixedDecimal("0.3526")!, size: 3199))
    }

    @Test func binanceRestSnapshotsParse() throws {
        var adapter = BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: try Self.binanceCatalog())
        let bodies = try Self.restBodies("BINANCE.http.0.0", urlContaining: "/api/v3/depth")
        #expect(bodies.count == 4)
        for (url, body) in bodies {
            let native = String(url.split(separator: "=")[1].split(separator: "&")[0])
            let instrument = try #require(adapter.catalog.instrument(native: native))
            let request = adapter.snapshotRequest(for: instrument)
            #expect(url == request.url)
            #expect(request.weight == 50)
            let book = try adapter.parseSnapshot(body: body, instrument: instrument, receivedAt: .zero).get()
            #expect(book.kind == .snapshot)
            #expect(book.sequence.first == book.sequence.last && book.sequence.previous == nil)
            #expect(!book.bids.isEmpty && !book.asks.isEmpty)
            #expect(zip(book.bids, book.bids.dropFirst()).allSatisfy { $0.price > $1.price })
            #expect(zip(book.asks, book.asks.dropFirst()).allSatisfy { $0.price < $1.price })
            #expect(book.bids[0].price < book.asks[0].price)
            if native == "NKNUSDT" {
                #expect(book.sequence.last == 499_869_752)
                #expect(book.bids[0] == BookLevel(price: FixedDecimal("0.3521")!, size: 672))
            }
        }
    }

    @Test func okxStreamParsesEveryFrame() throws {
        let catalog = try Self.okxCatalog()
        let natives = ["BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"]
        var adapter = OKXAdapter(
            subscription: Subscription(venue: .okx, channels: [.ticker, .trades, .book], instruments: natives), catalog: catalog)
        let t = try Self.run(&adapter, file: "OKX.ws.1.0")
        #expect(t.errors.isEmpty, "\(t.errors.prefix(3))")
        #expect(t.subscribed == 18)
        #expect(t.snapshots == 3)
        #expect(t.deltas == 287)
        #expect(t.tickers == 28)
        #expect(t.trades == 74)
        #expect(adapter.counters.errors == 0)

        let symbols = Set(t.books.map(\.instrument.symbol))
        #expect(symbols == ["BTC-USD-20220527", "UNI-USD-PERP", "BTC-USDT"])
        for b in t.books {
            #expect(b.sequence.isUnsequenced, "the 2022 capture predates seqId")
            #expect(b.checksum != nil)
        }
        // The snapshot's legacy CRC32 holds over the parsed levels: prices and sizes keep their exact text.
        for snapshot in t.books where snapshot.kind == .snapshot {
            var text: [String] = []
            for k in 0..<25 {
                if k < snapshot.bids.count { text += ["\(snapshot.bids[k].price)", "\(snapshot.bids[k].size)"] }
                if k < snapshot.asks.count { text += ["\(snapshot.asks[k].price)", "\(snapshot.asks[k].size)"] }
            }
            let crc = Int32(bitPattern: CRC32.checksum(Array(text.joined(separator: ":").utf8)))
            #expect(crc == snapshot.checksum)
        }
        let ticker = try #require(t.all.compactMap { if case .ticker(let x) = $0 { return x } else { return nil } }.first)
        #expect(ticker.instrument.native == "BTC-USD-220527")
        #expect(ticker.last == FixedDecimal("30218.8")! && ticker.bestBid == BookLevel(price: FixedDecimal("30210.4")!, size: 4))
        #expect(ticker.volume24h == FixedDecimal("2620.289")!, "derivatives: volCcy24h is the base volume")
        #expect(ticker.exchangeTime == .milliseconds(1_652_459_223_003))
        let trade = try #require(t.all.compactMap { if case .trade(let x) = $0 { return x } else { return nil } }.first)
        #expect(trade.tradeId == "7849" && trade.side == .buy && trade.quantity == 1)
    }

    @Test func deribitStreamParsesEveryFrame() throws {
        let catalog = try Self.deribitCatalog()
        #expect(catalog.count > 900)
        var adapter = DeribitAdapter(
            subscription: try Subscription.fromCryptofeedConfiguration(json: try Self.configuration("DERIBIT.0"), venue: .deribit),
            catalog: catalog, interval: .raw)
        let t = try Self.run(&adapter, file: "DERIBIT.ws.1.0")
        #expect(t.errors.isEmpty, "\(t.errors.prefix(3))")
        #expect(t.subscribed == 30)
        #expect(t.snapshots == 10)
        #expect(t.deltas == 36)
        #expect(t.tickers == 89)
        #expect(t.trades == 0)
        #expect(t.funding == 0 && t.openInterest == 0, "only tickers were subscribed")

        // change_id chains per instrument through the whole capture.
        var last: [String: Int64] = [:]
        for b in t.books {
            if b.kind == .snapshot {
                #expect(b.sequence.previous == nil)
            } else {
                #expect(b.sequence.previous == last[b.instrument.native])
            }
            last[b.instrument.native] = b.sequence.last
        }
        let put = try #require(t.books.first { $0.instrument.native == "BTC-24SEP21-8000-P" })
        #expect(put.instrument.symbol == "BTC-USD-20210924-8000-P")
        let snapshot = try #require(t.books.first { $0.instrument.native == "ETH-30JUL21-2800-C" })
        #expect(snapshot.bids.first == BookLevel(price: FixedDecimal("0.0015")!, size: 4714))
        #expect(snapshot.asks.count == 13)
        let deletes = t.books.flatMap { $0.bids + $0.asks }.filter { $0.size.isZero }
        #expect(!deletes.isEmpty, "delete entries become size 0")
        let withNullStats = t.all.compactMap { e -> Ticker? in
            if case .ticker(let x) = e, x.instrument.native == "BTC-31DEC21-34000-P", x.high24h == nil { return x }
            return nil
        }
        #expect(!withNullStats.isEmpty, "null stats parse as absent")
    }

    @Test func catalogsAgreeWithNamingHeuristic() throws {
        for catalog in [try Self.okxCatalog(), try Self.deribitCatalog()] {
            for i in catalog.instruments {
                #expect(InstrumentNaming.instrument(venue: catalog.venue, native: i.native) == i)
            }
        }
        let binance = try Self.binanceCatalog()
        let agreeing = binance.instruments.filter { InstrumentNaming.instrument(venue: .binance, native: $0.native) == $0 }
        #expect(agreeing.count * 100 >= binance.count * 97, "\(agreeing.count) of \(binance.count)")
        for native in ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"] {
            #expect(InstrumentNaming.instrument(venue: .binance, native: native) == binance.instrument(native: native))
        }
    }

    @Test func cryptofeedConfigurationsMapToNativeSubscriptions() throws {
        let b = try Subscription.fromCryptofeedConfiguration(json: try Self.configuration("BINANCE.0"), venue: .binance)
        let adapter = BinanceSpotAdapter(subscription: b, catalog: try Self.binanceCatalog())
        let recorded = try #require(try Captures.file("BINANCE.ws.1.0").first.flatMap { line -> String? in
            if case .connect(let url) = line.kind { return url } else { return nil }
        })
        let recordedStreams = Set(recorded.split(separator: "=")[1].split(separator: "/").map(String.init))
        #expect(Set(adapter.streamNames) == recordedStreams)

        let o = try Subscription.fromCryptofeedConfiguration(json: try Self.configuration("OKX.0"), venue: .okx)
        #expect(Set(o.instruments) == ["BTC-USD-220527", "UNI-USD-SWAP", "BTC-USDT"])
        let okx = OKXAdapter(subscription: o, catalog: try Self.okxCatalog())
        let sent = try Captures.file("OKX.ws.1.0").compactMap { line -> [UInt8]? in
            if case .sent = line.kind { return line.payload } else { return nil }
        }
        func args(_ frame: [UInt8]) -> Set<String> {
            let text = String(decoding: frame, as: UTF8.self)
            return Set(text.components(separatedBy: "{\"channel\"").dropFirst().map { $0.components(separatedBy: "}")[0] })
        }
        #expect(args(okx.subscribeFrames().flatMap { $0 }) == args(try #require(sent.last)))

        let d = try Subscription.fromCryptofeedConfiguration(json: try Self.configuration("DERIBIT.0"), venue: .deribit)
        let deribit = DeribitAdapter(subscription: d, catalog: try Self.deribitCatalog(), interval: .raw)
        let sentDeribit = try Captures.file("DERIBIT.ws.1.0").compactMap { line -> [UInt8]? in
            if case .sent = line.kind { return line.payload } else { return nil }
        }
        let recordedChannels = String(decoding: try #require(sentDeribit.first), as: UTF8.self)
            .components(separatedBy: "[")[1].components(separatedBy: "]")[0]
            .split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }
        #expect(Set(deribit.channelNames) == Set(recordedChannels))
        #expect(deribit.channelNames.count == 30)
    }
}
