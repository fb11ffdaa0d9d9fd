import Model

/// A venue's rule for books whose full snapshot arrives inside the stream, after which every message
/// names its predecessor. A break is healed by resubscribing, which makes the venue send a new full book.
public protocol StreamSnapshotRule: Sendable {
    /// OKX: `seqId < prevSeqId` signals an exchange-side sequence reset.
    static var signalsSequenceResets: Bool { get }
    /// Whether deltas following `snapshot` carry previous ids that must chain. OKX captures from before
    /// seqId existed (2022 and earlier) have none, and only the checksum guards them.
    static func isSequenced(snapshot: BookSequence) -> Bool
}

/// OKX before its 2026 change: `action:"snapshot"` then updates; `prevSeqId == previous seqId`;
/// `seqId == prevSeqId` with no levels is a heartbeat; `seqId < prevSeqId` a sequence reset; CRC32
/// checksum over the top 25 levels on every message.
public enum OKXLegacyRule: StreamSnapshotRule {
    public static let signalsSequenceResets = true
    /// The snapshot carries `prevSeqId` -1 when the venue sequences the channel.
    public static func isSequenced(snapshot: BookSequence) -> Bool { snapshot.previous != nil }
}

/// Deribit: the first notification is the full book; then `prev_change_id == previous change_id`.
public enum DeribitRule: StreamSnapshotRule {
    public static let signalsSequenceResets = false
    public static func isSequenced(snapshot: BookSequence) -> Bool { true }
}

public typealias OKXLegacyBookSync = StreamSnapshotBookSync<OKXLegacyRule>
public typealias DeribitBookSync = StreamSnapshotBookSync<DeribitRule>

/// The state machine for in-stream snapshots: wait for the full book, then require each delta to
/// name the previous message's id. Any break clears the book, publishes nothing more, and asks the
/// driver to resubscribe; deltas are dropped until the new full book arrives.
public struct StreamSnapshotBookSync<Rule: StreamSnapshotRule>: BookSync {
    public let instrument: Instrument
    public let configuration: BookSyncConfiguration
    public private(set) var book: OrderBook
    public private(set) var state: BookSyncState = .idle
    public private(set) var stateSince: Instant = .zero
    public private(set) var counters = BookSyncCounters()
    /// Id of the last message applied, while synced.
    @usableFromInline var last: Int64 = 0
    /// Whether the current snapshot's deltas chain by previous id.
    var sequenced = true

    public init(instrument: Instrument, configuration: BookSyncConfiguration = .standard) {
        self.instrument = instrument
        self.configuration = configuration
        self.book = OrderBook(capacity: configuration.reservedLevels)
    }

    @inlinable public var sequence: Int64? { state == .synced ? last : nil }

    public mutating func handle(_ input: BookSyncInput, at now: Instant, into effects: inout [BookSyncEffect]) {
        switch input {
        case .update(let update):
            if handleUpdate(update, at: now, into: &effects) { effects.append(.publish(update)) }
        case .snapshot:
            // These venues' books are rebuilt from the stream, never from REST.
            counters.unexpectedSnapshots += 1
        case .reset:
            book.removeAll()
            enter(.idle, at: now)
        }
    }

    /// `handle(.update(update))`, except that when its last effect would be `.publish(update)` (this
    /// very message) that effect is not appended and the answer is true: the caller publishes the
    /// message it holds after the effects appended, without the copy of the update an effect is.
    @inline(__always)
    public mutating func handleUpdate(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        if update.kind == .snapshot { return install(update, at: now, into: &effects) }
        if state == .synced { return applyDelta(update, at: now, into: &effects) }
        counters.droppedUnsynced += 1
        if state == .idle { enter(.awaitingStreamSnapshot, at: now) }
        return false
    }

    /// True when the snapshot is to be published (after the effects appended).
    mutating func install(_ snapshot: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        if let failure = book.applyVerified(snapshot, configuration, &counters) {
            breakBook(failure, at: now, into: &effects)
            return false
        }
        counters.snapshotsApplied += 1
        last = snapshot.sequence.last
        sequenced = Rule.isSequenced(snapshot: snapshot.sequence)
        enter(.synced, at: now)
        effects.append(.synced(sequence: last))
        return true
    }

    /// True when the delta is to be published (after the effects appended).
    mutating func applyDelta(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        let s = update.sequence
        if sequenced {
            guard let previous = s.previous else {
                counters.sequenceErrors += 1
                breakBook(.missingPreviousId(last: last), at: now, into: &effects)
                return false
            }
            guard previous == last else {
                counters.sequenceErrors += 1
                breakBook(.gap(expected: last, received: previous), at: now, into: &effects)
                return false
            }
            if Rule.signalsSequenceResets && s.last < previous {
                counters.sequenceResets += 1
                if configuration.resyncsOnSequenceReset {
                    breakBook(.sequenceReset(previous: previous, current: s.last), at: now, into: &effects)
                    return false
                }
                effects.append(.sequenceReset(previous: previous, current: s.last))
            }
        }
        if let failure = book.applyVerified(update, configuration, &counters) {
            breakBook(failure, at: now, into: &effects)
            return false
        }
        last = s.last
        if update.bids.isEmpty && update.asks.isEmpty {
            counters.heartbeats += 1
            return false
        }
        counters.updatesApplied += 1
        return true
    }

    mutating func breakBook(_ reason: BookBreak, at now: Instant, into effects: inout [BookSyncEffect]) {
        book.removeAll()
        counters.invalidations += 1
        counters.resyncs += 1
        enter(.awaitingStreamSnapshot, at: now)
        effects.append(.invalidated(reason))
        effects.append(.resubscribe(instrument, reason: reason))
    }

    mutating func enter(_ newState: BookSyncState, at now: Instant) {
        if state != newState { stateSince = now }
        state = newState
    }
}
