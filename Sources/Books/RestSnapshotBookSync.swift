import Model

/// A venue's rule for bridging a REST snapshot to its buffered depth stream and checking continuity.
/// `L`/`S` below is the snapshot's id (`lastUpdateId`, `seqId`).
public protocol RestSnapshotRule: Sendable {
    /// OKX 2026: the first event after subscribing is ignored.
    static var ignoresFirstEvent: Bool { get }
    /// OKX: `seqId < prevSeqId` signals an exchange-side sequence reset.
    static var signalsSequenceResets: Bool { get }
    /// The lowest snapshot id that can bridge a buffer starting with `first`; an older snapshot is stale.
    static func requiredSnapshotId(bufferStart first: BookSequence) -> Int64
    /// Whether `s` is entirely covered by a snapshot at `snapshotId` (drop it).
    static func isObsolete(_ s: BookSequence, snapshotId: Int64) -> Bool
    /// Whether `s`, not obsolete, is a valid first message after a snapshot at `snapshotId`.
    static func bridges(_ s: BookSequence, snapshotId: Int64) -> Bool
    /// nil if `s` continues from the message with final id `last`, else the break.
    static func continuityBreak(_ s: BookSequence, last: Int64) -> BookBreak?
}

/// Binance spot: stale if `L < first buffered U`; drop `u <= L`; first applied `U <= L+1 <= u`;
/// then `U == previous u + 1`.
public enum BinanceSpotRule: RestSnapshotRule {
    public static let ignoresFirstEvent = false
    public static let signalsSequenceResets = false
    public static func requiredSnapshotId(bufferStart first: BookSequence) -> Int64 { first.first }
    public static func isObsolete(_ s: BookSequence, snapshotId: Int64) -> Bool { s.last <= snapshotId }
    public static func bridges(_ s: BookSequence, snapshotId: Int64) -> Bool {
        s.first <= snapshotId &+ 1 && snapshotId &+ 1 <= s.last
    }
    public static func continuityBreak(_ s: BookSequence, last: Int64) -> BookBreak? {
        s.first == last &+ 1 ? nil : .gap(expected: last &+ 1, received: s.first)
    }
}

/// Binance USD-M futures: drop `u < L`; first applied `U <= L <= u`; then `pu == previous u`.
/// Futures ids are not contiguous, so `U` may exceed `L` while `pu <= L` shows the snapshot fell in
/// the hole just before the message: that bridges too, and the `pu` rule decides staleness.
public enum BinanceFuturesRule: RestSnapshotRule {
    public static let ignoresFirstEvent = false
    public static let signalsSequenceResets = false
    public static func requiredSnapshotId(bufferStart first: BookSequence) -> Int64 { first.previous ?? first.first }
    public static func isObsolete(_ s: BookSequence, snapshotId: Int64) -> Bool { s.last < snapshotId }
    public static func bridges(_ s: BookSequence, snapshotId: Int64) -> Bool {
        guard snapshotId <= s.last else { return false }
        return s.first <= snapshotId || (s.previous.map { $0 <= snapshotId } ?? false)
    }
    public static func continuityBreak(_ s: BookSequence, last: Int64) -> BookBreak? {
        guard let previous = s.previous else { return .missingPreviousId(last: last) }
        return previous == last ? nil : .gap(expected: last, received: previous)
    }
}

/// OKX since 2026 (no in-stream snapshot): ignore the first event; stale if `S <` the second event's
/// `prevSeqId`; drop `seqId <= S`; first applied `prevSeqId <= S < seqId`; then `prevSeqId == previous seqId`.
public enum OKXSnapshotRule: RestSnapshotRule {
    public static let ignoresFirstEvent = true
    public static let signalsSequenceResets = true
    public static func requiredSnapshotId(bufferStart first: BookSequence) -> Int64 { first.previous ?? first.first }
    public static func isObsolete(_ s: BookSequence, snapshotId: Int64) -> Bool { s.last <= snapshotId }
    public static func bridges(_ s: BookSequence, snapshotId: Int64) -> Bool {
        guard let previous = s.previous else { return false }
        return previous <= snapshotId && snapshotId < s.last
    }
    public static func continuityBreak(_ s: BookSequence, last: Int64) -> BookBreak? {
        guard let previous = s.previous else { return .missingPreviousId(last: last) }
        return previous == last ? nil : .gap(expected: last, received: previous)
    }
}

public typealias BinanceSpotBookSync = RestSnapshotBookSync<BinanceSpotRule>
public typealias BinanceFuturesBookSync = RestSnapshotBookSync<BinanceFuturesRule>
public typealias OKXSnapshotBookSync = RestSnapshotBookSync<OKXSnapshotRule>

