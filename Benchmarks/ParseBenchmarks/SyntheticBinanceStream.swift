import Exchanges
import Model

/// A synthetic Binance spot combined stream: depth@100ms diffs (1-8 levels a side, contiguous U/u)
/// interleaved 1:1 with aggTrades over 8 symbols, written by `BinanceFrameEncoder` from a seeded
/// random walk. Frames average ~230 bytes, like the real capture's.
enum SyntheticBinanceStream {
    static let natives = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "NKNUSDT", "LRCBTC", "BLZETH"]

    static func frames(count: Int, seed: UInt64 = 1) -> [[UInt8]] {
        var rng = SeededRandom(seed: seed)
        let instruments = natives.map { InstrumentNaming.instrument(venue: .binance, native: $0)! }
        var nextId = [Int64](repeating: 1_000_000, count: instruments.count)
        var tradeId = [Int64](repeating: 50_000_000, count: instruments.count)
        let encoder = BinanceFrameEncoder(venue: .binance)
        var time: Int64 = 1_700_000_000_000
        var frames: [[UInt8]] = []
        frames.reserveCapacity(count)
        func level(_ mid: Int64, _ side: Int64, _ rng: inout SeededRandom) -> BookLevel {
            let price = FixedDecimal(mantissa: mid + side * Int64(rng.next() % 500), scale: 2)
            let size = FixedDecimal(mantissa: rng.next() % 4 == 0 ? 0 : Int64(rng.next() % 100_000_000), scale: 8)
            return BookLevel(price: price, size: size)
        }
        for k in 0..<count {
            let s = Int(rng.next() % UInt64(instruments.count))
            let mid: Int64 = 3_000_000 + Int64(rng.next() % 1000)
            time += Int64(rng.next() % 7)
            var frame: [UInt8] = []
            frame.reserveCapacity(512)
            if k % 2 == 0 {
                let n = Int64(rng.next() % 5)
                let update = BookUpdate(
                    instrument: instruments[s], kind: .delta,
                    bids: (0..<Int(rng.next() % 8 + 1)).map { _ in level(mid, -1, &rng) },
                    asks: (0..<Int(rng.next() % 8 + 1)).map { _ in level(mid, 1, &rng) },
                    sequence: BookSequence(first: nextId[s], last: nextId[s] + n), exchangeTime: .milliseconds(time),
                    receiveTime: .zero)
                nextId[s] += n + 1
                encoder.encodeDepthUpdate(update, into: &frame)
            } else {
                tradeId[s] += 1
                let trade = Trade(
                    instrument: instruments[s], tradeId: String(tradeId[s]), price: FixedDecimal(mantissa: mid, scale: 2),
                    quantity: FixedDecimal(mantissa: Int64(rng.next() % 10_000_000) + 1, scale: 8),
                    side: rng.next() & 1 == 0 ? .buy : .sell, exchangeTime: .milliseconds(time), receiveTime: .zero)
                encoder.encodeTrade(trade, into: &frame)
            }
            frames.append(frame)
        }
        return frames
    }

    /// The subscription and an adapter as the collector would build them (instruments from the naming fallback).
    static func adapter() -> BinanceSpotAdapter {
        BinanceSpotAdapter(
            subscription: Subscription(venue: .binance, channels: [.book, .trades], instruments: natives),
            catalog: InstrumentCatalog(venue: .binance))
    }
}
