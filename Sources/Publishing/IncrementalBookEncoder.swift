import Model

/// Encodes one book's successive orderbook messages to exactly the bytes `MessageEncoder.encode` gives,
/// copying the text of levels the previous message already wrote instead of formatting them again.
///
/// Why: a published book is mostly level text (about 44 levels a side in the synthetic books at the
/// default depth), and between two consecutive books of an instrument only a few levels change, so
/// formatting every decimal anew was most of the replay's encoding time. The state is the previous
/// message (its storage is shared, not copied), its levels and where each starts, and the subject and
/// instrument fields of the last instrument. Anything can be encoded next (another instrument, a book
/// from nothing): a level's bytes are only copied when the previous message holds it with identical
/// bits, so history changes speed, never output.
public struct IncrementalBookEncoder: Sendable {
    public let encoder: MessageEncoder
    /// The previous message's bytes, which the level runs are copied from.
    private var previous: [UInt8] = []
    /// The message before that: the next message is written into its storage, which the sink has
    /// let go of by then in a replay (else `removeAll(keepingCapacity:)` gives new storage).
    private var spare: [UInt8] = []
    private var bids = Side()
    private var asks = Side()
    /// Bounds arrays of the side before last, reused for the next message's.
    private var spareBidBounds: [Int32] = []
    private var spareAskBounds: [Int32] = []
    /// The instrument `fixedBytes` were written for, and the bits of its strings.
    private var cachedInstrument: Instrument?
    private var cachedKey = CachingMessageEncoder.Key()
    /// The instrument's fixed bytes in one array (one borrow a message instead of three): the
    /// subject; what `MessageId` writes before a sequenced book's sequence; the payload from its
    /// opening brace through `"data_type":"orderbook"`. `subjectEnd` and `idPrefixEnd` split them.
    private var fixedBytes: [UInt8] = []
    private var subjectEnd = 0
    private var idPrefixEnd = 0
    /// The UTF-8 length of the instrument's names, for `MessageEncoder.orderbookCapacity`.
    private var nameBytes = 0
    /// Levels the last `encode` copied rather than formatted (both sides).
    public private(set) var lastCopiedLevels = 0
    /// The last second's text, handed from one message's writer to the next.
    private var secondText = SecondText()
    /// The book revision the previous message showed, when the caller named one: a delta from exactly
    /// that revision can be written from the previous message and the delta's levels.
    private var lastRevision: UInt64?
    /// Scratch for `encode(_:applying:...)`: each side's new levels and segments.
    private var bidEdits = SideEdits()
    private var askEdits = SideEdits()

    /// One side of the previous message: its first `count` levels were written (`levels` may hold
    /// more), and their offsets in `previous`.
    struct Side {
        var levels: [BookLevel] = []
        var count = 0
        var bounds: [Int32] = []
    }

    public init(encoder: MessageEncoder) {
        self.encoder = encoder
    }

    /// The message `encoder.encode(.orderbook(view))` would give, byte for byte.
    public mutating func encode(_ view: OrderbookView) -> OutboundMessage {
        lastRevision = nil
        let message = encode(
            view.instrument, bids: view.bids, bidCount: view.bids.count, asks: view.asks, askCount: view.asks.count,
            sequence: view.sequence, exchangeTime: view.exchangeTime, receiveTime: view.receiveTime)
        let depth = encoder.configuration.orderbookDepth
        Self.copy(view.bids.prefix(depth), into: &bids)
        Self.copy(view.asks.prefix(depth), into: &asks)
        return message
    }

