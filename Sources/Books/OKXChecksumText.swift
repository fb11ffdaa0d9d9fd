import Model

/// The text of a book's last OKX checksum and where each level's `price:size` sits in it, so the next
/// checksum copies the levels that did not change instead of formatting their decimals again.
///
/// Why: legacy OKX books carry a checksum on every message, over the top 25 levels a side (about
/// 1 KB of text), while a message changes a few levels; formatting 100 decimals per message was most
/// of an OKX replay's book work. Only a level with identical bits (price and size mantissa and
/// scale, hence identical text) is copied, so what came before changes speed, never the checksum.
struct OKXChecksumText: Sendable {
    /// The last checksum's text, `bid1price:bid1size:ask1price:ask1size:...`, in its first `length` bytes.
    var bytes: [UInt8] = []
    var length = 0
    var bids = Side()
    var asks = Side()
    /// The text being built (only ever grown, so steady state allocates nothing), swapped with `bytes`.
    var next: [UInt8] = []
    /// The book revision (`OrderBook.revision`) the last text describes; `.max` for none.
    var revision: UInt64 = .max

    struct Side: Sendable {
        /// The levels that entered the last checksum, best first, and where each one's `price:size`
        /// starts and ends in `bytes`.
        var levels: [BookLevel] = []
        var starts: [Int32] = []
        var ends: [Int32] = []
        /// Scratch for the next checksum (the place arrays are only ever grown).
        var nextLevels: [BookLevel] = []
        var nextStarts: [Int32] = []
        var nextEnds: [Int32] = []
        /// With a known delta: bit r set when new rank r's price is one the delta touched (formatted),
        /// bit r of `touchedOld` when old rank r's was (never copied). All ones: no delta, compare.
        var touchedNew: UInt64 = .max
        var touchedOld: UInt64 = 0
    }

    /// The checksum `OKXChecksum.compute(book)` gives, from text mostly copied out of the last one.
    mutating func checksum(_ book: OrderBook) -> Int32 {
        checksum(bids: book.bidLadder, asks: book.askLadder)
    }

    /// The same from the book's two ladders: a book computes its own checksum with this, reading its
    /// ladders while its text is written (two stored properties, no overlap), where passing the whole
    /// book meant moving the text out and back (an empty text built and destroyed per message).
    mutating func checksum(bids bidLadder: PriceLadder, asks askLadder: PriceLadder) -> Int32 {
        checksum(bids: bidLadder, asks: askLadder, delta: nil)
    }

    /// The same, where `delta`, when given, is the one delta that moved the book from the last text's
    /// levels to the ladders' (the caller checks revisions): then a level whose price the delta did not
    /// touch is known to be the last text's next untouched level, copied without comparing; only the
    /// delta's levels and levels entering the top 25 from below are formatted.
    mutating func checksum(bids bidLadder: PriceLadder, asks askLadder: PriceLadder, delta: BookUpdate?) -> Int32 {
        // The caller sets the revision this text describes once it is written; unknown until then.
        revision = .max
        bidLadder.top(OKXChecksum.depth, into: &bids.nextLevels)
        askLadder.top(OKXChecksum.depth, into: &asks.nextLevels)
        if let delta, !bytes.isEmpty {
            bids.markTouched(by: delta.bids, isBid: true)
            asks.markTouched(by: delta.asks, isBid: false)
        } else {
            bids.touchedNew = .max
            asks.touchedNew = .max
        }
        let room = 2 * FixedDecimal.maxTextLength + 2
        let levelCount = bids.nextLevels.count + asks.nextLevels.count
        if next.count < levelCount * room { next = [UInt8](repeating: 0, count: levelCount * room) }
        bids.makeRoom()
        asks.makeRoom()
        let written = next.withUnsafeMutableBufferPointer { out in
            bytes.withUnsafeBufferPointer { previous in
                bids.pointers { bids in
                    asks.pointers { asks in
                        Self.write(into: out.baseAddress!, from: previous.baseAddress, bids: bids, asks: asks)
                    }
                }
            }
        }
        swap(&bytes, &next)
        length = written
        swap(&bids.levels, &bids.nextLevels)
        swap(&bids.starts, &bids.nextStarts)
        swap(&bids.ends, &bids.nextEnds)
        swap(&asks.levels, &asks.nextLevels)
        swap(&asks.starts, &asks.nextStarts)
        swap(&asks.ends, &asks.nextEnds)
        let crc = bytes.withUnsafeBytes { CRC32.updateSliced(0, UnsafeRawBufferPointer(rebasing: $0.prefix(written))) }
        return Int32(bitPattern: crc)
    }

