import Books
import Model
import Testing

/// OKX's 2026 procedure: no in-stream snapshot, a REST snapshot bridged by seqId / prevSeqId, checksum 0.
@Suite struct OKXSnapshotBookSyncTests {
    let i = Fixture.okx
    func delta(prev: Int64, seq: Int64, bids: [(String, String)] = [], asks: [(String, String)] = [], checksum: Int32? = 0) -> BookUpdate {
        Fixture.update(i, .delta, first: seq, last: seq, previous: prev, bids: bids, asks: asks, checksum: checksum)
    }
    func snapshot(_ seq: Int64) -> BookUpdate {
        Fixture.update(i, .snapshot, first: seq, last: seq, previous: -1, bids: [("100", "1")], asks: [("101", "1")], checksum: 0)
    }

    /// Synced at seqId 9: first event ignored, [5, 9] buffered, snapshot at 5.
    func synced(_ configuration: BookSyncConfiguration = .standard) -> OKXSnapshotBookSync {
        var sync = OKXSnapshotBookSync(instrument: i, configuration: configuration)
        _ = sync.handle(.update(delta(prev: 1, seq: 5)), at: .zero)
        _ = sync.handle(.update(delta(prev: 5, seq: 9)), at: .zero)
        _ = sync.handle(.snapshot(snapshot(5)), at: .zero)
        #expect(sync.isValid && sync.sequence == 9)
        return sync
    }

    @Test func ignoresTheFirstEventThenBridgesPrevSeqIdAtMostSAtMostSeqId() {
        var sync = OKXSnapshotBookSync(instrument: i)
        #expect(sync.handle(.update(delta(prev: 1, seq: 5)), at: .zero).isEmpty)
        #expect(sync.state == .idle && sync.counters.droppedUnsynced == 1)
        // The second event's prevSeqId (5) is the lowest acceptable snapshot seqId.
        #expect(sync.handle(.update(delta(prev: 5, seq: 9)), at: .zero) == [.requestSnapshot(i, reason: .initial)])
        _ = sync.handle(.update(delta(prev: 9, seq: 12, bids: [("99", "1")])), at: .zero)
        _ = sync.handle(.update(delta(prev: 12, seq: 15, asks: [("102", "2")])), at: .zero)
        // S = 10: seqId 9 <= 10 dropped; 9 <= 10 < 12 bridges; 15 chains on 12.
        let effects = sync.handle(.snapshot(snapshot(10)), at: .zero)
        #expect(effects == [.droppedStale(count: 1), .synced(sequence: 15), .publish(delta(prev: 12, seq: 15, asks: [("102", "2")]))])
        #expect(sync.book == Fixture.book(bids: [("100", "1"), ("99", "1")], asks: [("101", "1"), ("102", "2")]))
        // Checksum 0 is "none" since 2026-06, never a mismatch.
        #expect(sync.counters.checksumsChecked == 0)
    }

    @Test func staleSnapshotIsRefetched() {
        var sync = OKXSnapshotBookSync(instrument: i)
        _ = sync.handle(.update(delta(prev: 1, seq: 5)), at: .zero)
        _ = sync.handle(.update(delta(prev: 5, seq: 9)), at: .zero)
        let stale = sync.handle(.snapshot(snapshot(4)), at: .zero)
        #expect(stale == [.requestSnapshot(i, reason: .staleSnapshot(snapshotId: 4, required: 5))])
        _ = sync.handle(.update(delta(prev: 9, seq: 11, bids: [("99", "1")])), at: .zero)
        #expect(sync.handle(.snapshot(snapshot(5)), at: .zero) == [.synced(sequence: 11), .publish(delta(prev: 9, seq: 11, bids: [("99", "1")]))])
    }

    @Test func gapInvalidatesAndRequestsANewSnapshot() {
        var sync = synced()
        let effects = sync.handle(.update(delta(prev: 11, seq: 13, bids: [("99", "1")])), at: .zero)
        #expect(effects == [.invalidated(.gap(expected: 9, received: 11)), .requestSnapshot(i, reason: .resync(.gap(expected: 9, received: 11)))])
        #expect(sync.handle(.update(delta(prev: 13, seq: 14)), at: .zero).isEmpty)
        // The next snapshot must reach the first buffered prevSeqId (11); 12 does, and the buffer bridges.
        #expect(sync.handle(.snapshot(snapshot(12)), at: .zero).contains(.synced(sequence: 14)))
    }

    @Test func heartbeatChangesNothingAndPublishesNothing() {
        var sync = synced()
        let before = sync.book
        let heartbeats = sync.counters.heartbeats
        #expect(sync.handle(.update(delta(prev: 9, seq: 9)), at: .zero).isEmpty)
        #expect(sync.counters.heartbeats == heartbeats + 1)
        #expect(sync.book == before && sync.isValid && sync.sequence == 9)
    }

    @Test func chainedSequenceResetContinuesOrResyncsWhenConfigured() {
        var sync = synced()
        // seqId 3 < prevSeqId 9: an exchange-side reset; prevSeqId still names the last message.
        let reset = sync.handle(.update(delta(prev: 9, seq: 3, bids: [("99", "1")])), at: .zero)
        #expect(reset == [.sequenceReset(previous: 9, current: 3), .publish(delta(prev: 9, seq: 3, bids: [("99", "1")]))])
        #expect(sync.handle(.update(delta(prev: 3, seq: 4, bids: [("98", "1")])), at: .zero).publishedCount == 1)
        #expect(sync.sequence == 4 && sync.counters.sequenceResets == 1)

        var strict = synced(BookSyncConfiguration(resyncsOnSequenceReset: true))
        let broken = strict.handle(.update(delta(prev: 9, seq: 3)), at: .zero)
        #expect(broken.breaks == [.sequenceReset(previous: 9, current: 3)])
        #expect(!strict.isValid)
    }

    @Test func nonZeroChecksumIsVerifiedDuringTheTransition() {
        var sync = synced()
        let expected = Fixture.book(bids: [("100", "1"), ("99", "1")], asks: [("101", "1")])
        let good = OKXChecksum.compute(expected)
        #expect(sync.handle(.update(delta(prev: 9, seq: 10, bids: [("99", "1")], checksum: good)), at: .zero).publishedCount == 1)
        let bad = sync.handle(.update(delta(prev: 10, seq: 11, bids: [("98", "1")], checksum: good)), at: .zero)
        #expect(bad.breaks.count == 1)
        if case .checksumMismatch(let sent, _)? = bad.breaks.first { #expect(sent == good) } else { Issue.record("expected a checksum mismatch") }
        #expect(sync.counters.checksumsChecked == 2 && sync.counters.checksumsFailed == 1)
    }

    @Test func crossedBookIsABreak() {
        var sync = synced()
        let effects = sync.handle(.update(delta(prev: 9, seq: 10, asks: [("100", "1")])), at: .zero)
        #expect(effects.breaks == [.crossed(bid: 100, ask: 100)])
    }
}