    /// The same message for a book given as level arrays (best first), which become this encoder's own:
    /// on return `bids` and `asks` hold the levels of the message before, for the caller to refill, so a
    /// publisher that reuses two arrays copies no level and allocates nothing for them.
    ///
    /// `revision` names the book state these levels are the top of (`OrderBook.revision`, the whole
    /// top: `encoder.configuration.orderbookDepth` levels a side or the whole side), so that the next
    /// book can be written from this message and one delta (`encode(_:applying:...)`); nil when unknown.
    public mutating func encode(
        _ instrument: Instrument, bids newBids: inout [BookLevel], asks newAsks: inout [BookLevel], revision: UInt64? = nil,
        sequence: Int64, exchangeTime: Instant, receiveTime: Instant
    ) -> OutboundMessage {
        lastRevision = revision
        let message = encode(
            instrument, bids: newBids, bidCount: newBids.count, asks: newAsks, askCount: newAsks.count, sequence: sequence,
            exchangeTime: exchangeTime, receiveTime: receiveTime)
        let depth = encoder.configuration.orderbookDepth
        swap(&bids.levels, &newBids)
        swap(&asks.levels, &newAsks)
        bids.count = Swift.min(bids.levels.count, depth)
        asks.count = Swift.min(asks.levels.count, depth)
        return message
    }

    /// The message for the book this encoder's last message showed after exactly one delta, written
    /// from that message: no level of the book is read or compared, only the delta's levels are placed
    /// (by price) among the previous message's and formatted, and the runs between them copied whole.
    ///
    /// `bids` and `asks` are the delta's levels as the book applied them, in order (a zero size removes
    /// the level, the last of equal prices wins); `bidCount` and `askCount` the book's side lengths
    /// after it; `revision` the book's revision after it and `base` before it. Nil, with nothing
    /// changed, when the last message did not show revision `base` of a book of `instrument`, or when
    /// the new top does not follow from the last message (a side cut at the depth that lost levels,
    /// whose replacements only the book knows): the caller then encodes the full top.
    public mutating func encode(
        _ instrument: Instrument, applying bidChanges: [BookLevel], _ askChanges: [BookLevel], bidCount: Int, askCount: Int,
        revision: UInt64, after base: UInt64, sequence: Int64, exchangeTime: Instant, receiveTime: Instant
    ) -> OutboundMessage? {
        guard lastRevision == base, !previous.isEmpty, hasCachedFields(for: instrument) else { return nil }
        let depth = encoder.configuration.orderbookDepth
        // The state's arrays are moved into locals for the work (and back): read through `self`
        // while `self` is being mutated, each was retained and released around every use.
        var bidSide = SideEdits()
        var askSide = SideEdits()
        swap(&bidSide, &bidEdits)
        swap(&askSide, &askEdits)
        var oldBids = Side()
        var oldAsks = Side()
        swap(&oldBids, &bids)
        swap(&oldAsks, &asks)
        let merged = bidSide.merge(bidChanges, into: oldBids, isBid: true, depth: depth, sideCount: bidCount)
            && askSide.merge(askChanges, into: oldAsks, isBid: false, depth: depth, sideCount: askCount)
        swap(&oldBids, &bids)
        swap(&oldAsks, &asks)
        guard merged else {
            swap(&bidSide, &bidEdits)
            swap(&askSide, &askEdits)
            return nil
        }
        let message = bidSide.segments.withUnsafeBufferPointer { bidSegments in
            askSide.segments.withUnsafeBufferPointer { askSegments in
                encode(
                    instrument, bids: bidSide.levels, bidCount: bidSide.count, asks: askSide.levels, askCount: askSide.count,
                    sequence: sequence, exchangeTime: exchangeTime, receiveTime: receiveTime
                ) { w, levels, isBid, previous, bounds in
                    let segments = isBid
                        ? UnsafeBufferPointer(rebasing: bidSegments[..<bidSide.segmentCount])
                        : UnsafeBufferPointer(rebasing: askSegments[..<askSide.segmentCount])
                    return w.levels(levels, segments: segments, previous: previous, bounds: bounds)
                }
            }
        }
        // The new levels become the state's; the old ones are the next call's scratch.
        swap(&bids.levels, &bidSide.levels)
        swap(&asks.levels, &askSide.levels)
        bids.count = bidSide.count
        asks.count = askSide.count
        swap(&bidSide, &bidEdits)
        swap(&askSide, &askEdits)
        lastRevision = revision
        return message
    }

