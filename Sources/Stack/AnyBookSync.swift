import Books
import Model

/// Which book procedure OKX runs: recordings before mid-2026 carry the in-stream snapshot (legacy),
/// live OKX since August 2026 sends none and needs the REST snapshot procedure.
public enum OKXBookProtocol: String, Sendable, Hashable {
    case legacy
    case restSnapshot = "rest_snapshot"
    /// Decide on the first book message: an in-stream snapshot or a checksum means legacy.
    case auto
}

/// One instrument's book sync machine, whichever venue rule it follows.
///
/// Besides dispatch it adds the one rule every venue shares and no venue machine knows about: a
/// message the book already reflects (a duplicate frame, or the second copy during an overlapping
/// connection rotation) is ignored instead of being taken for a gap.
///
/// The machine sits in an optional of its own type, not in an enum payload: `machine!.handle(...)`
/// mutates it where it lies, while taking it out of an enum and putting it back moved its several
/// hundred bytes twice per message (and retained its arrays when not consumed).
public struct AnyBookSync: Sendable {
    enum Kind: Sendable {
        case binanceSpot, binanceFutures, okxRestSnapshot, okxLegacy, deribit
        /// OKX with `.auto`, before its first book message.
        case okxUndecided
    }

    private(set) var kind: Kind
    private var binanceSpot: BinanceSpotBookSync?
    private var binanceFutures: BinanceFuturesBookSync?
    private var okxRestSnapshot: OKXSnapshotBookSync?
    private var okxLegacy: OKXLegacyBookSync?
    private var deribit: DeribitBookSync?
    private let instrumentValue: Instrument
    /// The bits of the instrument's native name: equal bits are the same name (see `hasNative`).
    private let nativeBits: (UInt64, UInt64)
    private let configuration: BookSyncConfiguration
    /// Messages ignored because the book already reflected them.
    public private(set) var duplicatesIgnored = 0

    public init(instrument: Instrument, configuration: BookSyncConfiguration, okxProtocol: OKXBookProtocol = .auto) {
        instrumentValue = instrument
        nativeBits = unsafeBitCast(instrument.native, to: (UInt64, UInt64).self)
        self.configuration = configuration
        switch instrument.venue {
        case .binance:
            kind = .binanceSpot
            binanceSpot = BinanceSpotBookSync(instrument: instrument, configuration: configuration)
        case .binanceFutures:
            kind = .binanceFutures
            binanceFutures = BinanceFuturesBookSync(instrument: instrument, configuration: configuration)
        case .deribit:
            kind = .deribit
            deribit = DeribitBookSync(instrument: instrument, configuration: configuration)
        case .okx:
            switch okxProtocol {
            case .legacy:
                kind = .okxLegacy
                okxLegacy = OKXLegacyBookSync(instrument: instrument, configuration: configuration)
            case .restSnapshot:
                kind = .okxRestSnapshot
                okxRestSnapshot = OKXSnapshotBookSync(instrument: instrument, configuration: configuration)
            case .auto:
                kind = .okxUndecided
            }
        }
    }

    public var instrument: Instrument { instrumentValue }

    /// Whether `native` is this book's native name by the bits of the string (the same inline text,
    /// or the same storage): no hashing, no compare. False may still be the same name stored elsewhere.
    @inline(__always)
    func hasNative(bits: (UInt64, UInt64)) -> Bool {
        nativeBits == bits
    }

    /// The machine as the common protocol, for read-only questions off the hot path.
    public var sync: (any BookSync)? {
        switch kind {
        case .binanceSpot: return binanceSpot
        case .binanceFutures: return binanceFutures
        case .okxRestSnapshot: return okxRestSnapshot
        case .okxLegacy: return okxLegacy
        case .deribit: return deribit
        case .okxUndecided: return nil
        }
    }

    // `sequence`, `state` and `book` are read for every message: direct switches, no existential box.

    public var sequence: Int64? {
        switch kind {
        case .binanceSpot: return binanceSpot.unsafelyUnwrapped.sequence
        case .binanceFutures: return binanceFutures.unsafelyUnwrapped.sequence
        case .okxRestSnapshot: return okxRestSnapshot.unsafelyUnwrapped.sequence
        case .okxLegacy: return okxLegacy.unsafelyUnwrapped.sequence
        case .deribit: return deribit.unsafelyUnwrapped.sequence
        case .okxUndecided: return nil
        }
    }

