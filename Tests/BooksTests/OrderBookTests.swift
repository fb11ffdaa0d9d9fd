import Books
import Model
import Testing

@Suite struct OrderBookTests {
    @Test func insertUpdateDeleteKeepsBothSidesSortedBestFirst() throws {
        var book = OrderBook()
        for (p, s) in [("100.1", "1"), ("99.9", "2"), ("100.3", "3"), ("100.2", "4")] {
            try book.apply(side: .bid, price: Fixture.decimal(p), size: Fixture.decimal(s))
        }
        for (p, s) in [("101.5", "5"), ("100.9", "6"), ("101", "7")] {
            try book.apply(side: .ask, price: Fixture.decimal(p), size: Fixture.decimal(s))
        }
        #expect(book.bidCount == 4 && book.askCount == 3)
        #expect(book.bestBid == BookLevel(price: Fixture.decimal("100.3"), size: Fixture.decimal("3")))
        #expect(book.bestAsk == BookLevel(price: Fixture.decimal("100.9"), size: Fixture.decimal("6")))
        let top = book.top(3)
        #expect(top.bids.map(\.price.description) == ["100.3", "100.2", "100.1"])
        #expect(top.asks.map(\.price.description) == ["100.9", "101", "101.5"])

        try book.apply(side: .bid, price: Fixture.decimal("100.2"), size: Fixture.decimal("40"))
        try book.apply(side: .bid, price: Fixture.decimal("100.3"), size: .zero)
        try book.apply(side: .ask, price: Fixture.decimal("105"), size: .zero)  // absent: a no-op
        #expect(book.bidCount == 3 && book.askCount == 3)
        #expect(book.bestBid?.size == Fixture.decimal("40"))
        #expect(book.level(.bid, rank: 2)?.price == Fixture.decimal("99.9"))
        #expect(book.level(.bid, rank: 3) == nil)
        #expect(book.levels(.ask).map(\.size.description) == ["6", "7", "5"])
    }

    @Test func finerPriceRescalesTheBookAndKeepsOriginalText() throws {
        var book = OrderBook()
        try book.apply(side: .bid, price: Fixture.decimal("100"), size: Fixture.decimal("1.50"))
        try book.apply(side: .bid, price: Fixture.decimal("100.25"), size: Fixture.decimal("2"))
        try book.apply(side: .bid, price: Fixture.decimal("100.1"), size: Fixture.decimal("3"))
        #expect(book.priceScale == 2)
        #expect(book.levels(.bid).map(\.price.description) == ["100.25", "100.1", "100"])
        #expect(book.levels(.bid).map(\.size.description) == ["2", "3", "1.50"])
        // The same value at another scale addresses the same level.
        try book.apply(side: .bid, price: Fixture.decimal("100.10"), size: .zero)
        #expect(book.bidCount == 2)
    }

