import Model
import Publishing

/// Small hand-made events for the publishing tests.
enum Fixtures {
    static let btcSpot = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)
    static let ethSwap = Instrument(venue: .okx, native: "ETH-USDT-SWAP", base: "ETH", quote: "USDT", kind: .perpetual)
    static let btcPerp = Instrument(
        venue: .binanceFutures, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .perpetual)
    static let option = Instrument(
        venue: .deribit, native: "BTC-28JUN24-60000-C", base: "BTC", quote: "USD",
        kind: .option(expiry: "20240628", strike: 60000, right: .call))

    static func dec(_ text: String) -> FixedDecimal { FixedDecimal(text)! }

    static func trade(_ id: Int, instrument: Instrument = btcSpot, receiveOffset: Int64 = 0) -> PublishableEvent {
        .trade(
            Trade(
                instrument: instrument, tradeId: "\(id)", price: dec("64000.10"), quantity: dec("0.35130000"),
                side: id % 2 == 0 ? .buy : .sell, exchangeTime: .milliseconds(1_714_564_800_000 + Int64(id)),
                receiveTime: Instant(nanoseconds: 1_714_564_800_000_000_000 + Int64(id) * 1_000_000 + 250_000 + receiveOffset)))
    }

    static func book(sequence: Int64, levels: Int = 5) -> PublishableEvent {
        let bids = (0..<levels).map { BookLevel(price: FixedDecimal(mantissa: 6_400_000 - Int64($0), scale: 2), size: dec("1.5")) }
        let asks = (0..<levels).map { BookLevel(price: FixedDecimal(mantissa: 6_400_001 + Int64($0), scale: 2), size: dec("0.25")) }
        return .orderbook(
            OrderbookView(
                instrument: btcSpot, bids: bids, asks: asks, sequence: sequence, exchangeTime: .milliseconds(1_714_564_800_000),
                receiveTime: .milliseconds(1_714_564_800_003)))
    }

    /// One event of each kind, for encoding and contract tests.
    static var everyKind: [PublishableEvent] {
        let t = Instant.milliseconds(1_714_564_800_000)
        let r = Instant.milliseconds(1_714_564_800_002)
        return [
            trade(1),
            book(sequence: 4_242, levels: 3),
            .ticker(
                Ticker(
                    instrument: btcSpot, bestBid: BookLevel(price: dec("64000.00"), size: dec("1.2")),
                    bestAsk: BookLevel(price: dec("64000.01"), size: dec("0.3")), sequence: 400_900_217, exchangeTime: t,
                    receiveTime: r)),
            .kline(
                Kline(
                    instrument: btcSpot, interval: "1m", openTime: .milliseconds(1_714_564_740_000),
                    closeTime: .milliseconds(1_714_564_799_999), open: dec("63990.5"), high: dec("64010"), low: dec("63980.25"),
                    close: dec("64000.1"), volume: dec("12.345"), closed: true, exchangeTime: t, receiveTime: r)),
            .funding(
                FundingRate(
                    instrument: btcPerp, rate: dec("0.00010000"), nextFundingTime: .milliseconds(1_714_579_200_000),
                    markPrice: dec("64001.2"), indexPrice: dec("63999.8"), exchangeTime: t, receiveTime: r)),
            .liquidation(
                Liquidation(instrument: btcPerp, side: .sell, price: dec("63500.5"), quantity: dec("0.014"), exchangeTime: t, receiveTime: r)),
            .openInterest(OpenInterest(instrument: ethSwap, amount: dec("1234567.8"), value: dec("3829000000.5"), exchangeTime: t, receiveTime: r)),
        ]
    }
}
