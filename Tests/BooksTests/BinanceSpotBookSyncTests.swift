import Books
import Model
import Testing

@Suite struct BinanceSpotBookSyncTests {
    let i = Fixture.binanceSpot
    func delta(_ first: Int64, _ last: Int64, bids: [(String, String)] = [], asks: [(String, String)] = []) -> BookUpdate {
        Fixture.update(i, .delta, first: first, last: last, bids: bids, asks: asks)
    }
    func snapshot(_ id: Int64, bids: [(String, String)] = [("100", "1")], asks: [(String, String)] = [("101", "1")]) -> BookUpdate {
        Fixture.update(i, .snapshot, first: id, last: id, bids: bids, asks: asks)
    }

    @Test func buffersUntilSnapshotDropsOlderEventsAndAppliesTheBridgingOne() {
        var sync = BinanceSpotBookSync(instrument: i)
        let first = sync.handle(.update(delta(1, 5, bids: [("99", "5")])), at: .milliseconds(1))
        #expect(first == [.requestSnapshot(i, reason: .initial)])
        #expect(sync.state == .awaitingSnapshot)
        #expect(sync.handle(.update(delta(6, 10, bids: [("99", "6")])), at: .milliseconds(2)).isEmpty)
        #expect(sync.handle(.update(delta(11, 15, asks: [("101", "0"), ("102", "2")])), at: .milliseconds(3)).isEmpty)
        #expect(sync.publishedView() == nil)

        // lastUpdateId 8: [1,5] is covered (u <= 8) and dropped; [6,10] bridges (6 <= 9 <= 10).
        let effects = sync.handle(.snapshot(snapshot(8)), at: .milliseconds(4))
        #expect(effects.count == 3)
        #expect(effects[0] == .droppedStale(count: 1))
        #expect(effects[1] == .synced(sequence: 15))
        #expect(effects[2] == .publish(delta(11, 15, asks: [("101", "0"), ("102", "2")])))
        #expect(sync.state == .synced && sync.sequence == 15)
        #expect(sync.book == Fixture.book(bids: [("100", "1"), ("99", "6")], asks: [("102", "2")]))
        #expect(sync.counters.droppedStale == 1 && sync.counters.updatesApplied == 2 && sync.counters.snapshotsApplied == 1)

        let live = sync.handle(.update(delta(16, 16, bids: [("98", "1")])), at: .milliseconds(5))
        #expect(live == [.publish(delta(16, 16, bids: [("98", "1")]))])
        #expect(sync.publishedView()?.bids.count == 3)
    }