    @Test func unrepresentablePriceAndNegativeSizeThrowAndLeaveTheBookUnchanged() throws {
        var book = OrderBook()
        try book.apply(side: .ask, price: Fixture.decimal("9000000000"), size: 1)
        let before = book
        let fine = FixedDecimal(mantissa: 1, scale: 18)  // rescaling 9e9 to 18 digits overflows
        #expect(throws: BookError.priceNotRepresentable(side: .ask, price: fine, bookScale: 0)) {
            try book.apply(side: .ask, price: fine, size: 1)
        }
        #expect(throws: BookError.negativeSize(side: .bid, price: 1, size: -1)) {
            try book.apply(side: .bid, price: 1, size: -1)
        }
        #expect(book == before && book.priceScale == 0)
    }

    @Test func replaceAcceptsAnyOrderSkipsZerosAndLastDuplicateWins() throws {
        var book = Fixture.book(bids: [("1", "1")], asks: [("2", "1")])
        let snapshot = Fixture.update(
            Fixture.okx, .snapshot, first: 1, last: 1,
            bids: [("10.5", "1"), ("11", "2"), ("10.75", "0"), ("10.5", "9")],
            asks: [("12", "1"), ("11.5", "2")])
        try book.replace(with: snapshot)
        #expect(book.levels(.bid) == Fixture.levels([("11", "2"), ("10.5", "9")]))
        #expect(book.levels(.ask) == Fixture.levels([("11.5", "2"), ("12", "1")]))
        // A snapshot sent best first (the venues' order) gives the same book as one built level by level.
        let ordered = Fixture.update(
            Fixture.okx, .snapshot, first: 1, last: 1, bids: [("3", "1"), ("2", "1")], asks: [("4", "1"), ("5", "1")])
        #expect(try OrderBook(snapshot: ordered) == Fixture.book(bids: [("2", "1"), ("3", "1")], asks: [("5", "1"), ("4", "1")]))
    }

    @Test func crossedAndLockedBooksAreDetected() throws {
        var book = Fixture.book(bids: [("99", "1")], asks: [("100", "1")])
        #expect(!book.isCrossed)
        try book.apply(side: .bid, price: Fixture.decimal("100.0"), size: 1)
        #expect(book.isCrossed)  // locked counts: no venue leaves bid == ask resting
        try book.apply(side: .bid, price: 100, size: 0)
        #expect(!book.isCrossed)
        try book.apply(side: .ask, price: Fixture.decimal("98.5"), size: 1)
        #expect(book.isCrossed)
        #expect(!OrderBook().isCrossed)
    }

    @Test func equalityComparesValuesNotScales() throws {
        let a = Fixture.book(bids: [("1.5", "2"), ("1.25", "1")], asks: [("2", "3")])
        var b = OrderBook(priceScale: 4)
        try b.apply(side: .ask, price: Fixture.decimal("2.000"), size: Fixture.decimal("3.0"))
        try b.apply(side: .bid, price: Fixture.decimal("1.2500"), size: 1)
        try b.apply(side: .bid, price: Fixture.decimal("1.50"), size: 2)
        #expect(a == b)
        try b.apply(side: .bid, price: Fixture.decimal("1.5"), size: 3)
        #expect(a != b)
    }

    /// Against a dictionary model: thousands of random changes around a moving mid, 5000 levels deep.
    @Test func matchesADictionaryModelUnderRandomChanges() throws {
        var random = SeededRandom(seed: 42)
        var book = OrderBook()
        var model: [BookSide: [Int64: Int64]] = [.bid: [:], .ask: [:]]
        for step in 0..<40_000 {
            let side: BookSide = random.next() % 2 == 0 ? .bid : .ask
            // Bids at 1...5000 ticks below 100000, asks above; mostly near the top, sometimes deep.
            let depth = random.next() % 4 == 0 ? Int64(random.next() % 5000) : Int64(random.next() % 50)
            var tick = side == .bid ? 100_000 - 1 - depth : 100_000 + 1 + depth
            let size = random.next() % 3 == 0 ? 0 : Int64(random.next() % 1000) + 1
            // The first prices have one decimal fewer, so the book rescales once they are followed by finer ones.
            var price = FixedDecimal(mantissa: tick, scale: 2)
            if step < 100 {
                tick -= tick % 10
                price = FixedDecimal(mantissa: tick / 10, scale: 1)
            }
            try book.apply(side: side, price: price, size: FixedDecimal(mantissa: size, scale: 3))
            model[side]![tick] = size == 0 ? nil : size
        }
        for side in [BookSide.bid, .ask] {
            let expected = model[side]!.sorted { side == .bid ? $0.key > $1.key : $0.key < $1.key }
            let actual = book.levels(side)
            #expect(actual.count == expected.count)
            #expect(actual.count > 1000)
            let matches = zip(actual, expected).allSatisfy {
                $0.price == FixedDecimal(mantissa: $1.key, scale: 2) && $0.size == FixedDecimal(mantissa: $1.value, scale: 3)
            }
            #expect(matches)
        }
        #expect(!book.isCrossed)
    }

    /// Grow one side to 5000 levels (many chunk splits), thin it to a few (merges, emptied chunks),
    /// then grow it again from the freed storage: best-first order and counts hold throughout.
    @Test func survivesGrowingThinningAndRegrowing() throws {
        var book = OrderBook()
        var random = SeededRandom(seed: 9)
        var present = Set<Int64>()
        func check() {
            let expected = present.sorted(by: >)
            #expect(book.levels(.bid).map(\.price.mantissa) == expected)
            #expect(book.bidCount == expected.count)
            #expect(book.bestBid?.price.mantissa == expected.first)
        }
        for tick in Int64(1)...5000 {
            let t = tick * 7919 % 5003  // a scrambled insertion order
            try book.apply(side: .bid, price: FixedDecimal(mantissa: t, scale: 0), size: 1)
            present.insert(t)
        }
        check()
        for t in present.sorted() where random.next() % 50 != 0 {
            try book.apply(side: .bid, price: FixedDecimal(mantissa: t, scale: 0), size: 0)
            present.remove(t)
        }
        check()
        #expect(book.bidCount < 300)
        for _ in 0..<3000 {
            let t = Int64(random.next() % 6000)
            try book.apply(side: .bid, price: FixedDecimal(mantissa: t, scale: 0), size: 2)
            present.insert(t)
        }
        check()
        #expect(book.level(.bid, rank: book.bidCount - 1)?.price.mantissa == present.min())
    }
}
