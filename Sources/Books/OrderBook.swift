import Model

/// A local limit order book: bids and asks keyed by exact price.
///
/// Prices are ordered as Int64 mantissas at one scale per book (the largest scale seen), so a
/// comparison is one integer compare; a finer price rescales the book once. Levels keep the exact
/// text scale they arrived with, so `top(_:)` and checksums reproduce the venue's strings.
/// Equality compares the levels by value (prices and sizes), not the internal scale: two books that
/// show the same market are equal, which is what an oracle needs.
public struct OrderBook: Sendable {
    /// The scale of the integer keys; grows when a price with more fractional digits arrives.
    public private(set) var priceScale: UInt8
    @usableFromInline var bidLadder = PriceLadder()
    @usableFromInline var askLadder = PriceLadder()
    /// The last OKX checksum's text, reused for the next one (not part of the book's value).
    var checksumText = OKXChecksumText()
    /// Counts changes to the levels (every apply, replace or removal; a delta without levels is none),
    /// so a reader that saw the book at one revision can tell whether exactly one delta moved it since:
    /// a publisher then writes the new book from its last message and that delta's levels.
    public var revision: UInt64 { changes }
    /// The revision before the last change when that change was one whole delta (with levels), else
    /// nil: the book is then that revision with the delta's levels applied.
    public var revisionBeforeDelta: UInt64? { lastDeltaRevision == changes ? changes &- 1 : nil }
    @usableFromInline var changes: UInt64 = 0
    /// The revision the last fully applied delta left.
    @usableFromInline var lastDeltaRevision: UInt64 = .max

    /// `capacity` reserves room per side (venues send up to 5000 levels a side).
    public init(priceScale: UInt8 = 0, capacity: Int = 0) {
        precondition(priceScale <= FixedDecimal.maxScale, "OrderBook scale out of range")
        self.priceScale = priceScale
        if capacity > 0 {
            bidLadder.reserveChunks(forLevels: capacity)
            askLadder.reserveChunks(forLevels: capacity)
        }
    }

    /// A book holding exactly the levels of `snapshot` (zero sizes skipped).
    public init(snapshot: BookUpdate) throws(BookError) {
        self.init()
        try replace(with: snapshot)
    }

    public var bidCount: Int { bidLadder.count }
    public var askCount: Int { askLadder.count }
    public var isEmpty: Bool { bidLadder.count == 0 && askLadder.count == 0 }

    public func count(_ side: BookSide) -> Int { side == .bid ? bidLadder.count : askLadder.count }

    @inlinable public var bestBid: BookLevel? { bidLadder.bestLevel }
    @inlinable public var bestAsk: BookLevel? { askLadder.bestLevel }

    /// Best bid at or above best ask: impossible on a consistent venue book, so a sign of a missed update.
    @inlinable
    public var isCrossed: Bool {
        guard let bid = bidLadder.bestKey, let ask = askLadder.bestKey else { return false }
        // Ask keys are negated prices.
        return bid >= 0 &- ask
    }

    /// The level at `rank` on `side`, 0 being the best; nil past the end.
    @inlinable
    public func level(_ side: BookSide, rank: Int) -> BookLevel? {
        side == .bid ? bidLadder.level(rank: rank) : askLadder.level(rank: rank)
    }

    /// Up to `n` levels a side, best first (the published view).
    public func top(_ n: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        (bidLadder.top(n), askLadder.top(n))
    }

    /// Up to `n` levels a side into reused arrays: a publisher that keeps them between books allocates
    /// nothing once they have grown (while no copy of them is still alive).
    public func top(_ n: Int, bids: inout [BookLevel], asks: inout [BookLevel]) {
        bidLadder.top(n, into: &bids)
        askLadder.top(n, into: &asks)
    }

    /// All levels of one side, best first.
    public func levels(_ side: BookSide) -> [BookLevel] {
        side == .bid ? bidLadder.top(bidLadder.count) : askLadder.top(askLadder.count)
    }

    /// Sets the level at `price` to `size`; a zero size removes it (removing a missing level is a no-op).
    /// Throws, leaving the book unchanged, for a negative size or a price that cannot be keyed exactly.
    @inlinable
    public mutating func apply(side: BookSide, price: FixedDecimal, size: FixedDecimal) throws(BookError) {
        changes &+= 1
        try applyLevel(side: side, price: price, size: size)
    }

    /// `apply(side:price:size:)` without counting a revision (a delta counts one for all its levels).
    @inlinable
    mutating func applyLevel(side: BookSide, price: FixedDecimal, size: FixedDecimal) throws(BookError) {
        if size.mantissa < 0 { throw BookError.negativeSize(side: side, price: price, size: size) }
        var mantissa = price.mantissa
        if price.scale != priceScale || mantissa == .min {
            mantissa = try key(for: price, side: side)
        }
        let level = BookLevel(price: price, size: size)
        switch side {
        case .bid: bidLadder.set(key: mantissa, level: level)
        case .ask: askLadder.set(key: 0 &- mantissa, level: level)
        }
    }

