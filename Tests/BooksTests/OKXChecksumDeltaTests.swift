import Model
import Testing

@testable import Books

/// `applyVerified` follows the delta in the checksum's kept levels (formatting only what changed)
/// when they described the revision the delta started from. Over random histories it must give
/// exactly the checksum computed from nothing, accept every right checksum and report every wrong one.
@Suite struct OKXChecksumDeltaTests {
    @Test func deltaBuiltTextMatchesTheChecksumFromNothing() throws {
        var random = SeededRandom(seed: 4_2025)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
        var book = OrderBook()
        var counters = BookSyncCounters()
        var mid: Int64 = 50_000
        var sequence: Int64 = 0
        var knownPath = 0
        var mismatches = 0
        var disagreements = 0
        func level(_ side: BookSide) -> BookLevel {
            // Deep enough (up to 60 levels a side) that the top-25 boundary moves both ways.
            let ticks = Int64(1 + below(60))
            let price = side == .bid ? mid - ticks : mid + ticks
            let scaled = below(8) == 0  // same value, other text ("5000.10" after "5000.1")
            let size = below(3) == 0 ? FixedDecimal.zero : FixedDecimal(mantissa: Int64(1 + below(99)), scale: UInt8(below(3)))
            return BookLevel(price: FixedDecimal(mantissa: scaled ? price * 10 : price, scale: scaled ? 2 : 1), size: size)
        }
        for step in 0..<4_000 {
            sequence += 1
            var kind = BookUpdate.Kind.delta
            var bids: [BookLevel] = []
            var asks: [BookLevel] = []
            switch below(20) {
            case 0:  // a resync: a fresh snapshot
                kind = .snapshot
                mid += Int64(below(21)) - 10
                for _ in 0..<below(50) { bids.append(level(.bid)) }
                for _ in 0..<below(50) { asks.append(level(.ask)) }
            case 1:  // a change outside any delta (the text no longer follows the book)
                let side: BookSide = below(2) == 0 ? .bid : .ask
                let changed = level(side)
                try book.apply(side: side, price: changed.price, size: changed.size)
            case 2:  // the market moves: many ranks shift
                mid += Int64(below(11)) - 5
                for _ in 0..<(1 + below(10)) { bids.append(level(.bid)) }
                for _ in 0..<(1 + below(10)) { asks.append(level(.ask)) }
            default:  // a few levels, sometimes one side only, sometimes the same price twice
                for _ in 0..<below(4) { bids.append(level(.bid)) }
                for _ in 0..<below(4) { asks.append(level(.ask)) }
                if below(10) == 0, let first = bids.first { bids.append(BookLevel(price: first.price, size: 7)) }
            }
            var expected = book
            try expected.apply(
                BookUpdate(
                    instrument: Fixture.okx, kind: kind, bids: bids, asks: asks,
                    sequence: BookSequence(first: sequence, last: sequence), exchangeTime: .milliseconds(sequence),
                    receiveTime: .milliseconds(sequence)))
            let right = OKXChecksum.compute(expected)
            let wrong = below(10) == 0
            let skipped = below(15) == 0  // no checksum sent: the text falls behind the book
            let checksum: Int32? = skipped ? nil : (wrong ? right &+ Int32(1 + below(1000)) : right)
            let update = BookUpdate(
                instrument: Fixture.okx, kind: kind, bids: bids, asks: asks,
                sequence: BookSequence(first: sequence, last: sequence), checksum: checksum,
                exchangeTime: .milliseconds(sequence), receiveTime: .milliseconds(sequence))
            if kind == .delta, !(bids.isEmpty && asks.isEmpty), book.revision == book.checksumText.revision {
                knownPath += 1
            }
            let result = book.applyVerified(update, .standard, &counters)
            if case .crossed = result {
                // Random levels may cross; start over from an empty book, as a resync would.
                disagreements += book.checksumText.disagreements
                book = OrderBook()
                continue
            }
            if skipped || checksum == 0 {
                #expect(result == nil, "step \(step)")
                continue
            }
            if wrong {
                mismatches += 1
                #expect(result == .checksumMismatch(expected: checksum!, computed: right), "step \(step)")
            } else {
                #expect(result == nil, "step \(step)")
            }
            #expect(book.checksumText.text == OKXChecksum.checksumText(book), "step \(step)")
        }
        #expect(knownPath > 1_000)
        #expect(mismatches > 100)
        #expect(counters.checksumsFailed == mismatches)
        // The delta path was right on its own, never saved by taking a side from the ladder whole.
        #expect(disagreements + book.checksumText.disagreements == 0)
    }
}
