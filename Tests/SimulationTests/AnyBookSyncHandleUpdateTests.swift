import Books
import Model
import Testing

@testable import Stack

/// `AnyBookSync.handleUpdate` is the stack's path for a book message: it leaves out the final
/// `.publish(update)` of this very message and says so instead. Over random histories (gaps,
/// duplicates, late copies, snapshots, heartbeats, REST snapshots, resets) on every venue machine it
/// must leave the machine exactly where `handle(.update(update))` leaves it and produce the same
/// effects, but for that one when it answers true.
@Suite struct AnyBookSyncHandleUpdateTests {
    struct Source {
        var random: SeededRandom
        var next: Int64 = 1_000

        mutating func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

        mutating func levels() -> [BookLevel] {
            (0..<below(4)).map { _ in
                BookLevel(price: FixedDecimal(mantissa: Int64(100 + below(20)), scale: 0), size: FixedDecimal(mantissa: Int64(below(3)), scale: 0))
            }
        }

        /// A message continuing the stream most of the time, else a gap, a copy of an older id, a
        /// heartbeat (no levels) or a full book.
        mutating func update(_ instrument: Instrument) -> BookUpdate {
            var first = next
            switch below(12) {
            case 0: first += Int64(1 + below(3))  // a gap
            case 1: first -= Int64(1 + below(4))  // an old copy
            default: break
            }
            let last = first + Int64(below(3))
            next = max(next, last + 1)
            let kind: BookUpdate.Kind = below(15) == 0 ? .snapshot : .delta
            let bids = kind == .snapshot ? [BookLevel(price: FixedDecimal(mantissa: 99, scale: 0), size: FixedDecimal(mantissa: 1, scale: 0))] : levels().filter { $0.price.mantissa < 110 }
            let asks = kind == .snapshot ? [BookLevel(price: FixedDecimal(mantissa: 121, scale: 0), size: FixedDecimal(mantissa: 1, scale: 0))] : levels().map {
                BookLevel(price: FixedDecimal(mantissa: $0.price.mantissa + 20, scale: 0), size: $0.size)
            }
            return BookUpdate(
                instrument: instrument, kind: kind, bids: below(8) == 0 ? [] : bids, asks: below(8) == 0 ? [] : asks,
                sequence: BookSequence(first: first, last: last, previous: first - 1), exchangeTime: .zero, receiveTime: .zero)
        }

        mutating func snapshot(_ instrument: Instrument) -> BookUpdate {
            let id = next - Int64(below(4))
            return BookUpdate(
                instrument: instrument, kind: .snapshot,
                bids: [BookLevel(price: FixedDecimal(mantissa: 98, scale: 0), size: FixedDecimal(mantissa: 2, scale: 0))],
                asks: [BookLevel(price: FixedDecimal(mantissa: 122, scale: 0), size: FixedDecimal(mantissa: 2, scale: 0))],
                sequence: BookSequence(first: id, last: id, previous: nil), exchangeTime: .zero, receiveTime: .zero)
        }
    }

    static let cases: [(Instrument, OKXBookProtocol)] = [
        (Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot), .auto),
        (Instrument(venue: .binanceFutures, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .perpetual), .auto),
        (Instrument(venue: .okx, native: "BTC-USDT", base: "BTC", quote: "USDT", kind: .spot), .auto),
        (Instrument(venue: .okx, native: "BTC-USDT", base: "BTC", quote: "USDT", kind: .spot), .legacy),
        (Instrument(venue: .okx, native: "BTC-USDT", base: "BTC", quote: "USDT", kind: .spot), .restSnapshot),
        (Instrument(venue: .deribit, native: "BTC-PERPETUAL", base: "BTC", quote: "USD", kind: .perpetual), .auto),
    ]

    @Test(arguments: 0..<6)
    func leavesOutOnlyTheFinalPublishOfTheMessage(caseIndex: Int) {
        let (instrument, okxProtocol) = Self.cases[caseIndex]
        var source = Source(random: SeededRandom(seed: UInt64(caseIndex + 11)))
        var viaHandle = AnyBookSync(instrument: instrument, configuration: .standard, okxProtocol: okxProtocol)
        var viaUpdate = viaHandle
        var published = 0
        for _ in 0..<3_000 {
            var expected: [BookSyncEffect] = []
            var effects: [BookSyncEffect] = []
            switch source.below(40) {
            case 0:
                viaHandle.handle(.reset, at: .zero, into: &expected)
                viaUpdate.handle(.reset, at: .zero, into: &effects)
                #expect(effects == expected)
                continue
            case 1, 2:
                let snapshot = source.snapshot(instrument)
                viaHandle.handle(.snapshot(snapshot), at: .zero, into: &expected)
                viaUpdate.handle(.snapshot(snapshot), at: .zero, into: &effects)
                #expect(effects == expected)
                continue
            default:
                break
            }
            let update = source.update(instrument)
            viaHandle.handle(.update(update), at: .zero, into: &expected)
            let publishes = viaUpdate.handleUpdate(update, at: .zero, into: &effects)
            if publishes {
                published += 1
                #expect(expected.last == .publish(update))
                #expect(effects == Array(expected.dropLast()))
            } else {
                #expect(effects == expected)
            }
            #expect(viaUpdate.sequence == viaHandle.sequence && viaUpdate.state == viaHandle.state)
            #expect(viaUpdate.book == viaHandle.book && viaUpdate.duplicatesIgnored == viaHandle.duplicatesIgnored)
        }
        // The history reached the fast answer often.
        #expect(published > 300)
    }
}
