import Model

/// What a book sync state machine is told. It never does I/O: the driver feeds it messages and
/// carries out the effects it returns.
public enum BookSyncInput: Sendable {
    /// A book message from the websocket (a delta, or an in-stream full book on OKX legacy and Deribit).
    case update(BookUpdate)
    /// A REST snapshot the machine asked for with `.requestSnapshot`.
    case snapshot(BookUpdate)
    /// The connection was reopened or the channel resubscribed: start over from nothing.
    case reset
}

/// Why a local book stopped matching the venue's. Every break invalidates the book and triggers a resync.
public enum BookBreak: Error, Hashable, Sendable {
    /// A message does not continue from the last one applied (a lost message): `expected` is the id the
    /// rule required (Binance spot: previous `u`+1 as `U`; futures/OKX/Deribit: previous id as the
    /// message's previous id), `received` the id the message carried.
    case gap(expected: Int64, received: Int64)
    /// A delta lacks the previous id that the venue's rule needs (`pu`, `prevSeqId`, `prev_change_id`).
    case missingPreviousId(last: Int64)
    /// After a snapshot with id `snapshot`, the first newer message does not bridge it.
    case noBridge(snapshot: Int64, message: BookSequence)
    /// OKX: the checksum the venue sent differs from the one computed over the local book.
    case checksumMismatch(expected: Int32, computed: Int32)
    /// Best bid at or above best ask after applying a message.
    case crossed(bid: FixedDecimal, ask: FixedDecimal)
    /// OKX `seqId < prevSeqId`, only a break when `resyncsOnSequenceReset` is set.
    case sequenceReset(previous: Int64, current: Int64)
    /// A level could not be applied (negative size, unrepresentable price).
    case invalidLevel(BookError)
}

/// Why a REST snapshot is requested.
public enum SnapshotRequestReason: Hashable, Sendable {
    /// The first sync after (re)subscribing.
    case initial
    /// The snapshot received was older than the buffered stream: its id was below `required`.
    case staleSnapshot(snapshotId: Int64, required: Int64)
    /// The book broke and must be rebuilt.
    case resync(BookBreak)
}

/// What the driver must do after a `handle` call, in order.
public enum BookSyncEffect: Hashable, Sendable {
    /// GET a REST snapshot for the instrument and feed it back as `.snapshot`.
    case requestSnapshot(Instrument, reason: SnapshotRequestReason)
    /// Unsubscribe and subscribe the book channel again (venues whose full book comes in-stream).
    case resubscribe(Instrument, reason: BookBreak)
    /// The book is valid and now reflects `update` (for a sync, the last message applied): publish it.
    case publish(BookUpdate)
    /// The book is no longer trustworthy; nothing is published until `.synced`.
    case invalidated(BookBreak)
    /// The book is valid again, at the venue's sequence id `sequence`.
    case synced(sequence: Int64)
    /// Buffered messages older than the snapshot were discarded, as the venue's procedure says.
    case droppedStale(count: Int)
    /// OKX signalled an exchange-side sequence reset that chained correctly; the book stays valid.
    case sequenceReset(previous: Int64, current: Int64)
}

/// Where a sync machine stands.
public enum BookSyncState: Hashable, Sendable {
    /// Nothing received since start or `.reset`.
    case idle
    /// Buffering stream messages until the requested REST snapshot arrives.
    case awaitingSnapshot
    /// Waiting for the venue to send a full book in-stream (after subscribe or resubscribe).
    case awaitingStreamSnapshot
    /// The book matches the venue's and may be published.
    case synced
}

/// Tunables shared by the sync machines.
public struct BookSyncConfiguration: Hashable, Sendable {
    /// Levels a side in the published view.
    public var publishedDepth: Int
    /// Stream messages held while a REST snapshot is outstanding; the oldest are dropped beyond this.
    public var maxBufferedUpdates: Int
    /// Verify OKX checksums when the message carries one (0 means absent, as OKX sends since 2026-06).
    public var verifiesChecksums: Bool
    /// Treat a correctly chained OKX sequence reset as a break instead of continuing.
    public var resyncsOnSequenceReset: Bool
    /// Levels a side reserved up front. 0 by default: a collector may hold hundreds of books (Deribit
    /// options), most small, and snapshots size their storage exactly anyway.
    public var reservedLevels: Int

    public init(
        publishedDepth: Int = 400, maxBufferedUpdates: Int = 10_000, verifiesChecksums: Bool = true,
        resyncsOnSequenceReset: Bool = false, reservedLevels: Int = 0
    ) {
        self.publishedDepth = publishedDepth
        self.maxBufferedUpdates = maxBufferedUpdates
        self.verifiesChecksums = verifiesChecksums
        self.resyncsOnSequenceReset = resyncsOnSequenceReset
        self.reservedLevels = reservedLevels
    }

    public static let standard = BookSyncConfiguration()
}

/// Running totals for reports; never reset by `.reset`.
public struct BookSyncCounters: Hashable, Sendable {
    /// Deltas applied to a valid book (heartbeats excluded).
    public var updatesApplied = 0
    /// Level changes in those deltas and in snapshots applied.
    public var levelChanges = 0
    /// Snapshots (REST or in-stream) that made the book valid.
    public var snapshotsApplied = 0
    public var snapshotsRequested = 0
    /// REST snapshots older than the buffered stream, refetched.
    public var staleSnapshots = 0
    /// Snapshots that arrived when none was awaited, ignored.
    public var unexpectedSnapshots = 0
    /// Buffered messages discarded as older than the snapshot.
    public var droppedStale = 0
    /// Messages discarded because no book was being built from them (before the first full book, or the
    /// OKX first event the 2026 procedure ignores).
    public var droppedUnsynced = 0
    /// Buffered messages discarded because the buffer was full.
    public var bufferOverflows = 0
    /// Gaps, missing previous ids and failed bridges.
    public var sequenceErrors = 0
    public var crossedBooks = 0
    public var checksumsChecked = 0
    public var checksumsFailed = 0
    public var invalidLevels = 0
    public var sequenceResets = 0
    /// OKX messages with no change that only prove the stream is alive.
    public var heartbeats = 0
    /// Times the book was invalidated.
    public var invalidations = 0
    /// Resyncs started after a break (snapshot refetches or resubscribes).
    public var resyncs = 0

    public init() {}
}

/// One venue's book sync rule as a state machine: explicit input and instant in, effects out.
///
/// Effects are appended to a caller-owned buffer so a steady stream allocates nothing per message.
public protocol BookSync: Sendable {
    var instrument: Instrument { get }
    var state: BookSyncState { get }
    /// The local book; meaningful only while `state == .synced`.
    var book: OrderBook { get }
    var counters: BookSyncCounters { get }
    var configuration: BookSyncConfiguration { get }
    /// The venue sequence id the book reflects, while synced.
    var sequence: Int64? { get }
    /// When `state` last changed.
    var stateSince: Instant { get }

    mutating func handle(_ input: BookSyncInput, at now: Instant, into effects: inout [BookSyncEffect])
}

extension BookSync {
    public var isValid: Bool { state == .synced }

    /// Convenience for tests and cold paths: the effects of one input as a new array.
    public mutating func handle(_ input: BookSyncInput, at now: Instant) -> [BookSyncEffect] {
        var effects: [BookSyncEffect] = []
        handle(input, at: now, into: &effects)
        return effects
    }

    /// The top `configuration.publishedDepth` levels a side, or nil while the book is not valid.
    public func publishedView() -> (bids: [BookLevel], asks: [BookLevel])? {
        isValid ? book.top(configuration.publishedDepth) : nil
    }
}