/// The state machine shared by Binance spot, Binance futures and OKX's 2026 procedure: buffer the
/// stream, request a REST snapshot, refetch it while it is older than the buffer, drop what it
/// covers, apply the bridging message and then require strict continuity. Any break clears the
/// book, publishes nothing more, and requests a new snapshot while buffering again.
public struct RestSnapshotBookSync<Rule: RestSnapshotRule>: BookSync {
    public let instrument: Instrument
    public let configuration: BookSyncConfiguration
    public private(set) var book: OrderBook
    public private(set) var state: BookSyncState = .idle
    public private(set) var stateSince: Instant = .zero
    public private(set) var counters = BookSyncCounters()
    /// Stream messages held until the snapshot arrives; `bufferStart` is the first live one.
    var buffer: [BookUpdate] = []
    var bufferStart = 0
    /// Id of the last message applied (or of the snapshot), while synced.
    @usableFromInline var last: Int64 = 0
    /// True right after a snapshot: the next non-obsolete message must bridge it.
    var awaitingBridge = false
    /// OKX 2026: whether the first event after (re)subscribing was seen (and ignored).
    var sawFirstEvent = false

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
        case .snapshot(let snapshot):
            receiveSnapshot(snapshot, at: now, into: &effects)
        case .reset:
            book.removeAll()
            clearBuffer()
            awaitingBridge = false
            sawFirstEvent = false
            enter(.idle, at: now)
        }
    }

    /// `handle(.update(update))`, except that when its last effect would be `.publish(update)` (this
    /// very message) that effect is not appended and the answer is true: the caller publishes the
    /// message it holds after the effects appended, without the copy of the update an effect is.
    @inline(__always)
    public mutating func handleUpdate(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        if update.kind == .snapshot {
            receiveStreamSnapshot(update, at: now, into: &effects)
            return false
        }
        return receiveDelta(update, at: now, into: &effects)
    }

    // MARK: Stream messages

    /// True when the delta is to be published (after the effects appended).
    @inline(__always)
    mutating func receiveDelta(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        switch state {
        case .synced:
            return applyLive(update, at: now, into: &effects)
        case .awaitingSnapshot, .awaitingStreamSnapshot:
            bufferUpdate(update)
        case .idle:
            if Rule.ignoresFirstEvent && !sawFirstEvent {
                sawFirstEvent = true
                counters.droppedUnsynced += 1
                return false
            }
            bufferUpdate(update)
            requestSnapshot(.initial, at: now, into: &effects)
        }
        return false
    }

    /// One message against the synced book; true when it is to be published (the caller appends
    /// `.publish(update)` or publishes it itself, after the effects appended).
    mutating func applyLive(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        switch step(update, into: &effects) {
        case .obsolete:
            counters.droppedStale += 1
            effects.append(.droppedStale(count: 1))
            return false
        case .applied(let heartbeat):
            return !heartbeat
        case .failed(let reason, let retainMessage):
            breakBook(reason, pending: retainMessage ? update : nil, at: now, into: &effects)
            return false
        }
    }

    enum StepOutcome {
        /// Covered by the snapshot; discarded.
        case obsolete
        case applied(heartbeat: Bool)
        /// The book broke; `retainMessage` when the message itself was not applied and may follow the next snapshot.
        case failed(BookBreak, retainMessage: Bool)
    }

    /// One stream message against the synced book: the venue rule, then apply and verify.
    mutating func step(_ update: BookUpdate, into effects: inout [BookSyncEffect]) -> StepOutcome {
        let s = update.sequence
        if awaitingBridge {
            if Rule.isObsolete(s, snapshotId: last) { return .obsolete }
            guard Rule.bridges(s, snapshotId: last) else {
                counters.sequenceErrors += 1
                return .failed(.noBridge(snapshot: last, message: s), retainMessage: true)
            }
            awaitingBridge = false
        } else if let failure = Rule.continuityBreak(s, last: last) {
            counters.sequenceErrors += 1
            return .failed(failure, retainMessage: true)
        }
        if Rule.signalsSequenceResets, let previous = s.previous, s.last < previous {
            counters.sequenceResets += 1
            if configuration.resyncsOnSequenceReset {
                return .failed(.sequenceReset(previous: previous, current: s.last), retainMessage: false)
            }
            effects.append(.sequenceReset(previous: previous, current: s.last))
        }
        if let failure = book.applyVerified(update, configuration, &counters) { return .failed(failure, retainMessage: false) }
        last = s.last
        if update.bids.isEmpty && update.asks.isEmpty {
            counters.heartbeats += 1
            return .applied(heartbeat: true)
        }
        counters.updatesApplied += 1
        return .applied(heartbeat: false)
    }

    mutating func bufferUpdate(_ update: BookUpdate) {
        if buffer.count - bufferStart >= configuration.maxBufferedUpdates {
            bufferStart += 1
            counters.bufferOverflows += 1
        }
        if bufferStart > 1024 && bufferStart * 2 > buffer.count {
            buffer.removeFirst(bufferStart)
            bufferStart = 0
        }
        buffer.append(update)
    }

    mutating func clearBuffer() {
        buffer.removeAll(keepingCapacity: true)
        bufferStart = 0
    }

    // MARK: Snapshots

    /// A full book inside the stream (OKX before its 2026 change). As the first event after subscribing
    /// on OKX it is ignored like any first event; otherwise it is as good as a REST snapshot taken there.
    mutating func receiveStreamSnapshot(_ snapshot: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) {
        if state == .idle && Rule.ignoresFirstEvent && !sawFirstEvent {
            sawFirstEvent = true
            counters.droppedUnsynced += 1
            return
        }
        if state != .awaitingSnapshot {
            clearBuffer()
            enter(.awaitingSnapshot, at: now)
        }
        receiveSnapshot(snapshot, at: now, into: &effects)
    }

    mutating func receiveSnapshot(_ snapshot: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) {
        guard state == .awaitingSnapshot else {
            counters.unexpectedSnapshots += 1
            return
        }
        let snapshotId = snapshot.sequence.last
        if bufferStart < buffer.count {
            let required = Rule.requiredSnapshotId(bufferStart: buffer[bufferStart].sequence)
            if snapshotId < required {
                counters.staleSnapshots += 1
                requestSnapshot(.staleSnapshot(snapshotId: snapshotId, required: required), at: now, into: &effects)
                return
            }
        }
        if let failure = book.applyVerified(snapshot, configuration, &counters) {
            breakBook(failure, pending: nil, at: now, into: &effects)
            return
        }
        counters.snapshotsApplied += 1
        last = snapshotId
        awaitingBridge = true
        // Replay the buffer: obsolete messages are dropped, the first newer one must bridge.
        var dropped = 0
        var published: BookUpdate = snapshot
        var index = bufferStart
        while index < buffer.count {
            let update = buffer[index]
            switch step(update, into: &effects) {
            case .obsolete:
                dropped += 1
            case .applied(let heartbeat):
                if !heartbeat { published = update }
            case .failed(let reason, let retainMessage):
                reportDropped(dropped, into: &effects)
                // Keep what follows: the next snapshot may cover it.
                bufferStart = retainMessage ? index : index + 1
                breakBook(reason, keepBuffer: true, at: now, into: &effects)
                return
            }
            index += 1
        }
        reportDropped(dropped, into: &effects)
        clearBuffer()
        enter(.synced, at: now)
        effects.append(.synced(sequence: last))
        effects.append(.publish(published))
    }

    mutating func reportDropped(_ count: Int, into effects: inout [BookSyncEffect]) {
        guard count > 0 else { return }
        counters.droppedStale += count
        effects.append(.droppedStale(count: count))
    }

    // MARK: Breaks

    mutating func requestSnapshot(_ reason: SnapshotRequestReason, at now: Instant, into effects: inout [BookSyncEffect]) {
        counters.snapshotsRequested += 1
        enter(.awaitingSnapshot, at: now)
        effects.append(.requestSnapshot(instrument, reason: reason))
    }

    /// Invalidates the book and starts a resync; `pending` (a message that was not applied) is kept
    /// as the first buffered one, since the new snapshot may predate it.
    mutating func breakBook(_ reason: BookBreak, pending: BookUpdate?, at now: Instant,
                            into effects: inout [BookSyncEffect]) {
        clearBuffer()
        if let pending { buffer.append(pending) }
        breakBook(reason, keepBuffer: true, at: now, into: &effects)
    }

    mutating func breakBook(_ reason: BookBreak, keepBuffer: Bool, at now: Instant,
                            into effects: inout [BookSyncEffect]) {
        if !keepBuffer { clearBuffer() }
        book.removeAll()
        awaitingBridge = false
        counters.invalidations += 1
        counters.resyncs += 1
        effects.append(.invalidated(reason))
        requestSnapshot(.resync(reason), at: now, into: &effects)
    }

    mutating func enter(_ newState: BookSyncState, at now: Instant) {
        if state != newState { stateSince = now }
        state = newState
    }
}