    public var state: BookSyncState {
        switch kind {
        case .binanceSpot: return binanceSpot.unsafelyUnwrapped.state
        case .binanceFutures: return binanceFutures.unsafelyUnwrapped.state
        case .okxRestSnapshot: return okxRestSnapshot.unsafelyUnwrapped.state
        case .okxLegacy: return okxLegacy.unsafelyUnwrapped.state
        case .deribit: return deribit.unsafelyUnwrapped.state
        case .okxUndecided: return .idle
        }
    }

    public var book: OrderBook? {
        switch kind {
        case .binanceSpot: return binanceSpot?.book
        case .binanceFutures: return binanceFutures?.book
        case .okxRestSnapshot: return okxRestSnapshot?.book
        case .okxLegacy: return okxLegacy?.book
        case .deribit: return deribit?.book
        case .okxUndecided: return nil
        }
    }

    /// The top `depth` levels of the book into reused arrays; false without a book. Mutating (as
    /// `bookShape`) only so the machine is reached in place rather than copied out of the array holding it.
    mutating func fillTop(_ depth: Int, bids: inout [BookLevel], asks: inout [BookLevel]) -> Bool {
        switch kind {
        case .binanceSpot: binanceSpot?.book.top(depth, bids: &bids, asks: &asks)
        case .binanceFutures: binanceFutures?.book.top(depth, bids: &bids, asks: &asks)
        case .okxRestSnapshot: okxRestSnapshot?.book.top(depth, bids: &bids, asks: &asks)
        case .okxLegacy: okxLegacy?.book.top(depth, bids: &bids, asks: &asks)
        case .deribit: deribit?.book.top(depth, bids: &bids, asks: &asks)
        case .okxUndecided: return false
        }
        return true
    }

    /// The book's revision, the revision before the last change if that change was one whole delta,
    /// and its side lengths (see `OrderBook.revisionBeforeDelta`); nil without a book.
    mutating func bookShape() -> BookShape? {
        switch kind {
        case .binanceSpot: BookShape(binanceSpot.unsafelyUnwrapped.book)
        case .binanceFutures: BookShape(binanceFutures.unsafelyUnwrapped.book)
        case .okxRestSnapshot: BookShape(okxRestSnapshot.unsafelyUnwrapped.book)
        case .okxLegacy: BookShape(okxLegacy.unsafelyUnwrapped.book)
        case .deribit: BookShape(deribit.unsafelyUnwrapped.book)
        case .okxUndecided: nil
        }
    }

    public var isValid: Bool { state == .synced }
    public var counters: BookSyncCounters { sync?.counters ?? BookSyncCounters() }

    /// Whether the venue rebuilds this book from a REST snapshot (else it comes in-stream after a resubscribe).
    public var usesRestSnapshots: Bool {
        switch kind {
        case .binanceSpot, .binanceFutures, .okxRestSnapshot: return true
        case .okxLegacy, .deribit, .okxUndecided: return false
        }
    }

    /// True when a synced book at `current` already reflects `update`: its ids end at or before the
    /// book's and it does not chain from the book's id (which would make it a heartbeat or an OKX
    /// sequence reset). Messages without ids (OKX before seqId existed) can never be recognised, so never are.
    @inline(__always)
    static func isAlreadyApplied(_ update: BookUpdate, current: Int64?) -> Bool {
        guard !update.sequence.isUnsequenced, let current else { return false }
        // A full book again at the very id the valid book stands at (a repeated subscription) changes nothing.
        if update.kind == .snapshot { return update.sequence.last == current }
        let s = update.sequence
        guard s.last <= current else { return false }
        if Self.isRestartedNumbering(s.last, current: current) { return false }
        if let previous = s.previous { return previous < current }
        return s.first <= current
    }

    /// A message far behind the book is no late copy but a venue that restarted its sequence: a copy
    /// trails the book by moments, while a restarted numbering starts again near zero (OKX: "the
    /// smallest possible sequence ID value is 0"). Below half the book's id, the venue machine must
    /// see the message, so its continuity rule breaks the book and a resync follows.
    @inline(__always)
    static func isRestartedNumbering(_ last: Int64, current: Int64) -> Bool {
        current >= 1_000 && last < current / 2
    }