    /// Applies a venue message: a snapshot replaces the book, a delta sets each level.
    /// On a thrown error the levels before the failing one stay applied; callers treat the book as broken.
    @inlinable
    public mutating func apply(_ update: BookUpdate) throws(BookError) {
        if update.kind == .snapshot {
            try replace(with: update)
            return
        }
        if update.bids.isEmpty && update.asks.isEmpty { return }
        changes &+= 1
        for level in update.bids { try applyLevel(side: .bid, price: level.price, size: level.size) }
        for level in update.asks { try applyLevel(side: .ask, price: level.price, size: level.size) }
        lastDeltaRevision = changes
    }

    /// Replaces every level with those of `snapshot`, in any order (zero sizes skipped, the last of
    /// duplicate prices wins). The book's scale restarts at the snapshot's finest price.
    public mutating func replace(with snapshot: BookUpdate) throws(BookError) {
        var scale: UInt8 = 0
        for level in snapshot.bids where level.price.scale > scale { scale = level.price.scale }
        for level in snapshot.asks where level.price.scale > scale { scale = level.price.scale }
        let bids = try PriceLadder(levels: snapshot.bids, side: .bid, scale: scale)
        let asks = try PriceLadder(levels: snapshot.asks, side: .ask, scale: scale)
        changes &+= 1
        priceScale = scale
        bidLadder = bids
        askLadder = asks
    }

    public mutating func removeAll() {
        changes &+= 1
        bidLadder.removeAll()
        askLadder.removeAll()
    }

    /// The key of `price` at this book's scale, first rescaling the book if the price is finer.
    @usableFromInline
    mutating func key(for price: FixedDecimal, side: BookSide) throws(BookError) -> Int64 {
        if price.scale > priceScale {
            let factor = powerOfTen(price.scale - priceScale)
            guard let bids = bidLadder.rescaled(by: factor), let asks = askLadder.rescaled(by: factor) else {
                throw BookError.priceNotRepresentable(side: side, price: price, bookScale: priceScale)
            }
            bidLadder = bids
            askLadder = asks
            priceScale = price.scale
        }
        guard let m = price.mantissa(atScale: priceScale), m != .min else {
            throw BookError.priceNotRepresentable(side: side, price: price, bookScale: priceScale)
        }
        return m
    }
}

extension PriceLadder {
    /// A ladder built from levels in any order, sorted once rather than inserted one by one.
    init(levels input: [BookLevel], side: BookSide, scale: UInt8) throws(BookError) {
        var entries: [(key: Int64, order: Int, level: BookLevel)] = []
        entries.reserveCapacity(input.count)
        for (order, level) in input.enumerated() {
            if level.size.mantissa < 0 {
                throw BookError.negativeSize(side: side, price: level.price, size: level.size)
            }
            guard let m = level.price.mantissa(atScale: scale), m != .min else {
                throw BookError.priceNotRepresentable(side: side, price: level.price, bookScale: scale)
            }
            entries.append((side == .bid ? m : 0 &- m, order, level))
        }
        // Venues send best first, so the reversed input is usually already sorted.
        entries.reverse()
        var sorted = true
        var i = 1
        while i < entries.count {
            if entries[i - 1].key >= entries[i].key {
                sorted = false
                break
            }
            i += 1
        }
        if !sorted {
            entries.sort { $0.key != $1.key ? $0.key < $1.key : $0.order < $1.order }
        }
        // Drop zero sizes and earlier duplicates (the later one, with the higher order, wins).
        var keys: [Int64] = []
        var levels: [BookLevel] = []
        keys.reserveCapacity(entries.count)
        levels.reserveCapacity(entries.count)
        for entry in entries {
            if let last = keys.last, last == entry.key {
                keys.removeLast()
                levels.removeLast()
            }
            if entry.level.size.mantissa != 0 {
                keys.append(entry.key)
                levels.append(entry.level)
            }
        }
        self.init(sortedKeys: keys, levels: levels)
    }
}

@usableFromInline
func powerOfTen(_ exponent: UInt8) -> Int64 {
    var r: Int64 = 1
    for _ in 0..<exponent { r &*= 10 }
    return r
}

extension OrderBook: Equatable {
    public static func == (lhs: OrderBook, rhs: OrderBook) -> Bool {
        lhs.bidLadder.hasSameLevels(as: rhs.bidLadder) && lhs.askLadder.hasSameLevels(as: rhs.askLadder)
    }
}

extension OrderBook: CustomStringConvertible {
    public var description: String {
        let bid = bestBid.map { "\($0.size)@\($0.price)" } ?? "-"
        let ask = bestAsk.map { "\($0.size)@\($0.price)" } ?? "-"
        return "OrderBook(bids: \(bidCount), asks: \(askCount), best: \(bid) / \(ask))"
    }
}
