import Model
import Testing

@testable import Publishing

/// `IncrementalBookEncoder` must give byte for byte what the stateless `MessageEncoder` gives, whatever
/// came before: it copies level text from the previous message, so every way a book can move between
/// two messages is exercised here against the stateless encoding of the same view.
@Suite struct IncrementalBookEncoderTests {
    /// A random book that moves the way venue books do, with the odd jump no venue makes.
    struct RandomBook {
        var random: SeededRandom
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []
        var mid: Int64 = 10_000

        mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

        /// A price at `ticks` from mid, sometimes written with trailing zeros (same value, other text).
        mutating func price(_ ticks: Int64) -> FixedDecimal {
            let m = mid + ticks
            switch below(8) {
            case 0: return FixedDecimal(mantissa: m * 10, scale: 3)
            case 1: return FixedDecimal(mantissa: m * 100, scale: 4)
            default: return FixedDecimal(mantissa: m, scale: 2)
            }
        }

        mutating func size() -> FixedDecimal {
            FixedDecimal(mantissa: Int64(1 + below(5)) * (below(3) == 0 ? 10 : 1), scale: UInt8(below(4)))
        }

        /// Sorted best first, unique by value (as a book holds them).
        static func normalize(_ levels: [BookLevel], bids: Bool) -> [BookLevel] {
            var out: [BookLevel] = []
            for level in levels.sorted(by: { bids ? $0.price > $1.price : $0.price < $1.price })
            where out.last?.price != level.price {
                out.append(level)
            }
            return out
        }

        mutating func step() {
            switch below(10) {
            case 0...3:  // change a few sizes
                for _ in 0..<(1 + below(3)) {
                    if !bids.isEmpty, below(2) == 0 { bids[below(bids.count)].size = size() }
                    if !asks.isEmpty, below(2) == 0 { asks[below(asks.count)].size = size() }
                }
            case 4, 5:  // insert levels anywhere (top included)
                for _ in 0..<(1 + below(4)) {
                    bids.append(BookLevel(price: price(-Int64(below(60))), size: size()))
                    asks.append(BookLevel(price: price(1 + Int64(below(60))), size: size()))
                }
            case 6:  // delete levels anywhere
                for _ in 0..<(1 + below(4)) {
                    if !bids.isEmpty { bids.remove(at: below(bids.count)) }
                    if !asks.isEmpty { asks.remove(at: below(asks.count)) }
                }
            case 7:  // the market moves: every level shifts, many survive at new ranks
                let by = Int64(below(7)) - 3
                mid += by
            case 8:  // same values, other text (scale) for a level: must not be copied
                if !bids.isEmpty {
                    let k = below(bids.count)
                    let p = bids[k].price
                    if p.scale < 10 { bids[k].price = FixedDecimal(mantissa: p.mantissa * 10, scale: p.scale + 1) }
                }
            default:  // a new book from nothing (resync), sometimes empty sides
                bids = (0..<below(50)).map { _ in BookLevel(price: price(-Int64(below(80))), size: size()) }
                asks = (0..<below(50)).map { _ in BookLevel(price: price(1 + Int64(below(80))), size: size()) }
            }
            bids = Self.normalize(bids.filter { $0.price.mantissa > 0 }, bids: true)
            asks = Self.normalize(asks, bids: false)
        }
    }