    /// Encodes with the merge walk against the previous levels.
    private mutating func encode(
        _ instrument: Instrument, bids newBids: [BookLevel], bidCount: Int, asks newAsks: [BookLevel], askCount: Int,
        sequence: Int64, exchangeTime: Instant, receiveTime: Instant
    ) -> OutboundMessage {
        encode(
            instrument, bids: newBids, bidCount: bidCount, asks: newAsks, askCount: askCount, sequence: sequence,
            exchangeTime: exchangeTime, receiveTime: receiveTime
        ) { w, levels, isBid, previous, bounds in
            w.levels(levels, isBid: isBid, previous: previous, bounds: bounds)
        }
    }

    /// Encodes with `writeSide` writing each side's levels and their bounds, and moves the new bounds
    /// into the state; the caller then makes the levels the state's. `writeSide` gets the first `depth`
    /// levels of the array given, which must hold the side's levels first (`bidCount`, `askCount`).
    private mutating func encode(
        _ instrument: Instrument, bids newBids: [BookLevel], bidCount: Int, asks newAsks: [BookLevel], askCount: Int,
        sequence: Int64, exchangeTime: Instant, receiveTime: Instant,
        writeSide: (inout JSONWriter, UnsafeBufferPointer<BookLevel>, _ isBid: Bool, JSONWriter.WrittenLevels, UnsafeMutablePointer<Int32>) -> Int
    ) -> OutboundMessage {
        if !hasCachedFields(for: instrument) { cacheFields(of: instrument) }
        let depth = encoder.configuration.orderbookDepth
        var subjectCount = 0
        var idCount = 0
        var copied = 0
        var bidBounds: [Int32] = []
        var askBounds: [Int32] = []
        swap(&bidBounds, &spareBidBounds)
        swap(&askBounds, &spareAskBounds)
        Self.makeRoom(&bidBounds, for: Swift.min(bidCount, depth))
        Self.makeRoom(&askBounds, for: Swift.min(askCount, depth))
        let capacity = encoder.orderbookCapacity(nameBytes: nameBytes, bidCount: bidCount, askCount: askCount)
        let subjectEnd = self.subjectEnd
        let idPrefixEnd = self.idPrefixEnd
        var second = secondText
        let oldBidCount = bids.count
        let oldAskCount = asks.count
        var buffer: [UInt8] = []
        swap(&buffer, &spare)
        buffer.removeAll(keepingCapacity: true)
        // Moved into locals for the write (and back), so no array of `self` is retained around its use.
        var fixedBytes: [UInt8] = []
        var previous: [UInt8] = []
        var oldBidSide = Side()
        var oldAskSide = Side()
        swap(&fixedBytes, &self.fixedBytes)
        swap(&previous, &self.previous)
        swap(&oldBidSide, &bids)
        swap(&oldAskSide, &asks)
        let encoder = self.encoder
        fixedBytes.withUnsafeBufferPointer { fixed in
        previous.withUnsafeBufferPointer { previousBytes in
            oldBidSide.levels.withUnsafeBufferPointer { oldBids in
                oldBidSide.bounds.withUnsafeBufferPointer { oldBidBounds in
                    oldAskSide.levels.withUnsafeBufferPointer { oldAsks in
                        oldAskSide.bounds.withUnsafeBufferPointer { oldAskBounds in
                            bidBounds.withUnsafeMutableBufferPointer { newBidBounds in
                                askBounds.withUnsafeMutableBufferPointer { newAskBounds in
                                    let bytes = previousBytes.isEmpty ? nil : UnsafePointer(previousBytes.baseAddress)
                                    let oldBids = JSONWriter.WrittenLevels(
                                        levels: UnsafeBufferPointer(rebasing: oldBids.prefix(oldBidCount)),
                                        bounds: oldBidBounds.baseAddress ?? Self.noBounds, bytes: bytes)
                                    let oldAsks = JSONWriter.WrittenLevels(
                                        levels: UnsafeBufferPointer(rebasing: oldAsks.prefix(oldAskCount)),
                                        bounds: oldAskBounds.baseAddress ?? Self.noBounds, bytes: bytes)
                                    JSONWriter.append(into: &buffer, capacity: capacity) { w in
                                        w.secondText = second
                                        w.append(UnsafeBufferPointer(rebasing: fixed[..<subjectEnd]))
                                        subjectCount = w.count
                                        w.byte(0)
                                        // A sequenced id is the cached prefix and the sequence; an unsequenced
                                        // one goes through `MessageId`.
                                        if sequence != 0 {
                                            w.append(UnsafeBufferPointer(rebasing: fixed[subjectEnd..<idPrefixEnd]))
                                            w.integer(sequence)
                                        } else {
                                            Self.writeUnsequencedId(
                                                instrument, exchangeTime: exchangeTime, receiveTime: receiveTime, into: &w)
                                        }
                                        idCount = w.count - subjectCount - 1
                                        w.byte(0)
                                        w.append(UnsafeBufferPointer(rebasing: fixed[idPrefixEnd...]))
                                        encoder.writeTimeFields(exchangeTime: exchangeTime, receiveTime: receiveTime, into: &w)
                                        copied = 0
                                        encoder.writeOrderbookFields(sequence: sequence, bids: newBids, asks: newAsks, into: &w) {
                                            w, levels, isBid in
                                            copied += isBid
                                                ? writeSide(&w, levels, true, oldBids, newBidBounds.baseAddress!)
                                                : writeSide(&w, levels, false, oldAsks, newAskBounds.baseAddress!)
                                        }
                                        w.byte(UInt8(ascii: "}"))
                                        second = w.secondText
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        swap(&fixedBytes, &self.fixedBytes)
        swap(&oldBidSide, &bids)
        swap(&oldAskSide, &asks)
        // The message's array is the one written: it becomes the state's previous message, and the
        // last one the next message's storage.
        let storage = buffer
        swap(&self.previous, &buffer)
        swap(&spare, &previous)
        secondText = second
        lastCopiedLevels = copied
        swap(&bids.bounds, &bidBounds)
        swap(&asks.bounds, &askBounds)
        swap(&bidBounds, &spareBidBounds)
        swap(&askBounds, &spareAskBounds)
        return OutboundMessage(storage: storage, subjectCount: subjectCount, idCount: idCount)
    }

    /// Whether `fixedBytes` are `instrument`'s: by the bits of its strings first
    /// (no copy of the instrument, no string compared), else by value.
    @inline(__always)
    private func hasCachedFields(for instrument: Instrument) -> Bool {
        if let key = CachingMessageEncoder.Key(instrument, .orderbook), key == cachedKey { return true }
        return cachedInstrument == instrument
    }

    /// The id of a book without a sequence, as `MessageId` writes it for the orderbook event.
    @inline(never)
    private static func writeUnsequencedId(
        _ instrument: Instrument, exchangeTime: Instant, receiveTime: Instant, into w: inout JSONWriter
    ) {
        let event = PublishableEvent.orderbook(
            OrderbookView(instrument: instrument, bids: [], asks: [], sequence: 0, exchangeTime: exchangeTime, receiveTime: receiveTime))
        MessageId.write(for: event, instrument: instrument, into: &w)
    }

    /// Writes the subject and the instrument's payload fields once, with the very code `MessageEncoder` runs.
    private mutating func cacheFields(of instrument: Instrument) {
        let subject = JSONWriter.bytes(capacity: 64 + 4 * instrument.native.utf8.count + 4 * instrument.base.utf8.count + 4 * instrument.quote.utf8.count) {
            Subject.write(venue: instrument.venue, instrument: instrument, channel: .orderbook, into: &$0)
        }
        let identity = JSONWriter.bytes(capacity: 128 + 6 * (instrument.native.utf8.count + instrument.base.utf8.count + instrument.quote.utf8.count)) {
            encoder.writeIdentityFields(instrument, dataType: "orderbook", into: &$0)
        }
        let idPrefix = JSONWriter.bytes(capacity: 64 + 4 * instrument.native.utf8.count) {
            MessageId.writeSequencedBookPrefix(instrument, into: &$0)
        }
        fixedBytes = subject + idPrefix + identity
        subjectEnd = subject.count
        idPrefixEnd = subject.count + idPrefix.count
        nameBytes = instrument.native.utf8.count + instrument.base.utf8.count + instrument.quote.utf8.count
        cachedInstrument = instrument
        cachedKey = CachingMessageEncoder.Key(instrument, .orderbook) ?? CachingMessageEncoder.Key()
    }

    /// An empty side's bounds (never read: an empty side has no level to copy).
    private static var noBounds: UnsafePointer<Int32> { UnsafePointer(bitPattern: MemoryLayout<Int32>.alignment)! }

    /// At least `levels + 1` bounds, grown (never shrunk) so steady state allocates nothing.
    private static func makeRoom(_ bounds: inout [Int32], for levels: Int) {
        if bounds.count < levels + 1 { bounds = [Int32](repeating: 0, count: Swift.max(levels + 1, 2 * bounds.count)) }
    }

    private static func copy(_ levels: ArraySlice<BookLevel>, into side: inout Side) {
        side.levels.removeAll(keepingCapacity: true)
        side.levels.append(contentsOf: levels)
        side.count = levels.count
    }
}

/// One side of a delta placed among the previous message's levels: the side's new levels and the
/// segments that say which are copied runs of the previous text and which are formatted. Both arrays
/// only grow (their first `count` and `segmentCount` entries are this message's), so steady state
/// allocates nothing and every entry is written through a pointer.
struct SideEdits {
    var levels: [BookLevel] = []
    var count = 0
    var segments: [JSONWriter.LevelSegment] = []
    var segmentCount = 0
    /// The changes sorted best first when they did not come so.
    var sorted: [BookLevel] = []

    /// Builds the new side from `previous` (the last message's side) and `changes` (in the order
    /// applied). False when the result is not the book's top: a change with a negative size (the book
    /// rejects it), or not `min(depth, sideCount)` levels, which happens when a side cut at `depth`
    /// lost levels that only the book knows.
    ///
    /// Why this is the top: the previous message held the book's best levels down to its last one, so
    /// the new book's levels at or better than that price are exactly those levels with the changes
    /// applied, and they are its best ones. Changes worse than the last written level of a side that
    /// may have been cut are beyond the message and skipped; an uncut side was the whole side.
    mutating func merge(
        _ changes: [BookLevel], into previous: IncrementalBookEncoder.Side, isBid: Bool, depth: Int, sideCount: Int
    ) -> Bool {
        let m = previous.count
        let levelRoom = Swift.max(1, Swift.min(depth, m &+ changes.count))
        if levels.count < levelRoom {
            levels = [BookLevel](repeating: BookLevel(price: .zero, size: .zero), count: Swift.max(levelRoom, 2 * levels.count))
        }
        // A change adds at most a copied run and one formatted level.
        let segmentRoom = 2 &* changes.count &+ 1
        if segments.count < segmentRoom {
            segments = [JSONWriter.LevelSegment](repeating: .init(from: 0, count: 0), count: Swift.max(segmentRoom, 2 * segments.count))
        }
        var ok: Bool
        if Self.isSortedAndUnique(changes, isBid: isBid) {
            ok = merge(sortedChanges: changes, previous: previous.levels, count: m, isBid: isBid, depth: depth)
        } else {
            sorted.removeAll(keepingCapacity: true)
            sorted.append(contentsOf: changes)
            Self.sortKeepingLast(&sorted, isBid: isBid)
            let edits = sorted
            ok = merge(sortedChanges: edits, previous: previous.levels, count: m, isBid: isBid, depth: depth)
        }
        if count != Swift.min(depth, sideCount) { ok = false }
        return ok
    }

    private mutating func merge(sortedChanges: [BookLevel], previous: [BookLevel], count m: Int, isBid: Bool, depth: Int) -> Bool {
        var n = 0
        var s = 0
        let ok = previous.withUnsafeBufferPointer { all in
            sortedChanges.withUnsafeBufferPointer { edits in
                levels.withUnsafeMutableBufferPointer { out in
                    segments.withUnsafeMutableBufferPointer { runs in
                        Self.merge(
                            edits, into: UnsafeBufferPointer(rebasing: all[..<m]), isBid: isBid, depth: depth,
                            levels: out.baseAddress!, count: &n, segments: runs.baseAddress!, segmentCount: &s)
                    }
                }
            }
        }
        count = n
        segmentCount = s
        return ok
    }

    /// The merge proper, through pointers: `levels` and `segments` have room for every level and
    /// segment it can write.
    static func merge(
        _ edits: UnsafeBufferPointer<BookLevel>, into old: UnsafeBufferPointer<BookLevel>, isBid: Bool, depth: Int,
        levels: UnsafeMutablePointer<BookLevel>, count n: inout Int, segments: UnsafeMutablePointer<JSONWriter.LevelSegment>,
        segmentCount s: inout Int
    ) -> Bool {
        let m = old.count
        let cut = m >= depth
        /// Appends `old[start..<end]` (as far as `depth` allows) as a copied run, joined to the last
        /// run when that one ends where this starts.
        @inline(__always) func copy(from start: Int, to end: Int) {
            let k = Swift.min(end &- start, depth &- n)
            guard k > 0 else { return }
            (levels + n).update(from: old.baseAddress! + start, count: k)
            n &+= k
            if s > 0 && segments[s &- 1].from >= 0 && Int(segments[s &- 1].from) &+ Int(segments[s &- 1].count) == start {
                segments[s &- 1].count &+= Int32(truncatingIfNeeded: k)
            } else {
                segments[s] = JSONWriter.LevelSegment(from: Int32(truncatingIfNeeded: start), count: Int32(truncatingIfNeeded: k))
                s &+= 1
            }
        }
        var j = 0
        for e in edits {
            if e.size.mantissa < 0 { return false }
            if n >= depth { break }
            var p = firstNotBetter(than: e.price, in: old, from: j, isBid: isBid)
            // Worse than every written level of a side that may continue: beyond the message.
            if cut && p == m { break }
            // Equal values are one level, as the book keys them ("1.50" and "1.5").
            if p < m && old[p].price == e.price {
                // The very level again: it stays part of the run.
                if old[p].hasSameBits(as: e) { continue }
                copy(from: j, to: p)
                p &+= 1
            } else {
                copy(from: j, to: p)
            }
            j = p
            if e.size.mantissa != 0 && n < depth {
                levels[n] = e
                n &+= 1
                segments[s] = JSONWriter.LevelSegment(from: -1, count: 1)
                s &+= 1
            }
        }
        copy(from: j, to: m)
        return true
    }

    /// The first index at or after `start` whose price is not better than `price` (binary search).
    @inline(__always)
    static func firstNotBetter(than price: FixedDecimal, in old: UnsafeBufferPointer<BookLevel>, from start: Int, isBid: Bool) -> Int {
        var low = start
        var high = old.count
        while low < high {
            let mid = (low &+ high) &>> 1
            if isBetter(old[mid].price, than: price, isBid: isBid) { low = mid &+ 1 } else { high = mid }
        }
        return low
    }

    @inline(__always)
    static func isBetter(_ a: FixedDecimal, than b: FixedDecimal, isBid: Bool) -> Bool {
        isBid ? b < a : a < b
    }

    static func isSortedAndUnique(_ levels: [BookLevel], isBid: Bool) -> Bool {
        var i = 1
        while i < levels.count {
            if !isBetter(levels[i &- 1].price, than: levels[i].price, isBid: isBid) { return false }
            i &+= 1
        }
        return true
    }

    /// Sorts best first, keeping of equal prices only the last given (as the book applies them).
    static func sortKeepingLast(_ levels: inout [BookLevel], isBid: Bool) {
        // Stable insertion sort: deltas hold a few levels.
        for i in 1..<Swift.max(levels.count, 1) {
            let level = levels[i]
            var k = i
            while k > 0 && isBetter(level.price, than: levels[k &- 1].price, isBid: isBid) {
                levels[k] = levels[k &- 1]
                k &-= 1
            }
            levels[k] = level
        }
        var out = 0
        for i in 0..<levels.count {
            let level = levels[i]
            if out > 0 && levels[out &- 1].price == level.price {
                levels[out &- 1] = level
            } else {
                levels[out] = level
                out &+= 1
            }
        }
        levels.removeLast(levels.count &- out)
    }
}
