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
public struct AnyBookSync: Sendable {
    enum Machine: Sendable {
        case binanceSpot(BinanceSpotBookSync)
        case binanceFutures(BinanceFuturesBookSync)
        case okxRestSnapshot(OKXSnapshotBookSync)
        case okxLegacy(OKXLegacyBookSync)
        case deribit(DeribitBookSync)
        /// OKX with `.auto`, before its first book message.
        case okxUndecided(Instrument, BookSyncConfiguration)
    }

    var machine: Machine
    /// Messages ignored because the book already reflected them.
    public private(set) var duplicatesIgnored = 0

    public init(instrument: Instrument, configuration: BookSyncConfiguration, okxProtocol: OKXBookProtocol = .auto) {
        switch instrument.venue {
        case .binance: machine = .binanceSpot(BinanceSpotBookSync(instrument: instrument, configuration: configuration))
        case .binanceFutures:
            machine = .binanceFutures(BinanceFuturesBookSync(instrument: instrument, configuration: configuration))
        case .deribit: machine = .deribit(DeribitBookSync(instrument: instrument, configuration: configuration))
        case .okx:
            switch okxProtocol {
            case .legacy: machine = .okxLegacy(OKXLegacyBookSync(instrument: instrument, configuration: configuration))
            case .restSnapshot:
                machine = .okxRestSnapshot(OKXSnapshotBookSync(instrument: instrument, configuration: configuration))
            case .auto: machine = .okxUndecided(instrument, configuration)
            }
        }
    }

    public var instrument: Instrument {
        switch machine {
        case .binanceSpot(let m): return m.instrument
        case .binanceFutures(let m): return m.instrument
        case .okxRestSnapshot(let m): return m.instrument
        case .okxLegacy(let m): return m.instrument
        case .deribit(let m): return m.instrument
        case .okxUndecided(let i, _): return i
        }
    }

    /// The machine as the common protocol, for read-only questions off the hot path.
    public var sync: (any BookSync)? {
        switch machine {
        case .binanceSpot(let m): return m
        case .binanceFutures(let m): return m
        case .okxRestSnapshot(let m): return m
        case .okxLegacy(let m): return m
        case .deribit(let m): return m
        case .okxUndecided: return nil
        }
    }

    // `sequence`, `state` and `book` are read for every message: direct switches, no existential box.

    public var sequence: Int64? {
        switch machine {
        case .binanceSpot(let m): return m.sequence
        case .binanceFutures(let m): return m.sequence
        case .okxRestSnapshot(let m): return m.sequence
        case .okxLegacy(let m): return m.sequence
        case .deribit(let m): return m.sequence
        case .okxUndecided: return nil
        }
    }

    public var state: BookSyncState {
        switch machine {
        case .binanceSpot(let m): return m.state
        case .binanceFutures(let m): return m.state
        case .okxRestSnapshot(let m): return m.state
        case .okxLegacy(let m): return m.state
        case .deribit(let m): return m.state
        case .okxUndecided: return .idle
        }
    }

    public var book: OrderBook? {
        switch machine {
        case .binanceSpot(let m): return m.book
        case .binanceFutures(let m): return m.book
        case .okxRestSnapshot(let m): return m.book
        case .okxLegacy(let m): return m.book
        case .deribit(let m): return m.book
        case .okxUndecided: return nil
        }
    }

    /// The top `depth` levels of the book into reused arrays; false without a book. Mutating only so
    /// the machine is reached in place rather than copied out of the array holding it.
    mutating func fillTop(_ depth: Int, bids: inout [BookLevel], asks: inout [BookLevel]) -> Bool {
        machine.fillTop(depth, bids: &bids, asks: &asks)
    }

    public var isValid: Bool { state == .synced }
    public var counters: BookSyncCounters { sync?.counters ?? BookSyncCounters() }

    /// Whether the venue rebuilds this book from a REST snapshot (else it comes in-stream after a resubscribe).
    public var usesRestSnapshots: Bool {
        switch machine {
        case .binanceSpot, .binanceFutures, .okxRestSnapshot: return true
        case .okxLegacy, .deribit, .okxUndecided: return false
        }
    }

    /// True when a synced book already reflects `update`: its ids end at or before the book's and it
    /// does not chain from the book's id (which would make it a heartbeat or an OKX sequence reset).
    /// Messages without ids (OKX before seqId existed) can never be recognised, so never are.
    @inline(__always)
    func isAlreadyApplied(_ update: BookUpdate) -> Bool {
        guard !update.sequence.isUnsequenced, let current = sequence else { return false }
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
            if isAlreadyApplied(update) {
                duplicatesIgnored += 1
                return
            }
            if case .okxUndecided(let instrument, let configuration) = machine {
                // Legacy books come with an in-stream snapshot and a CRC on every message; since 2026
                // there is neither (the checksum is 0), so a lost first snapshot cannot mislead us.
                machine = update.kind == .snapshot || update.checksum != nil
                    ? .okxLegacy(OKXLegacyBookSync(instrument: instrument, configuration: configuration))
                    : .okxRestSnapshot(OKXSnapshotBookSync(instrument: instrument, configuration: configuration))
            }
        }
        machine.handle(input, at: now, into: &effects)
    }
}

extension AnyBookSync.Machine {
    /// Runs the venue machine in place: `consume self` hands its payload over uniquely (no stand-in
    /// value built per message, no copy-on-write of the book) and every path puts it back.
    mutating func handle(_ input: BookSyncInput, at now: Instant, into effects: inout [BookSyncEffect]) {
        switch consume self {
        case .binanceSpot(var m):
            m.handle(input, at: now, into: &effects)
            self = .binanceSpot(m)
        case .binanceFutures(var m):
            m.handle(input, at: now, into: &effects)
            self = .binanceFutures(m)
        case .okxRestSnapshot(var m):
            m.handle(input, at: now, into: &effects)
            self = .okxRestSnapshot(m)
        case .okxLegacy(var m):
            m.handle(input, at: now, into: &effects)
            self = .okxLegacy(m)
        case .deribit(var m):
            m.handle(input, at: now, into: &effects)
            self = .deribit(m)
        case .okxUndecided(let instrument, let configuration):
            self = .okxUndecided(instrument, configuration)  // `.reset` or `.snapshot` before any book message.
        }
    }

    /// Borrows the machine: `switch consume self` here copied the whole machine (every array of both
    /// ladders retained and released) for each published book.
    func fillTop(_ depth: Int, bids: inout [BookLevel], asks: inout [BookLevel]) -> Bool {
        switch self {
        case .binanceSpot(let m): m.book.top(depth, bids: &bids, asks: &asks)
        case .binanceFutures(let m): m.book.top(depth, bids: &bids, asks: &asks)
        case .okxRestSnapshot(let m): m.book.top(depth, bids: &bids, asks: &asks)
        case .okxLegacy(let m): m.book.top(depth, bids: &bids, asks: &asks)
        case .deribit(let m): m.book.top(depth, bids: &bids, asks: &asks)
        case .okxUndecided: return false
        }
        return true
    }
}
