import Books
import Model
import Testing

/// OKX legacy: in-stream snapshot, seqId / prevSeqId, CRC32 checksum on every message.
@Suite struct OKXLegacyBookSyncTests {
    let i = Fixture.okx
    let bids = [("100", "1"), ("99.5", "2")]
    let asks = [("101", "1"), ("101.5", "3")]

    /// A message carrying the checksum of the book it should produce (the checksum itself is proven
    /// against real OKX frames in OKXChecksumTests).
    func message(_ kind: BookUpdate.Kind, prev: Int64?, seq: Int64, bids: [(String, String)] = [], asks: [(String, String)] = [],
                 resulting: OrderBook) -> BookUpdate {
        Fixture.update(i, kind, first: seq, last: seq, previous: prev, bids: bids, asks: asks, checksum: OKXChecksum.compute(resulting))
    }

    func synced() -> OKXLegacyBookSync {
        var sync = OKXLegacyBookSync(instrument: i)
        let snapshot = message(.snapshot, prev: -1, seq: 10, bids: bids, asks: asks, resulting: Fixture.book(bids: bids, asks: asks))
        #expect(sync.handle(.update(snapshot), at: .zero) == [.synced(sequence: 10), .publish(snapshot)])
        return sync
    }

    @Test func snapshotThenChainedUpdatesWithValidChecksums() {
        var sync = synced()
        let after = Fixture.book(bids: [("100", "4"), ("99.5", "2")], asks: asks)
        let update = message(.delta, prev: 10, seq: 12, bids: [("100", "4")], resulting: after)
        #expect(sync.handle(.update(update), at: .zero) == [.publish(update)])
        #expect(sync.book == after && sync.sequence == 12)
        #expect(sync.counters.checksumsChecked == 2 && sync.counters.checksumsFailed == 0)
    }

    @Test func deltasBeforeTheSnapshotAreDroppedAndTheFirstAfterItMustNameIt() {
        var sync = OKXLegacyBookSync(instrument: i)
        let early = message(.delta, prev: 7, seq: 9, bids: [("98", "1")], resulting: Fixture.book(bids: [], asks: []))
        #expect(sync.handle(.update(early), at: .zero).isEmpty)
        #expect(sync.counters.droppedUnsynced == 1 && !sync.isValid)
        let start = Fixture.book(bids: bids, asks: asks)
        _ = sync.handle(.update(message(.snapshot, prev: -1, seq: 10, bids: bids, asks: asks, resulting: start)), at: .zero)
        // prevSeqId 9 does not name the snapshot's seqId 10.
        let stale = message(.delta, prev: 9, seq: 10, resulting: start)
        #expect(sync.handle(.update(stale), at: .zero).breaks == [.gap(expected: 10, received: 9)])
    }

    @Test func checksumMismatchInvalidatesAndResubscribes() {
        var sync = synced()
        let wrong = Fixture.book(bids: [("100", "5")], asks: asks)
        let update = message(.delta, prev: 10, seq: 11, bids: [("100", "4")], resulting: wrong)
        let effects = sync.handle(.update(update), at: .milliseconds(3))
        #expect(effects.count == 2)
        guard case .invalidated(.checksumMismatch(let sent, let computed))? = effects.first else {
            Issue.record("expected a checksum mismatch, got \(effects)")
            return
        }
        #expect(sent == OKXChecksum.compute(wrong) && computed != sent)
        #expect(effects.resubscribes.count == 1)
        #expect(sync.state == .awaitingStreamSnapshot && sync.book.isEmpty && sync.counters.checksumsFailed == 1)
        // Deltas are dropped until the venue sends a new full book; then the book is valid again.
        let later = message(.delta, prev: 11, seq: 12, bids: [("99", "1")], resulting: wrong)
        #expect(sync.handle(.update(later), at: .zero).isEmpty)
        #expect(sync.counters.droppedUnsynced == 1)
        let fresh = message(.snapshot, prev: -1, seq: 20, bids: bids, asks: asks, resulting: Fixture.book(bids: bids, asks: asks))
        #expect(sync.handle(.update(fresh), at: .zero) == [.synced(sequence: 20), .publish(fresh)])
    }