    /// One side's arrays as pointers for the writer.
    struct SidePointers {
        var old: UnsafeBufferPointer<BookLevel>
        var oldStarts: UnsafePointer<Int32>
        var oldEnds: UnsafePointer<Int32>
        var new: UnsafeBufferPointer<BookLevel>
        var newStarts: UnsafeMutablePointer<Int32>
        var newEnds: UnsafeMutablePointer<Int32>
        var touchedNew: UInt64
        var touchedOld: UInt64
        /// The merge walk's position in `old`.
        var cursor = 0
    }

    /// Writes the interleaved text at `out` and returns its length; `previous` is the last text.
    static func write(
        into out: UnsafeMutablePointer<UInt8>, from previous: UnsafePointer<UInt8>?, bids: SidePointers, asks: SidePointers
    ) -> Int {
        var bids = bids
        var asks = asks
        var n = 0
        let longest = Swift.max(bids.new.count, asks.new.count)
        if let previous, bids.touchedNew != .max {
            for rank in 0..<longest {
                if rank < bids.new.count { knownLevel(rank, &bids, out, &n, previous) }
                if rank < asks.new.count { knownLevel(rank, &asks, out, &n, previous) }
            }
            return n
        }
        for rank in 0..<longest {
            if rank < bids.new.count { level(rank, isBid: true, &bids, out, &n, previous) }
            if rank < asks.new.count { level(rank, isBid: false, &asks, out, &n, previous) }
        }
        return n
    }

    /// Level `rank` when the delta is known: an untouched price is the last text's next untouched
    /// level (the delta kept the order of the rest), so its text is copied without a comparison; a
    /// touched one, or one that entered from below the last top 25, is formatted.
    @inline(__always)
    static func knownLevel(
        _ rank: Int, _ side: inout SidePointers, _ out: UnsafeMutablePointer<UInt8>, _ n: inout Int,
        _ previous: UnsafePointer<UInt8>
    ) {
        if n > 0 {
            out[n] = UInt8(ascii: ":")
            n &+= 1
        }
        side.newStarts[rank] = Int32(truncatingIfNeeded: n)
        var cursor = side.cursor
        while cursor < side.old.count && side.touchedOld & (1 &<< UInt64(truncatingIfNeeded: cursor)) != 0 {
            cursor &+= 1
        }
        if side.touchedNew & (1 &<< UInt64(truncatingIfNeeded: rank)) == 0 && cursor < side.old.count {
            let from = Int(side.oldStarts[cursor])
            let count = Int(side.oldEnds[cursor]) &- from
            copyLevelText(from: previous + from, to: out + n, count: count)
            n &+= count
            side.cursor = cursor &+ 1
        } else {
            side.cursor = cursor
            n &+= formatLevel(side.new[rank], into: out + n)
        }
        side.newEnds[rank] = Int32(truncatingIfNeeded: n)
    }

    /// A level's `price:size`, out of line so the copying path stays small; returns its length.
    @inline(never)
    static func formatLevel(_ level: BookLevel, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var n = level.price.writeText(into: out)
        out[n] = UInt8(ascii: ":")
        n &+= 1
        return n &+ level.size.writeText(into: out + n)
    }

