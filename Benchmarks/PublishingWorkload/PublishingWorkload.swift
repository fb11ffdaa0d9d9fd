import Model
import Publishing

/// The core publish path's workload, shared by `PublishingBenchmarks` (timed) and `PublishProfile`
/// (callgrind), so the instruction counts quoted in docs/messages.md are of the loop the benchmark times.
public enum PublishingWorkload {
    public static let instruments = [
        Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot),
        Instrument(venue: .okx, native: "ETH-USDT-SWAP", base: "ETH", quote: "USDT", kind: .perpetual),
        Instrument(venue: .deribit, native: "BTC-PERPETUAL", base: "BTC", quote: "USD", kind: .perpetual),
    ]

    /// A realistic mix: one top-20 book every `booksEvery` events (0: trades only), the rest trades,
    /// three instruments on three venues.
    public static func events(count: Int, booksEvery: Int = 10) -> [PublishableEvent] {
        var random = SeededRandom(seed: 6)
        return (0..<count).map { i in
            let instrument = instruments[i % instruments.count]
            let t = Instant.milliseconds(1_714_564_800_000 + Int64(i / 4))
            let price = FixedDecimal(mantissa: 6_400_000 + Int64(random.next() % 5_000), scale: 2)
            if booksEvery > 0 && i % booksEvery == 0 {
                let bids = (0..<20).map { BookLevel(price: price - FixedDecimal(mantissa: Int64($0), scale: 2), size: FixedDecimal(mantissa: 1_500 + Int64($0), scale: 4)) }
                let asks = (0..<20).map { BookLevel(price: price + FixedDecimal(mantissa: Int64($0) + 1, scale: 2), size: FixedDecimal(mantissa: 2_500 + Int64($0), scale: 4)) }
                return .orderbook(OrderbookView(instrument: instrument, bids: bids, asks: asks, sequence: Int64(i), exchangeTime: t, receiveTime: t + .microseconds(400)))
            }
            return .trade(
                Trade(
                    instrument: instrument, tradeId: String(1_000_000_000 + i), price: price,
                    quantity: FixedDecimal(mantissa: Int64(random.next() % 100_000) + 1, scale: 8), side: i & 1 == 0 ? .buy : .sell,
                    exchangeTime: t, receiveTime: t + .microseconds(250)))
        }
    }

    /// Encodes and publishes every event into an acked in-process sink; returns the acked count.
    public static func publishAll(_ events: [PublishableEvent]) -> Int {
        var publisher = SinkPublisher(sink: InProcessSink(), core: PublisherCore(configuration: .init(maxInFlight: 4096)))
        var now = Instant.zero
        for (i, event) in events.enumerated() {
            publisher.publish(event, at: now)
            now.nanoseconds &+= 1
            if i & 0xFFFF == 0xFFFF { publisher.sink.removeAll() }  // keep the sink's memory flat
        }
        return publisher.stats.acked
    }
}
