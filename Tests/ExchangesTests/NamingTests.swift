import Exchanges
import Model
import Testing

/// Normalized symbols from native names, expiry spellings, candle intervals and cryptofeed symbols.
struct NamingTests {
    @Test(arguments: [
        (Venue.binance, "NKNUSDT", "NKN-USDT"),
        (.binance, "BTCFDUSD", "BTC-FDUSD"),
        (.binance, "RUNEEUR", "RUNE-EUR"),
        (.binanceFutures, "BTCUSDT", "BTC-USDT-PERP"),
        (.binanceFutures, "ETHUSDT_240927", "ETH-USDT-20240927"),
        (.okx, "BTC-USDT", "BTC-USDT"),
        (.okx, "UNI-USD-SWAP", "UNI-USD-PERP"),
        (.okx, "BTC-USD-220527", "BTC-USD-20220527"),
        (.okx, "ETH-USD-220513-2500-P", "ETH-USD-20220513-2500-P"),
        (.deribit, "BTC-PERPETUAL", "BTC-USD-PERP"),
        (.deribit, "ETH_USDC-PERPETUAL", "ETH-USDC-PERP"),
        (.deribit, "BTC-24SEP21", "BTC-USD-20210924"),
        (.deribit, "BTC-6AUG21-40000-C", "BTC-USD-20210806-40000-C"),
        (.deribit, "BTC_USDC", "BTC-USDC"),
    ])
    func heuristicSymbols(venue: Venue, native: String, symbol: String) throws {
        let i = try #require(InstrumentNaming.instrument(venue: venue, native: native))
        #expect(i.symbol == symbol)
        #expect(i.native == native)
        // And back: the venue's name for that market.
        #expect(InstrumentNaming.nativeName(venue: venue, base: i.base, quote: i.quote, kind: i.kind) == native)
    }

    @Test(arguments: [
        (Venue.binance, "USDT"), (.binance, ""), (.okx, "BTC"), (.okx, "BTC-USD-2205"), (.okx, "BTC-USD-220527-1-X"),
        (.deribit, "BTC-32SEP21"), (.deribit, "BTC-24SEP21-8000"), (.deribit, "-PERPETUAL"), (.binanceFutures, "BTCUSDT_2406"),
    ])
    func unknownShapesHaveNoInstrument(venue: Venue, native: String) {
        #expect(InstrumentNaming.instrument(venue: venue, native: native) == nil)
    }

    @Test func expirySpellings() {
        #expect(ExpiryDate.fromMilliseconds(1_632_470_400_000) == "20210924")
        #expect(ExpiryDate.fromMilliseconds(1_653_033_600_000) == "20220520")
        #expect(ExpiryDate.fromMilliseconds(-1) == "19691231")
        #expect(ExpiryDate.fromMilliseconds(.max).count >= 8, "hostile input yields some date, never a trap")
        #expect(ExpiryDate.milliseconds(of: "20210924") == 1_632_441_600_000)
        #expect(ExpiryDate.fromDeribit("6AUG21") == "20210806")
        #expect(ExpiryDate.fromDeribit("31DEC21") == "20211231")
        #expect(ExpiryDate.fromDeribit("24XYZ21") == nil)
        #expect(ExpiryDate.toDeribit("20210806") == "6AUG21")
        #expect(ExpiryDate.fromCryptofeed("21U24") == "20210924")
        #expect(ExpiryDate.fromCryptofeed("22K27") == "20220527")
        #expect(ExpiryDate.fromCryptofeed("21A24") == nil)
        #expect(ExpiryDate.fromYYMMDD("220527") == "20220527")
        #expect(ExpiryDate.fromYYMMDD("221327") == nil)
    }

    @Test func candleIntervals() {
        #expect(KlineInterval.closeTime(openTime: 1_633_998_480_000, interval: "1m") == 1_633_998_539_999)
        #expect(KlineInterval.closeTime(openTime: 0, interval: "4h") == 14_399_999)
        // Months follow the calendar: January 2024 has 31 days, February 29.
        let jan = ExpiryDate.milliseconds(of: "20240101")!
        #expect(KlineInterval.closeTime(openTime: jan, interval: "1M") == ExpiryDate.milliseconds(of: "20240201")! - 1)
        #expect(KlineInterval.closeTime(openTime: ExpiryDate.milliseconds(of: "20240201")!, interval: "1M") == ExpiryDate.milliseconds(of: "20240301")! - 1)
        #expect(KlineInterval.closeTime(openTime: .max, interval: "1m") == nil)
        #expect(KlineInterval.closeTime(openTime: 0, interval: "99999999999999999m") == nil)
        #expect(KlineInterval.fromOKX("1H") == "1h" && KlineInterval.fromOKX("1D") == "1d" && KlineInterval.fromOKX("1M") == "1M")
        #expect(KlineInterval.fromOKX("6Hutc") == "6hutc" && KlineInterval.toOKX("6hutc") == "6Hutc")
        #expect(KlineInterval.toOKX("1w") == "1W" && KlineInterval.toOKX("15m") == "15m")
    }

