import Benchmark
import Books
import Model

// Book apply throughput. Each measured iteration applies exactly 1,000,000 level changes
// (`scalingFactor: .mega`), so the scaled throughput is level changes per second.
// Target (ARCHITECTURE.md): >= 10,000,000 level changes/s on one core, release.

/// One price level change as a parser would hand it over.
struct LevelChange {
    var side: BookSide
    var price: FixedDecimal
    var size: FixedDecimal
}

/// Ticks 0.01 apart on a 10,000-tick grid per side, half of them occupied: 5000 levels a side.
let gridTicks: Int64 = 10_000
let mid: Int64 = 3_000_000  // 30000.00

func startingBook() -> OrderBook {
    var book = OrderBook(capacity: 5000)
    for depth in stride(from: Int64(0), to: gridTicks, by: 2) {
        try! book.apply(side: .bid, price: FixedDecimal(mantissa: mid - 1 - depth, scale: 2), size: FixedDecimal(mantissa: 100_000, scale: 8))
        try! book.apply(side: .ask, price: FixedDecimal(mantissa: mid + 1 + depth, scale: 2), size: FixedDecimal(mantissa: 100_000, scale: 8))
    }
    return book
}

/// A million changes: `deepFraction` of them anywhere on the side, the rest within 100 ticks of the
/// top (real depth streams concentrate there). Half set a size (insert or modify), half delete,
/// which keeps the book near 5000 levels a side.
func changes(deepFraction: Double, seed: UInt64) -> [LevelChange] {
    var random = SeededRandom(seed: seed)
    return (0..<1_000_000).map { _ in
        let side: BookSide = random.next() & 1 == 0 ? .bid : .ask
        let depth = random.nextUnit() < deepFraction ? Int64(random.next() % UInt64(gridTicks)) : Int64(random.next() % 100)
        let tick = side == .bid ? mid - 1 - depth : mid + 1 + depth
        let size = random.next() & 1 == 0 ? 0 : Int64(random.next() % 10_000_000) + 1
        return LevelChange(side: side, price: FixedDecimal(mantissa: tick, scale: 2), size: FixedDecimal(mantissa: size, scale: 8))
    }
}

/// Binance-shaped deltas of 10 levels with contiguous U/u, for the sync machine's overhead on top of apply.
func binanceDeltas(from levelChanges: [LevelChange], instrument: Instrument) -> [BookUpdate] {
    var updates: [BookUpdate] = []
    var id: Int64 = 1_001
    for start in stride(from: 0, to: levelChanges.count, by: 10) {
        let slice = levelChanges[start..<min(start + 10, levelChanges.count)]
        let bids = slice.filter { $0.side == .bid }.map { BookLevel(price: $0.price, size: $0.size) }
        let asks = slice.filter { $0.side == .ask }.map { BookLevel(price: $0.price, size: $0.size) }
        updates.append(BookUpdate(
            instrument: instrument, kind: .delta, bids: bids, asks: asks,
            sequence: BookSequence(first: id, last: id + 2), exchangeTime: .zero, receiveTime: .zero))
        id += 3
    }
    return updates
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(
        metrics: [.throughput, .wallClock, .cpuUser], scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: 50)

    let topHeavy = changes(deepFraction: 0.1, seed: 1)
    let uniform = changes(deepFraction: 1.0, seed: 2)
    let seeded = startingBook()

    Benchmark("OrderBook apply, 5000 levels/side, 90% near top (level changes)", configuration: configuration) { benchmark in
        var book = seeded
        try! book.apply(side: .bid, price: FixedDecimal(mantissa: mid - 1, scale: 2), size: 1)  // unshare before timing
        benchmark.startMeasurement()
        for change in topHeavy { try! book.apply(side: change.side, price: change.price, size: change.size) }
        benchmark.stopMeasurement()
        blackHole(book.bidCount)
    }

    Benchmark("OrderBook apply, 5000 levels/side, uniform depth (level changes)", configuration: configuration) { benchmark in
        var book = seeded
        try! book.apply(side: .bid, price: FixedDecimal(mantissa: mid - 1, scale: 2), size: 1)
        benchmark.startMeasurement()
        for change in uniform { try! book.apply(side: change.side, price: change.price, size: change.size) }
        benchmark.stopMeasurement()
        blackHole(book.bidCount)
    }

    let instrument = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)
    let deltas = binanceDeltas(from: topHeavy, instrument: instrument)
    let snapshot = BookUpdate(
        instrument: instrument, kind: .snapshot, bids: seeded.levels(.bid), asks: seeded.levels(.ask),
        sequence: BookSequence(first: 1_001, last: 1_001), exchangeTime: .zero, receiveTime: .zero)  // inside the first delta (1001...1003)

    // Also counts allocations: a synced machine should allocate nothing per message.
    var syncConfiguration = configuration
    syncConfiguration.metrics += [.mallocCountTotal]
    Benchmark("BinanceSpotBookSync, 10-level deltas, 5000 levels/side (level changes)", configuration: syncConfiguration) { benchmark in
        var sync = BinanceSpotBookSync(instrument: instrument)
        var effects: [BookSyncEffect] = []
        effects.reserveCapacity(8)
        sync.handle(.update(deltas[0]), at: .zero, into: &effects)
        sync.handle(.snapshot(snapshot), at: .zero, into: &effects)
        precondition(sync.isValid, "the benchmark book must sync")
        benchmark.startMeasurement()
        for delta in deltas.dropFirst() {
            effects.removeAll(keepingCapacity: true)
            sync.handle(.update(delta), at: .zero, into: &effects)
        }
        benchmark.stopMeasurement()
        precondition(sync.isValid, "the benchmark book must stay valid")
        blackHole(sync.counters.levelChanges)
    }

    Benchmark("OKXChecksum over the top 25 levels (checksums)", configuration: .init(
        metrics: [.throughput, .wallClock, .cpuUser], scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(OKXChecksum.compute(seeded)) }
    }
}