    @Test func bridgeNeedsFirstUpdateIdAtMostSnapshotPlusOne() {
        // Buffer [6,10] against lastUpdateId 10: 10 <= 10 so dropped; [11,12] bridges exactly (11 <= 11 <= 12).
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(6, 10)), at: .zero)
        _ = sync.handle(.update(delta(11, 12, bids: [("99", "1")])), at: .zero)
        let effects = sync.handle(.snapshot(snapshot(10)), at: .zero)
        #expect(effects.first == .droppedStale(count: 1))
        #expect(effects.contains(.synced(sequence: 12)))
    }

    @Test func staleSnapshotIsRefetched() {
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(100, 105)), at: .zero)
        // lastUpdateId 99 < first buffered U 100: fetch again, keep buffering.
        let stale = sync.handle(.snapshot(snapshot(99)), at: .milliseconds(10))
        #expect(stale == [.requestSnapshot(i, reason: .staleSnapshot(snapshotId: 99, required: 100))])
        #expect(sync.state == .awaitingSnapshot && sync.counters.staleSnapshots == 1)
        _ = sync.handle(.update(delta(106, 107)), at: .milliseconds(11))
        let good = sync.handle(.snapshot(snapshot(104)), at: .milliseconds(20))
        #expect(good.contains(.synced(sequence: 107)))
        #expect(sync.counters.snapshotsRequested == 2)
    }

    @Test func gapInvalidatesStopsPublishingAndResyncs() {
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(1, 3)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(2)), at: .zero)
        #expect(sync.state == .synced && sync.sequence == 3)

        // U must be 4; 6 means updates 4 and 5 were lost.
        let gap = sync.handle(.update(delta(6, 8, bids: [("99", "1")])), at: .milliseconds(5))
        #expect(gap == [
            .invalidated(.gap(expected: 4, received: 6)),
            .requestSnapshot(i, reason: .resync(.gap(expected: 4, received: 6))),
        ])
        #expect(sync.state == .awaitingSnapshot && sync.book.isEmpty && sync.publishedView() == nil)
        #expect(sync.counters.sequenceErrors == 1 && sync.counters.resyncs == 1 && sync.counters.invalidations == 1)
        #expect(sync.stateSince == .milliseconds(5))

        // Nothing is published while resyncing; the breaking message stays buffered for the new snapshot.
        #expect(sync.handle(.update(delta(9, 9, asks: [("101", "3")])), at: .milliseconds(6)).publishedCount == 0)
        let resynced = sync.handle(.snapshot(snapshot(7)), at: .milliseconds(7))
        #expect(resynced == [.synced(sequence: 9), .publish(delta(9, 9, asks: [("101", "3")]))])
        #expect(sync.book == Fixture.book(bids: [("100", "1"), ("99", "1")], asks: [("101", "3")]))
    }

    @Test func firstLiveEventAfterAnEmptyBufferMustBridge() {
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(1, 1)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(50)), at: .zero)  // covers the buffered event
        #expect(sync.state == .synced && sync.sequence == 50)
        #expect(sync.handle(.update(delta(45, 50)), at: .zero) == [.droppedStale(count: 1)])
        let broken = sync.handle(.update(delta(60, 61)), at: .zero)
        let expected = BookBreak.noBridge(snapshot: 50, message: BookSequence(first: 60, last: 61))
        #expect(broken.breaks == [expected])
        #expect(broken.snapshotRequests == [.resync(expected)])
    }

    @Test func crossedBookIsABreak() {
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(1, 1)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(1)), at: .zero)
        let effects = sync.handle(.update(delta(2, 2, bids: [("101.5", "1")])), at: .zero)
        let crossed = BookBreak.crossed(bid: Fixture.decimal("101.5"), ask: 101)
        #expect(effects == [.invalidated(crossed), .requestSnapshot(i, reason: .resync(crossed))])
        #expect(sync.counters.crossedBooks == 1 && !sync.isValid && sync.book.isEmpty)
    }

    @Test func resetStartsOverAndStraySnapshotsAreIgnored() {
        var sync = BinanceSpotBookSync(instrument: i)
        #expect(sync.handle(.snapshot(snapshot(1)), at: .zero).isEmpty)
        #expect(sync.counters.unexpectedSnapshots == 1 && sync.state == .idle)
        _ = sync.handle(.update(delta(1, 1)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(1)), at: .zero)
        #expect(sync.isValid)
        #expect(sync.handle(.reset, at: .milliseconds(9)).isEmpty)
        #expect(sync.state == .idle && sync.book.isEmpty && sync.stateSince == .milliseconds(9))
        #expect(sync.handle(.update(delta(5, 6)), at: .zero) == [.requestSnapshot(i, reason: .initial)])
    }

    @Test func bufferIsBoundedDroppingTheOldest() {
        var sync = BinanceSpotBookSync(instrument: i, configuration: BookSyncConfiguration(maxBufferedUpdates: 3))
        for n in Int64(1)...5 { _ = sync.handle(.update(delta(n, n)), at: .zero) }
        #expect(sync.counters.bufferOverflows == 2)
        // The buffer now starts at U=3, so a snapshot at 2 is stale, one at 3 syncs through 5.
        #expect(sync.handle(.snapshot(snapshot(2)), at: .zero).snapshotRequests == [.staleSnapshot(snapshotId: 2, required: 3)])
        #expect(sync.handle(.snapshot(snapshot(3)), at: .zero).contains(.synced(sequence: 5)))
    }

    @Test func invalidLevelIsABreak() {
        var sync = BinanceSpotBookSync(instrument: i)
        _ = sync.handle(.update(delta(1, 1)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(1)), at: .zero)
        let effects = sync.handle(.update(delta(2, 2, bids: [("99", "-1")])), at: .zero)
        #expect(effects.breaks == [.invalidLevel(.negativeSize(side: .bid, price: 99, size: -1))])
        #expect(sync.counters.invalidLevels == 1)
    }
}