    @Test func gapIsDetected() {
        var sync = synced()
        let update = message(.delta, prev: 11, seq: 12, resulting: Fixture.book(bids: bids, asks: asks))
        let effects = sync.handle(.update(update), at: .zero)
        #expect(effects == [.invalidated(.gap(expected: 10, received: 11)), .resubscribe(i, reason: .gap(expected: 10, received: 11))])
        #expect(sync.publishedView() == nil)
    }

    @Test func missingPrevSeqIdIsABreakOnASequencedChannel() {
        var sync = synced()
        let update = message(.delta, prev: nil, seq: 12, resulting: Fixture.book(bids: bids, asks: asks))
        #expect(sync.handle(.update(update), at: .zero).breaks == [.missingPreviousId(last: 10)])
    }

    @Test func heartbeatAndSequenceReset() {
        var sync = synced()
        let same = Fixture.book(bids: bids, asks: asks)
        #expect(sync.handle(.update(message(.delta, prev: 10, seq: 10, resulting: same)), at: .zero).isEmpty)
        #expect(sync.counters.heartbeats == 1 && sync.isValid)
        // seqId 2 < prevSeqId 10: OKX reset its sequence; the chain holds, so the book stays valid.
        let after = Fixture.book(bids: bids, asks: [("101", "7"), ("101.5", "3")])
        let reset = message(.delta, prev: 10, seq: 2, asks: [("101", "7")], resulting: after)
        #expect(sync.handle(.update(reset), at: .zero) == [.sequenceReset(previous: 10, current: 2), .publish(reset)])
        let next = message(.delta, prev: 2, seq: 3, asks: [("101", "8")], resulting: Fixture.book(bids: bids, asks: [("101", "8"), ("101.5", "3")]))
        #expect(sync.handle(.update(next), at: .zero) == [.publish(next)])
        #expect(sync.counters.sequenceResets == 1 && sync.sequence == 3)
    }

    @Test func crossedBookIsABreak() {
        var sync = synced()
        let crossedBook = Fixture.book(bids: [("101.5", "1")] + bids, asks: asks)
        let update = message(.delta, prev: 10, seq: 11, bids: [("101.5", "1")], resulting: crossedBook)
        #expect(sync.handle(.update(update), at: .zero).resubscribes == [.crossed(bid: Fixture.decimal("101.5"), ask: 101)])
    }

    @Test func unsequencedCapturesAreGuardedByTheChecksumAlone() {
        // 2022 captures carry no seqId: the parser leaves `previous` nil on the snapshot and the updates.
        var sync = OKXLegacyBookSync(instrument: i)
        let start = Fixture.book(bids: bids, asks: asks)
        _ = sync.handle(.update(message(.snapshot, prev: nil, seq: 0, bids: bids, asks: asks, resulting: start)), at: .zero)
        let after = Fixture.book(bids: [("100", "9"), ("99.5", "2")], asks: asks)
        #expect(sync.handle(.update(message(.delta, prev: nil, seq: 0, bids: [("100", "9")], resulting: after)), at: .zero).publishedCount == 1)
        let bad = message(.delta, prev: nil, seq: 0, bids: [("100", "8")], resulting: after)
        #expect(sync.handle(.update(bad), at: .zero).resubscribes.count == 1)
    }

    @Test func restSnapshotsAreNotPartOfThisProtocol() {
        var sync = synced()
        #expect(sync.handle(.snapshot(Fixture.update(i, .snapshot, first: 1, last: 1)), at: .zero).isEmpty)
        #expect(sync.counters.unexpectedSnapshots == 1 && sync.isValid)
    }
}