    @Test(arguments: [
        ("NKN-USDT", Venue.binance, "NKNUSDT"),
        ("BTC-USDT-PERP", .binanceFutures, "BTCUSDT"),
        ("BTC-USDT-24M28", .binanceFutures, "BTCUSDT_240628"),
        ("BTC-USD-22K27", .okx, "BTC-USD-220527"),
        ("UNI-USD-PERP", .okx, "UNI-USD-SWAP"),
        ("BTC-USDT", .okx, "BTC-USDT"),
        ("BTC-8000-21U24-put", .deribit, "BTC-24SEP21-8000-P"),
        ("ETH-2800-21N30-call", .deribit, "ETH-30JUL21-2800-C"),
        ("BTC-USD-PERP", .deribit, "BTC-PERPETUAL"),
        ("BTC-USD-21U24", .deribit, "BTC-24SEP21"),
    ])
    func cryptofeedSymbols(symbol: String, venue: Venue, native: String) {
        #expect(Subscription.nativeName(cryptofeedSymbol: symbol, venue: venue) == native)
    }

    @Test func cryptofeedConfigurationErrors() throws {
        let ok = try Subscription.fromCryptofeedConfiguration(
            json: Array(#"{"l2_book":["BTC-USDT"],"candles":["BTC-USDT"],"funding":[]}"#.utf8), venue: .okx)
        #expect(ok.entries.map(\.channel) == [.book, .kline(interval: "1m"), .funding])
        #expect(ok.includes(.book, native: "BTC-USDT") && !ok.includes(.funding))
        #expect(throws: FrameError.self) {
            try Subscription.fromCryptofeedConfiguration(json: Array(#"{"l3_book":["BTC-USDT"]}"#.utf8), venue: .okx)
        }
        #expect(throws: FrameError.self) {
            try Subscription.fromCryptofeedConfiguration(json: Array(#"{"trades":["BTC"]}"#.utf8), venue: .okx)
        }
    }

    @Test func catalogPrefersMetadataAndCachesFallbacks() throws {
        // Metadata can say what the naming convention cannot (a listed pair with an unusual quote).
        let odd = Instrument(venue: .binance, native: "ABCXYZ", base: "ABC", quote: "XYZ", kind: .spot)
        var catalog = InstrumentCatalog(venue: .binance, instruments: [odd])
        #expect(catalog.instrument(native: "ABCXYZ") == odd)
        #expect(catalog.instrument(native: "ETHBTC")?.symbol == "ETH-BTC")
        #expect(catalog.count == 1)
        let resolved = Array("ETHBTC".utf8).withUnsafeBytes { catalog.resolve($0) }
        #expect(resolved?.symbol == "ETH-BTC" && catalog.count == 2, "a fallback-derived instrument is remembered")
        #expect(catalog.instrument(symbol: "ABC-XYZ") == odd)
        let strict = InstrumentCatalog(venue: .binance, usesNamingFallback: false)
        #expect(strict.instrument(native: "ETHBTC") == nil)
        // Many names: the table grows and still finds every one.
        var big = InstrumentCatalog(venue: .okx, usesNamingFallback: false)
        for k in 0..<5000 { big.insert(Instrument(venue: .okx, native: "C\(k)-USDT", base: "C\(k)", quote: "USDT", kind: .spot)) }
        #expect((0..<5000).allSatisfy { big.instrument(native: "C\($0)-USDT")?.base == "C\($0)" })
        #expect(big.instrument(native: "C5000-USDT") == nil)
    }

    @Test func okxRestSnapshotCarriesSeqIdIn2026Protocol() throws {
        var adapter = OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: InstrumentCatalog(venue: .okx))
        let i = try #require(adapter.catalog.instrument(native: "BTC-USDT"))
        let body = #"{"code":"0","msg":"","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396","seqId":3235923}]}"#
        let book = try adapter.parseSnapshot(body: Array(body.utf8), instrument: i, receivedAt: .zero).get()
        #expect(book.sequence == BookSequence(first: 3_235_923, last: 3_235_923))
        #expect(book.kind == .snapshot && book.checksum == nil && book.exchangeTime == .milliseconds(1_629_966_436_396))
    }
}