    static let instrument = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)
    static let other = Instrument(
        venue: .deribit, native: "BTC-28JUN24-60000-C", base: "BTC", quote: "USD",
        kind: .option(expiry: "20240628", strike: 60000, right: .call))

    func view(_ book: RandomBook, instrument: Instrument, sequence: Int64, at ms: Int64) -> OrderbookView {
        OrderbookView(
            instrument: instrument, bids: book.bids, asks: book.asks, sequence: sequence,
            exchangeTime: .milliseconds(ms), receiveTime: Instant(nanoseconds: ms * 1_000_000 + 123_456))
    }

    func expectSame(_ a: OutboundMessage, _ b: OutboundMessage) {
        #expect(a.storage == b.storage)
        #expect(a.subject == b.subject)
        #expect(a.id == b.id)
        #expect(a.payload == b.payload)
    }

    @Test(arguments: [1, 2, 3, 7, 20, 400])
    func randomBookSequencesEncodeAsTheStatelessEncoder(depth: Int) {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: depth))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        var book = RandomBook(random: SeededRandom(seed: UInt64(depth) * 7919))
        var copied = 0
        var previousBids: [BookLevel] = []
        var previousAsks: [BookLevel] = []
        for n in 0..<1_500 {
            book.step()
            // Sequence 0 is an unsequenced book (a `t` id); the time crosses midnight once.
            let v = view(book, instrument: Self.instrument, sequence: n % 97 == 0 ? 0 : Int64(1_000 + n), at: 1_714_607_999_000 + Int64(n))
            let expected = stateless.encode(.orderbook(v))
            let actual: OutboundMessage
            if n % 3 == 0 {
                actual = encoder.encode(v)
            } else {
                // The publisher's way: the arrays are handed over and come back holding the previous levels.
                var bids = v.bids
                var asks = v.asks
                actual = encoder.encode(
                    v.instrument, bids: &bids, asks: &asks, sequence: v.sequence, exchangeTime: v.exchangeTime,
                    receiveTime: v.receiveTime)
                #expect(bids == previousBids && asks == previousAsks)
            }
            // The view's way keeps copies of the written levels only; the arrays' way keeps the arrays.
            previousBids = n % 3 == 0 ? Array(v.bids.prefix(depth)) : v.bids
            previousAsks = n % 3 == 0 ? Array(v.asks.prefix(depth)) : v.asks
            expectSame(actual, expected)
            if actual.storage != expected.storage { return }
            copied += encoder.lastCopiedLevels
        }
        // The point of the type: most levels are copied, not formatted again.
        #expect(copied > 0)
    }

    @Test func interleavedInstrumentsAndUnsortedLevels() {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: 10))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        var a = RandomBook(random: SeededRandom(seed: 11))
        var b = RandomBook(random: SeededRandom(seed: 12))
        var random = SeededRandom(seed: 13)
        for n in 0..<600 {
            a.step()
            b.step()
            var v = n % 3 == 0 ? view(b, instrument: Self.other, sequence: Int64(n), at: 1_714_564_800_000)
                : view(a, instrument: Self.instrument, sequence: Int64(n), at: 1_714_564_800_000 + Int64(n))
            if n % 5 == 0 {
                // Levels out of order (no venue book, but the encoder must not care).
                v.bids.shuffle(using: &random)
                v.asks.reverse()
            }
            expectSame(encoder.encode(v), stateless.encode(.orderbook(v)))
        }
    }

    @Test func unchangedBookIsCopiedWhole() {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: 400))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        var book = RandomBook(random: SeededRandom(seed: 5))
        book.bids = (0..<40).map { BookLevel(price: FixedDecimal(mantissa: 10_000 - Int64($0), scale: 2), size: 1) }
        book.asks = (0..<40).map { BookLevel(price: FixedDecimal(mantissa: 10_001 + Int64($0), scale: 2), size: 2) }
        let first = view(book, instrument: Self.instrument, sequence: 1, at: 1_714_564_800_000)
        expectSame(encoder.encode(first), stateless.encode(.orderbook(first)))
        #expect(encoder.lastCopiedLevels == 0)
        let second = view(book, instrument: Self.instrument, sequence: 2, at: 1_714_564_800_001)
        expectSame(encoder.encode(second), stateless.encode(.orderbook(second)))
        #expect(encoder.lastCopiedLevels == 80)
        // One size changes at rank 3 of the bids: everything else is copied.
        book.bids[3].size = 7
        let third = view(book, instrument: Self.instrument, sequence: 3, at: 1_714_564_800_002)
        expectSame(encoder.encode(third), stateless.encode(.orderbook(third)))
        #expect(encoder.lastCopiedLevels == 79)
    }

    @Test func longestLevelTextsEncodeAsTheStatelessEncoder() {
        let stateless = MessageEncoder(configuration: .init(orderbookDepth: 400))
        var encoder = IncrementalBookEncoder(encoder: stateless)
        let long = FixedDecimal(mantissa: -999_999_999_999_999_999, scale: 18)
        for n in 0..<3 {
            let bids = (0..<30).map { BookLevel(price: FixedDecimal(mantissa: Int64.max - Int64($0 + n), scale: 1), size: long) }
            let v = OrderbookView(
                instrument: Self.instrument, bids: bids, asks: bids.reversed(), sequence: Int64(n),
                exchangeTime: .milliseconds(1), receiveTime: .milliseconds(2))
            expectSame(encoder.encode(v), stateless.encode(.orderbook(v)))
        }
    }

    /// A writer that runs out of room starts over with twice as much: the copying writer must then
    /// give the same bytes and bounds as on a first try with room enough.
    @Test func copyingLevelsSurvivesTheWriterStartingOver() {
        var book = RandomBook(random: SeededRandom(seed: 99))
        book.bids = (0..<30).map { BookLevel(price: FixedDecimal(mantissa: 10_000 - Int64($0), scale: 2), size: 1) }
        var previous: [UInt8] = []
        var previousLevels: [BookLevel] = []
        var previousBounds: [Int32] = []
        for _ in 0..<50 {
            book.step()
            let levels = book.bids
            var bounds = [Int32](repeating: -1, count: levels.count + 1)
            let plain = levels.withUnsafeBufferPointer { l in JSONWriter.bytes(capacity: 1 << 16) { $0.levels(l) } }
            let incremental = previous.withUnsafeBufferPointer { bytes in
                previousLevels.withUnsafeBufferPointer { old in
                    previousBounds.withUnsafeBufferPointer { oldBounds in
                        levels.withUnsafeBufferPointer { l in
                            bounds.withUnsafeMutableBufferPointer { newBounds in
                                JSONWriter.bytes(capacity: 64) {
                                    _ = $0.levels(
                                        l, isBid: true,
                                        previous: .init(
                                            levels: old, bounds: oldBounds.baseAddress ?? UnsafePointer(newBounds.baseAddress!),
                                            bytes: bytes.isEmpty ? nil : bytes.baseAddress),
                                        bounds: newBounds.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
            #expect(incremental == plain)
            #expect(bounds.count == levels.count + 1)
            // Each bound points at its level's opening brace.
            #expect(bounds.dropLast().allSatisfy { incremental[Int($0)] == UInt8(ascii: "{") })
            previous = incremental
            previousLevels = levels
            previousBounds = bounds
        }
    }
}