/// Deribit: the first notification is the full book; then prev_change_id == previous change_id.
@Suite struct DeribitBookSyncTests {
    let i = Fixture.deribit
    func change(prev: Int64?, id: Int64, bids: [(String, String)] = [], asks: [(String, String)] = []) -> BookUpdate {
        Fixture.update(i, .delta, first: id, last: id, previous: prev, bids: bids, asks: asks)
    }
    func full(_ id: Int64) -> BookUpdate {
        Fixture.update(i, .snapshot, first: id, last: id, bids: [("30000", "10"), ("29999.5", "20")], asks: [("30000.5", "5")])
    }

    @Test func fullBookThenChainedChanges() {
        var sync = DeribitBookSync(instrument: i)
        #expect(sync.handle(.update(change(prev: 99, id: 100)), at: .zero).isEmpty)  // before the full book: dropped
        #expect(sync.state == .awaitingStreamSnapshot && sync.counters.droppedUnsynced == 1)
        #expect(sync.handle(.update(full(100)), at: .zero) == [.synced(sequence: 100), .publish(full(100))])
        let a = change(prev: 100, id: 104, bids: [("30000", "0")], asks: [("30001", "1")])
        #expect(sync.handle(.update(a), at: .zero) == [.publish(a)])
        #expect(sync.book == Fixture.book(bids: [("29999.5", "20")], asks: [("30000.5", "5"), ("30001", "1")]))
        #expect(sync.counters.checksumsChecked == 0)
    }

    @Test func missingChangeIdResubscribes() {
        var sync = DeribitBookSync(instrument: i)
        _ = sync.handle(.update(full(100)), at: .zero)
        _ = sync.handle(.update(change(prev: 100, id: 101, bids: [("29999", "1")])), at: .zero)
        // change 102 never arrived: 103 names 102 as its predecessor.
        let effects = sync.handle(.update(change(prev: 102, id: 103, bids: [("29998", "1")])), at: .milliseconds(7))
        #expect(effects == [.invalidated(.gap(expected: 101, received: 102)), .resubscribe(i, reason: .gap(expected: 101, received: 102))])
        #expect(sync.publishedView() == nil && sync.stateSince == .milliseconds(7))
        #expect(sync.handle(.update(change(prev: 103, id: 104, bids: [("29997", "1")])), at: .zero).isEmpty)
        #expect(sync.handle(.update(full(200)), at: .zero).contains(.synced(sequence: 200)))
        #expect(sync.counters.resyncs == 1 && sync.counters.sequenceErrors == 1 && sync.counters.snapshotsApplied == 2)
    }

    @Test func missingPrevChangeIdIsABreak() {
        var sync = DeribitBookSync(instrument: i)
        _ = sync.handle(.update(full(100)), at: .zero)
        #expect(sync.handle(.update(change(prev: nil, id: 101)), at: .zero).breaks == [.missingPreviousId(last: 100)])
    }

    @Test func crossedBookIsABreak() {
        var sync = DeribitBookSync(instrument: i)
        _ = sync.handle(.update(full(100)), at: .zero)
        let effects = sync.handle(.update(change(prev: 100, id: 101, asks: [("29999.5", "1")])), at: .zero)
        #expect(effects.breaks == [.crossed(bid: 30000, ask: Fixture.decimal("29999.5"))])
        #expect(effects.publishedCount == 0)
    }

    @Test func crossedSnapshotIsABreakToo() {
        var sync = DeribitBookSync(instrument: i)
        let crossed = Fixture.update(i, .snapshot, first: 5, last: 5, bids: [("2", "1")], asks: [("1", "1")])
        #expect(sync.handle(.update(crossed), at: .zero).resubscribes == [.crossed(bid: 2, ask: 1)])
        #expect(!sync.isValid)
    }

    @Test func resetWaitsForTheNextFullBook() {
        var sync = DeribitBookSync(instrument: i)
        _ = sync.handle(.update(full(100)), at: .zero)
        #expect(sync.handle(.reset, at: .zero).isEmpty)
        #expect(sync.state == .idle && sync.book.isEmpty)
        #expect(sync.handle(.update(change(prev: 100, id: 101)), at: .zero).isEmpty)
        #expect(!sync.isValid)
    }
}
