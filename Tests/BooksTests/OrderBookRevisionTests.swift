import Books
import Model
import Testing

/// `OrderBook.revision` and `revisionBeforeDelta` let a publisher write a book from its last message
/// and one delta: the claim "the book is revision r plus this delta" must hold exactly when they say so.
@Suite struct OrderBookRevisionTests {
    func delta(_ bids: [(String, String)] = [], _ asks: [(String, String)] = [], id: Int64 = 1) -> BookUpdate {
        Fixture.update(Fixture.binanceSpot, .delta, first: id, last: id, bids: bids, asks: asks)
    }

    @Test func aDeltaWithLevelsIsOneRevisionOnTopOfTheLast() throws {
        var book = OrderBook()
        #expect(book.revisionBeforeDelta == nil)
        try book.replace(with: Fixture.update(Fixture.binanceSpot, .snapshot, first: 1, last: 1, bids: [("100", "1")], asks: [("101", "1")]))
        let afterSnapshot = book.revision
        // A snapshot is no delta: the whole book must be read.
        #expect(book.revisionBeforeDelta == nil)
        try book.apply(delta([("99", "2"), ("100", "0")], [("101", "3")], id: 2))
        #expect(book.revision == afterSnapshot + 1)
        #expect(book.revisionBeforeDelta == afterSnapshot)
        // A delta without levels (a heartbeat) changes nothing, so it is no change at all.
        try book.apply(delta(id: 3))
        #expect(book.revision == afterSnapshot + 1)
        #expect(book.revisionBeforeDelta == afterSnapshot)
        try book.apply(delta([("98", "1")], id: 4))
        #expect(book.revisionBeforeDelta == afterSnapshot + 1)
    }

    @Test func everyOtherChangeEndsTheClaim() throws {
        var book = Fixture.book(bids: [("100", "1")], asks: [("101", "1")])
        try book.apply(delta([("99", "2")]))
        #expect(book.revisionBeforeDelta != nil)
        // A single level applied outside a delta.
        var single = book
        try single.apply(side: .bid, price: Fixture.decimal("98"), size: Fixture.decimal("1"))
        #expect(single.revision == book.revision + 1 && single.revisionBeforeDelta == nil)
        // Cleared.
        var cleared = book
        cleared.removeAll()
        #expect(cleared.revision == book.revision + 1 && cleared.revisionBeforeDelta == nil)
        // A delta that fails half way (a negative size after a good level): the book is partly changed.
        var failed = book
        #expect(throws: BookError.self) { try failed.apply(delta([("97", "1"), ("96", "-1")])) }
        #expect(failed.revision == book.revision + 1 && failed.revisionBeforeDelta == nil)
        // A snapshot that fails leaves the book and its revision as they were.
        var unchanged = book
        #expect(throws: BookError.self) {
            try unchanged.replace(with: Fixture.update(Fixture.binanceSpot, .snapshot, first: 5, last: 5, bids: [("1", "-1")]))
        }
        #expect(unchanged.revision == book.revision && unchanged.revisionBeforeDelta == book.revisionBeforeDelta)
    }
}
