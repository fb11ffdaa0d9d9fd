import Model
import Testing

@testable import Publishing

/// `IncrementalBookEncoder.encode(_:applying:...)` writes a book from the previous message and one
/// delta's levels without reading the book: it must give the stateless encoder's bytes for the real
/// top after every delta it accepts, and decline (nil) whenever the top does not follow from the last
/// message. A plain reference book (sorted arrays, levels keyed by value, the last of equal prices
/// wins, a zero size removes) applies random deltas the way `OrderBook` does.
@Suite struct IncrementalBookEncoderDeltaTests {
    /// A book as `OrderBook` keeps it: best first, one level per price value, the text as last applied.
    struct ReferenceBook {
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []

        mutating func apply(_ level: BookLevel, isBid: Bool) {
            if isBid { Self.apply(level, to: &bids, better: { $0 > $1 }) } else { Self.apply(level, to: &asks, better: { $0 < $1 }) }
        }

        static func apply(_ level: BookLevel, to side: inout [BookLevel], better: (FixedDecimal, FixedDecimal) -> Bool) {
            let i = side.firstIndex { !better($0.price, level.price) } ?? side.count
            let present = i < side.count && side[i].price == level.price
            if level.size.mantissa == 0 {
                if present { side.remove(at: i) }
            } else if present {
                side[i] = level
            } else {
                side.insert(level, at: i)
            }
        }
    }

    /// Random deltas shaped like venue traffic plus what no venue sends in practice.
    struct DeltaSource {
        var random: SeededRandom
        var mid: Int64 = 10_000

        mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

        /// A price `ticks` from mid, now and then with trailing zeros (the same level, other text).
        mutating func price(_ ticks: Int64) -> FixedDecimal {
            let m = mid + ticks
            switch below(10) {
            case 0: return FixedDecimal(mantissa: m * 10, scale: 3)
            case 1: return FixedDecimal(mantissa: m * 100, scale: 4)
            default: return FixedDecimal(mantissa: m, scale: 2)
            }
        }

        mutating func size() -> FixedDecimal {
            switch below(12) {
            case 0, 1, 2: return .zero  // a removal (sometimes of a level that is not there)
            default: return FixedDecimal(mantissa: Int64(1 + below(9)) * (below(3) == 0 ? 10 : 1), scale: UInt8(below(4)))
            }
        }

        /// One side's changes: a few levels near the top or anywhere, in venue order or not, with repeats.
        mutating func changes(isBid: Bool, spread: Int64) -> [BookLevel] {
            var out: [BookLevel] = []
            let n = below(10) == 0 ? below(25) : below(4)
            for _ in 0..<n {
                let ticks = below(3) == 0 ? Int64(below(5)) : Int64(below(Int(spread)))
                out.append(BookLevel(price: price(isBid ? -ticks : 1 + ticks), size: size()))
            }
            switch below(6) {
            case 0: out.shuffle(using: &random)
            case 1: if let first = out.first { out.append(BookLevel(price: first.price, size: size())) }  // the same price twice
            default: out.sort { isBid ? $0.price > $1.price : $0.price < $1.price }
            }
            return out
        }
    }