    /// Level `rank`'s `price:size` (after a `:` unless it is the first text), copied from the last
    /// text when it held the same level.
    @inline(__always)
    static func level(
        _ rank: Int, isBid: Bool, _ side: inout SidePointers, _ out: UnsafeMutablePointer<UInt8>, _ n: inout Int,
        _ previous: UnsafePointer<UInt8>?
    ) {
        let level = side.new[rank]
        if n > 0 {
            out[n] = UInt8(ascii: ":")
            n &+= 1
        }
        side.newStarts[rank] = Int32(truncatingIfNeeded: n)
        let old = side.old
        // Levels better than this one are gone; the first not better is the candidate.
        while side.cursor < old.count
            && (isBid ? level.price < old[side.cursor].price : old[side.cursor].price < level.price)
        {
            side.cursor &+= 1
        }
        if let previous, side.cursor < old.count {
            let candidate = old[side.cursor]
            if candidate.price.mantissa == level.price.mantissa && candidate.size.mantissa == level.size.mantissa
                && candidate.price.scale == level.price.scale && candidate.size.scale == level.size.scale
            {
                let from = Int(side.oldStarts[side.cursor])
                let count = Int(side.oldEnds[side.cursor]) &- from
                copyLevelText(from: previous + from, to: out + n, count: count)
                n &+= count
                side.newEnds[rank] = Int32(truncatingIfNeeded: n)
                side.cursor &+= 1
                return
            }
        }
        n &+= level.price.writeText(into: out + n)
        out[n] = UInt8(ascii: ":")
        n &+= 1
        n &+= level.size.writeText(into: out + n)
        side.newEnds[rank] = Int32(truncatingIfNeeded: n)
    }
}

extension OKXChecksumText {
    /// A level's `price:size` is rarely over 32 bytes: two unaligned 16-byte moves instead of a
    /// `memcpy` call per level. Safe to over-read and over-write: every level has `room` (46) bytes
    /// reserved in both texts, and a level's text starts at most one byte into its share.
    @inline(__always)
    static func copyLevelText(from source: UnsafePointer<UInt8>, to destination: UnsafeMutablePointer<UInt8>, count: Int) {
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(destination)
        to.storeBytes(of: from.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
        to.storeBytes(of: from.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self), toByteOffset: 16,
                      as: SIMD16<UInt8>.self)
        if count > 32 { (destination + 32).update(from: source + 32, count: count &- 32) }
    }
}

extension OKXChecksumText.Side {
    /// Sets `touchedNew` and `touchedOld` from the delta's levels on this side (value equality of
    /// prices, as the book keys them: "1000.0" replaces "1000"). Both level lists are best first.
    mutating func markTouched(by changes: [BookLevel], isBid: Bool) {
        var new: UInt64 = 0
        var old: UInt64 = 0
        for change in changes {
            if let rank = Self.rank(of: change.price, in: nextLevels, isBid: isBid) { new |= 1 &<< UInt64(rank) }
            if let rank = Self.rank(of: change.price, in: levels, isBid: isBid) { old |= 1 &<< UInt64(rank) }
        }
        touchedNew = new
        touchedOld = old
    }

    /// The rank of the level at `price` in a best-first list (at most 25 levels), or nil.
    static func rank(of price: FixedDecimal, in levels: [BookLevel], isBid: Bool) -> Int? {
        var low = 0
        var high = levels.count
        while low < high {
            let middle = (low &+ high) >> 1
            let other = levels[middle].price
            if other == price { return middle }
            if isBid ? price < other : other < price {
                low = middle &+ 1
            } else {
                high = middle
            }
        }
        return nil
    }

    mutating func makeRoom() {
        if nextStarts.count < nextLevels.count {
            nextStarts = [Int32](repeating: 0, count: nextLevels.count)
            nextEnds = nextStarts
        }
    }

    /// The side's arrays as pointers for the writer, which fills `nextStarts` and `nextEnds`.
    mutating func pointers<R>(_ body: (OKXChecksumText.SidePointers) -> R) -> R {
        levels.withUnsafeBufferPointer { old in
            starts.withUnsafeBufferPointer { oldStarts in
                ends.withUnsafeBufferPointer { oldEnds in
                    nextLevels.withUnsafeBufferPointer { new in
                        nextStarts.withUnsafeMutableBufferPointer { newStarts in
                            nextEnds.withUnsafeMutableBufferPointer { newEnds in
                                // An empty old side has no place to read: any valid pointer stands in.
                                let none = UnsafePointer(newStarts.baseAddress ?? UnsafeMutablePointer(bitPattern: 4)!)
                                return body(.init(
                                    old: old, oldStarts: oldStarts.baseAddress ?? none, oldEnds: oldEnds.baseAddress ?? none,
                                    new: new, newStarts: newStarts.baseAddress ?? UnsafeMutablePointer(mutating: none),
                                    newEnds: newEnds.baseAddress ?? UnsafeMutablePointer(mutating: none),
                                    touchedNew: touchedNew, touchedOld: touchedOld))
                            }
                        }
                    }
                }
            }
        }
    }
}
