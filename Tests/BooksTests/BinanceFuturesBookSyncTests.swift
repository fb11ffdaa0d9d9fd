import Books
import Model
import Testing

@Suite struct BinanceFuturesBookSyncTests {
    let i = Fixture.binanceFutures
    func delta(_ first: Int64, _ last: Int64, pu: Int64?, bids: [(String, String)] = []) -> BookUpdate {
        Fixture.update(i, .delta, first: first, last: last, previous: pu, bids: bids)
    }
    func snapshot(_ id: Int64) -> BookUpdate {
        Fixture.update(i, .snapshot, first: id, last: id, bids: [("100", "1")], asks: [("101", "1")])
    }

    @Test func dropsEventsBeforeTheSnapshotAndBridgesWithUAtMostLAtMostu() {
        var sync = BinanceFuturesBookSync(instrument: i)
        #expect(sync.handle(.update(delta(10, 19, pu: 9)), at: .zero) == [.requestSnapshot(i, reason: .initial)])
        _ = sync.handle(.update(delta(20, 30, pu: 19, bids: [("99", "2")])), at: .zero)
        _ = sync.handle(.update(delta(31, 35, pu: 30, bids: [("98", "3")])), at: .zero)
        // L = 20: [10,19] has u < 20 and is dropped; [20,30] has U <= 20 <= u and bridges; then pu chains.
        let effects = sync.handle(.snapshot(snapshot(20)), at: .zero)
        #expect(effects == [.droppedStale(count: 1), .synced(sequence: 35), .publish(delta(31, 35, pu: 30, bids: [("98", "3")]))])
        #expect(sync.book == Fixture.book(bids: [("100", "1"), ("99", "2"), ("98", "3")], asks: [("101", "1")]))
    }

    @Test func eventEndingExactlyAtTheSnapshotIsKept() {
        // Futures drop only u < L: an event with u == L is applied (it bridges).
        var sync = BinanceFuturesBookSync(instrument: i)
        _ = sync.handle(.update(delta(15, 20, pu: 14, bids: [("99", "1")])), at: .zero)
        let effects = sync.handle(.snapshot(snapshot(20)), at: .zero)
        #expect(effects == [.synced(sequence: 20), .publish(delta(15, 20, pu: 14, bids: [("99", "1")]))])
    }

    @Test func uMayExceedLPlusOneWhilePuBridges() {
        // Update ids are shared across symbols: L = 22 falls in the hole between u = 19 and the next U = 25.
        var sync = BinanceFuturesBookSync(instrument: i)
        _ = sync.handle(.update(delta(10, 19, pu: 9)), at: .zero)
        _ = sync.handle(.update(delta(25, 30, pu: 19, bids: [("99", "1")])), at: .zero)
        let effects = sync.handle(.snapshot(snapshot(22)), at: .zero)
        #expect(effects == [.droppedStale(count: 1), .synced(sequence: 30), .publish(delta(25, 30, pu: 19, bids: [("99", "1")]))])
        // Continuity is decided by pu alone: U jumping is fine, pu not matching is not.
        #expect(sync.handle(.update(delta(40, 41, pu: 30, bids: [("97", "1")])), at: .zero).publishedCount == 1)
        let broken = sync.handle(.update(delta(42, 43, pu: 39)), at: .zero)
        #expect(broken.breaks == [.gap(expected: 41, received: 39)])
        #expect(broken.snapshotRequests == [.resync(.gap(expected: 41, received: 39))])
        #expect(!sync.isValid && sync.counters.sequenceErrors == 1)
    }

    @Test func staleSnapshotIsRefetched() {
        var sync = BinanceFuturesBookSync(instrument: i)
        _ = sync.handle(.update(delta(50, 60, pu: 45)), at: .zero)
        let stale = sync.handle(.snapshot(snapshot(40)), at: .zero)
        #expect(stale == [.requestSnapshot(i, reason: .staleSnapshot(snapshotId: 40, required: 45))])
        #expect(sync.handle(.snapshot(snapshot(55)), at: .zero).contains(.synced(sequence: 60)))
    }

    @Test func missingPuIsABreak() {
        var sync = BinanceFuturesBookSync(instrument: i)
        _ = sync.handle(.update(delta(10, 20, pu: 9)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(15)), at: .zero)
        let effects = sync.handle(.update(delta(21, 22, pu: nil)), at: .zero)
        #expect(effects.breaks == [.missingPreviousId(last: 20)])
    }

    @Test func crossedBookIsABreak() {
        var sync = BinanceFuturesBookSync(instrument: i)
        _ = sync.handle(.update(delta(10, 20, pu: 9)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(15)), at: .zero)
        let effects = sync.handle(.update(Fixture.update(i, .delta, first: 21, last: 22, previous: 20, asks: [("99", "1")])), at: .zero)
        #expect(effects.breaks == [.crossed(bid: 100, ask: 99)])
        #expect(effects.publishedCount == 0)
    }
}
