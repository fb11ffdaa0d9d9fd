import Model
import Testing

@testable import Books

/// The checksum kept from one message to the next (`OKXChecksumText`), taken from the book whole
/// (no delta): whatever the book did in between, it must equal the checksum computed from nothing,
/// and the kept levels must stand for the book's checksum text.
@Suite struct OKXChecksumTextTests {
    @Test func reusedTextGivesTheChecksumComputedFromNothing() throws {
        var random = SeededRandom(seed: 25)
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
        var book = OrderBook()
        var text = OKXChecksumText()
        var mid: Int64 = 100_000
        var cutAt25 = false
        for step in 0..<3_000 {
            switch below(8) {
            case 0...3:  // a few levels set or removed near the top
                for _ in 0..<(1 + below(4)) {
                    let side: BookSide = below(2) == 0 ? .bid : .ask
                    let ticks = Int64(1 + below(40))
                    let price = side == .bid ? mid - ticks : mid + ticks
                    // Same value, other text now and then ("1000.0" after "1000"): must not be copied.
                    let scaled = below(6) == 0
                    let size = below(4) == 0 ? FixedDecimal.zero : FixedDecimal(mantissa: Int64(1 + below(9)), scale: UInt8(below(3)))
                    try book.apply(
                        side: side, price: FixedDecimal(mantissa: scaled ? price * 10 : price, scale: scaled ? 2 : 1), size: size)
                }
            case 4:  // the market moves: levels change rank
                mid += Int64(below(9)) - 4
                try book.apply(side: .bid, price: FixedDecimal(mantissa: mid - 1, scale: 1), size: 1)
                try book.apply(side: .ask, price: FixedDecimal(mantissa: mid + 1, scale: 1), size: 1)
            case 5:  // now and then the book cleared, as a resync does
                if below(6) == 0 { book.removeAll() }
            default:
                break
            }
            let reused = text.checksum(book)
            #expect(reused == OKXChecksum.compute(book), "step \(step)")
            #expect(text.text == OKXChecksum.checksumText(book))
            if text.bids.count == OKXChecksum.depth || text.asks.count == OKXChecksum.depth { cutAt25 = true }
        }
        #expect(cutAt25)
    }

    @Test func bookChecksumsVerifiedThroughTheReusedText() throws {
        // The path the OKX machines take: apply an update and verify its checksum.
        var book = Fixture.book(bids: [("3366.1", "7"), ("3366", "6")], asks: [("3366.8", "9"), ("3368", "8"), ("3372", "8")])
        var counters = BookSyncCounters()
        var update = Fixture.update(Fixture.okx, .delta, first: 1, last: 1, bids: [("3366.1", "8")], asks: [])
        var expected = book
        try expected.apply(update)
        update.checksum = OKXChecksum.compute(expected)
        #expect(book.applyVerified(update, .standard, &counters) == nil)
        update.checksum = OKXChecksum.compute(expected) &+ 1
        #expect(book.applyVerified(update, .standard, &counters) != nil)
        #expect(counters.checksumsFailed == 1)
    }
}