    public mutating func handle(_ input: BookSyncInput, at now: Instant, into effects: inout [BookSyncEffect]) {
        if case .update(let update) = input {
            if handleUpdate(update, at: now, into: &effects) { effects.append(.publish(update)) }
            return
        }
        switch kind {
        case .binanceSpot: binanceSpot!.handle(input, at: now, into: &effects)
        case .binanceFutures: binanceFutures!.handle(input, at: now, into: &effects)
        case .okxRestSnapshot: okxRestSnapshot!.handle(input, at: now, into: &effects)
        case .okxLegacy: okxLegacy!.handle(input, at: now, into: &effects)
        case .deribit: deribit!.handle(input, at: now, into: &effects)
        case .okxUndecided: break  // `.reset` or `.snapshot` before any book message.
        }
    }
}

extension AnyBookSync {
    /// `handle(.update(update))`, except that when its last effect would be `.publish(update)` (this
    /// very message, as for nearly every delta of a synced book) that effect is not appended and the
    /// answer is true: the caller publishes the update it holds after the effects appended. Saves
    /// wrapping the update in an input and an effect (copying and destroying it twice) per message.
    @inline(__always)
    mutating func handleUpdate(_ update: BookUpdate, at now: Instant, into effects: inout [BookSyncEffect]) -> Bool {
        // Each case reads the machine's sequence and runs it where it lies: the `sequence` getter of
        // this struct (all five optional machines, ~3 KB) was called on a copy of it.
        switch kind {
        case .binanceSpot:
            if Self.isAlreadyApplied(update, current: binanceSpot!.sequence) { return ignoreDuplicate() }
            return binanceSpot!.handleUpdate(update, at: now, into: &effects)
        case .binanceFutures:
            if Self.isAlreadyApplied(update, current: binanceFutures!.sequence) { return ignoreDuplicate() }
            return binanceFutures!.handleUpdate(update, at: now, into: &effects)
        case .okxRestSnapshot:
            if Self.isAlreadyApplied(update, current: okxRestSnapshot!.sequence) { return ignoreDuplicate() }
            return okxRestSnapshot!.handleUpdate(update, at: now, into: &effects)
        case .okxLegacy:
            if Self.isAlreadyApplied(update, current: okxLegacy!.sequence) { return ignoreDuplicate() }
            return okxLegacy!.handleUpdate(update, at: now, into: &effects)
        case .deribit:
            if Self.isAlreadyApplied(update, current: deribit!.sequence) { return ignoreDuplicate() }
            return deribit!.handleUpdate(update, at: now, into: &effects)
        case .okxUndecided:
            // No book yet, so nothing is a duplicate.
            decideOKXProtocol(update)
            if kind == .okxLegacy { return okxLegacy!.handleUpdate(update, at: now, into: &effects) }
            return okxRestSnapshot!.handleUpdate(update, at: now, into: &effects)
        }
    }

    private mutating func ignoreDuplicate() -> Bool {
        duplicatesIgnored += 1
        return false
    }

    /// Legacy books come with an in-stream snapshot and a CRC on every message; since 2026 there is
    /// neither (the checksum is 0), so a lost first snapshot cannot mislead us.
    @inline(never)
    private mutating func decideOKXProtocol(_ update: BookUpdate) {
        if update.kind == .snapshot || update.checksum != nil {
            kind = .okxLegacy
            okxLegacy = OKXLegacyBookSync(instrument: instrumentValue, configuration: configuration)
        } else {
            kind = .okxRestSnapshot
            okxRestSnapshot = OKXSnapshotBookSync(instrument: instrumentValue, configuration: configuration)
        }
    }
}

/// What publishing a book needs to know of it besides its levels.
struct BookShape {
    var revision: UInt64
    var revisionBeforeDelta: UInt64?
    var bidCount: Int
    var askCount: Int

    @inline(__always)
    init(_ book: OrderBook) {
        revision = book.revision
        revisionBeforeDelta = book.revisionBeforeDelta
        bidCount = book.bidCount
        askCount = book.askCount
    }
}