    static let instrument = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)

    struct Run {
        var applied = 0
        var declined = 0
        var copied = 0
    }

    /// Publishes `steps` random books through the delta path where it accepts, the full top where not,
    /// each message checked against the stateless encoding of the reference book's top.
    func run(depth: Int, seed: UInt64, steps: Int, spread: Int64, snapshotEvery: Int) -> Run {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: depth))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        var source = DeltaSource(random: SeededRandom(seed: seed))
        var book = ReferenceBook()
        var revision: UInt64 = 0
        var run = Run()
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []
        for n in 0..<steps {
            let time = Instant.milliseconds(1_714_607_999_000 + Int64(n))
            let sequence = Int64(1_000 + n)
            var message: OutboundMessage?
            if n % snapshotEvery == 0 {
                // A new book from nothing (a resync): only the full top can be written.
                book = ReferenceBook()
                for _ in 0..<source.below(60) {
                    book.apply(BookLevel(price: source.price(-Int64(source.below(Int(spread)))), size: source.size()), isBid: true)
                    book.apply(BookLevel(price: source.price(1 + Int64(source.below(Int(spread)))), size: source.size()), isBid: false)
                }
                revision += 1
            } else {
                if source.below(8) == 0 { source.mid += Int64(source.below(5)) - 2 }
                let bidChanges = source.changes(isBid: true, spread: spread)
                let askChanges = source.changes(isBid: false, spread: spread)
                for level in bidChanges { book.apply(level, isBid: true) }
                for level in askChanges { book.apply(level, isBid: false) }
                // A crossed book breaks on a venue; here the levels that cross are dropped, as a second change.
                var crossed = false
                while let bid = book.bids.first, let ask = book.asks.first, bid.price >= ask.price {
                    book.asks.removeFirst()
                    crossed = true
                }
                revision += crossed ? 2 : 1
                message = encoder.encode(
                    Self.instrument, applying: bidChanges, askChanges, bidCount: book.bids.count, askCount: book.asks.count,
                    revision: revision, after: revision - 1, sequence: sequence, exchangeTime: time, receiveTime: time)
                if crossed { #expect(message == nil) }
            }
            let view = OrderbookView(
                instrument: Self.instrument, bids: Array(book.bids.prefix(depth)), asks: Array(book.asks.prefix(depth)),
                sequence: sequence, exchangeTime: time, receiveTime: time)
            let expected = stateless.encode(.orderbook(view))
            if let message {
                run.applied += 1
                run.copied += encoder.lastCopiedLevels
                #expect(message.storage == expected.storage, "step \(n)")
                if message.storage != expected.storage { return run }
            } else {
                if n % snapshotEvery != 0 { run.declined += 1 }
                bids = view.bids
                asks = view.asks
                let full = encoder.encode(
                    Self.instrument, bids: &bids, asks: &asks, revision: revision, sequence: sequence, exchangeTime: time,
                    receiveTime: time)
                #expect(full.storage == expected.storage, "step \(n)")
                if full.storage != expected.storage { return run }
            }
        }
        return run
    }

    @Test(arguments: [1, 2, 3, 7, 20, 400])
    func deltasEncodeAsTheStatelessEncoderOfTheTop(depth: Int) {
        let run = run(depth: depth, seed: UInt64(depth) * 104_729, steps: 3_000, spread: 60, snapshotEvery: 250)
        // The delta path does the work: most books are written from the last message.
        #expect(run.applied > 1_500)
        #expect(run.copied > 0)
        if depth <= 20 {
            // Sides cut at the depth that lose levels cannot be written without the book.
            #expect(run.declined > 0)
        }
    }

    @Test func deepBooksCutAtTheDepthAndNarrowOnes() {
        let wide = run(depth: 20, seed: 7, steps: 2_000, spread: 400, snapshotEvery: 500)
        #expect(wide.applied > 1_000)
        let narrow = run(depth: 400, seed: 8, steps: 2_000, spread: 6, snapshotEvery: 97)
        #expect(narrow.applied > 1_000)
    }

    @Test func declinesWithoutTheRevisionOrInstrumentOfTheLastMessage() {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: 400))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        let level = BookLevel(price: FixedDecimal(mantissa: 10_000, scale: 2), size: 1)
        let change = [BookLevel(price: FixedDecimal(mantissa: 9_999, scale: 2), size: 2)]
        func delta(_ instrument: Instrument, after base: UInt64) -> OutboundMessage? {
            encoder.encode(
                instrument, applying: change, [], bidCount: 2, askCount: 0, revision: base + 1, after: base, sequence: 2,
                exchangeTime: .milliseconds(1), receiveTime: .milliseconds(2))
        }
        // Nothing encoded yet.
        #expect(delta(Self.instrument, after: 0) == nil)
        var bids = [level]
        var asks: [BookLevel] = []
        _ = encoder.encode(
            Self.instrument, bids: &bids, asks: &asks, revision: 5, sequence: 1, exchangeTime: .milliseconds(1),
            receiveTime: .milliseconds(2))
        #expect(delta(Self.instrument, after: 4) == nil)
        let other = Instrument(venue: .binance, native: "ETHUSDT", base: "ETH", quote: "USDT", kind: .spot)
        #expect(delta(other, after: 5) == nil)
        let message = delta(Self.instrument, after: 5)
        let view = OrderbookView(
            instrument: Self.instrument, bids: [level, change[0]], asks: [], sequence: 2, exchangeTime: .milliseconds(1),
            receiveTime: .milliseconds(2))
        #expect(message?.storage == stateless.encode(.orderbook(view)).storage)
        // A book encoded without a revision (a view) cannot be followed by a delta.
        _ = encoder.encode(view)
        #expect(delta(Self.instrument, after: 6) == nil)
    }

    @Test func changesAreSortedBestFirstKeepingTheLastOfEqualPrices() {
        var levels = [
            BookLevel(price: FixedDecimal(mantissa: 101, scale: 0), size: 1),
            BookLevel(price: FixedDecimal(mantissa: 1030, scale: 1), size: 2),
            BookLevel(price: FixedDecimal(mantissa: 103, scale: 0), size: 3),
            BookLevel(price: FixedDecimal(mantissa: 102, scale: 0), size: 4),
            BookLevel(price: FixedDecimal(mantissa: 10100, scale: 2), size: 5),
        ]
        #expect(!SideEdits.isSortedAndUnique(levels, isBid: true))
        SideEdits.sortKeepingLast(&levels, isBid: true)
        #expect(levels.map(\.size) == [3, 4, 5])
        #expect(levels.map(\.price.scale) == [0, 0, 2])
        #expect(SideEdits.isSortedAndUnique(levels, isBid: true))
        #expect(!SideEdits.isSortedAndUnique(levels, isBid: false))
    }
}
