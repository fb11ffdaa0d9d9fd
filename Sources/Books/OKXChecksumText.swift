import Model

/// A book's last OKX checksum kept as its top 25 levels a side, each with the CRC-32 piece of its
/// `:price:size` text, so the next checksum formats only the levels a delta changed or brought into
/// the top 25, and combines the pieces' registers (`CRC32.alternatingPieces`) without building the text.
///
/// Why: legacy OKX books carry a checksum on every message, over the top 25 levels a side (about
/// 1 KB of text), while a message changes a few levels. Copying the unchanged levels' text and
/// reading all of it again was still most of an OKX replay's book work. A level's piece depends
/// only on its own text (price and size exactly as received), never on where it stands, so ranks
/// shifting by an insert or a removal cost nothing but moving the small arrays.
struct OKXChecksumText: Sendable {
    var bids = Side()
    var asks = Side()
    /// The book revision (`OrderBook.revision`) the levels describe; `.max` for none.
    var revision: UInt64 = .max
    /// Sides taken from the ladder whole because following a delta disagreed with it (tests expect 0).
    var disagreements = 0

    struct Side: Sendable {
        /// The side's best levels as the checksum last saw them, best first: the first `count`
        /// entries (at most 25) of arrays allocated once at 25.
        var levels: [BookLevel] = []
        /// `CRC32.piece` of each level's `:price:size`, in the same order.
        var pieces: [UInt64] = []
        var count = 0
    }

    /// The checksum `OKXChecksum.compute(book)` gives.
    mutating func checksum(_ book: OrderBook) -> Int32 {
        checksum(bids: book.bidLadder, asks: book.askLadder)
    }

    /// The same from the book's two ladders, every level taken from them: a book computes its own
    /// checksum with this, reading its ladders while its levels are kept (two stored properties, no
    /// overlap), where passing the whole book meant moving them out and back.
    mutating func checksum(bids bidLadder: PriceLadder, asks askLadder: PriceLadder) -> Int32 {
        // The caller sets the revision these levels describe once the checksum is done.
        revision = .max
        bids.rebuild(from: bidLadder)
        asks.rebuild(from: askLadder)
        return combined()
    }

    /// The same when `delta` is the one delta that moved the book from the levels kept here to the
    /// ladders' (the caller checks revisions): each side applies the delta to its kept levels as the
    /// book did, formats only what changed, and takes levels entering the top 25 from the ladder. A
    /// side whose result disagrees with its ladder at either end (it never should) is taken from
    /// the ladder whole, as without a delta. (A plain parameter, not an optional: forming
    /// `Optional(update)` at the call copied the update and destroyed the copy, ~270 instructions.)
    mutating func checksum(bids bidLadder: PriceLadder, asks askLadder: PriceLadder, following delta: BookUpdate) -> Int32 {
        // The caller sets the revision these levels describe once the checksum is done.
        revision = .max
        if !bids.follow(delta.bids, isBid: true, ladder: bidLadder) {
            disagreements &+= 1
            bids.rebuild(from: bidLadder)
        }
        if !asks.follow(delta.asks, isBid: false, ladder: askLadder) {
            disagreements &+= 1
            asks.rebuild(from: askLadder)
        }
        return combined()
    }

    /// The checksum of the kept pieces, bids and asks interleaved, less the first piece's ":".
    func combined() -> Int32 {
        let crc = bids.pieces.withUnsafeBufferPointer { bidPieces in
            asks.pieces.withUnsafeBufferPointer { askPieces in
                CRC32.alternatingPieces(
                    UnsafeBufferPointer(rebasing: bidPieces.prefix(bids.count)),
                    UnsafeBufferPointer(rebasing: askPieces.prefix(asks.count)),
                    droppingFirstByte: UInt8(ascii: ":"))
            }
        }
        return Int32(bitPattern: crc)
    }

    /// The checksum text the kept levels stand for (`OKXChecksum.checksumText` of the book they were
    /// taken from); for tests and diagnostics.
    var text: String {
        var parts: [String] = []
        for rank in 0..<Swift.max(bids.count, asks.count) {
            if rank < bids.count { parts += [bids.levels[rank].price.description, bids.levels[rank].size.description] }
            if rank < asks.count { parts += [asks.levels[rank].price.description, asks.levels[rank].size.description] }
        }
        return parts.joined(separator: ":")
    }
}

extension OKXChecksumText.Side {
    /// The CRC piece (`CRC32.piece`) of `level`'s `:price:size`, computed from the digits without
    /// writing the text: the CRC is linear, so a text's register is the sum over its bytes of the
    /// register of that byte followed by as many zero bytes as follow it, and the digits come out
    /// right to left, each one's distance from the end known. Out of line: the paths that move
    /// levels stay small.
    @inline(never)
    static func piece(of level: BookLevel, _ registers: UnsafePointer<UInt32>) -> UInt64 {
        // Rows of 16 per distance from the end, indexed by byte - 45 ("-" "." "0"..."9" ":").
        var row = registers - 45
        var register = decimalRegister(level.size, &row)
        register ^= row[Int(UInt8(ascii: ":"))]
        row += 16
        register ^= decimalRegister(level.price, &row)
        register ^= row[Int(UInt8(ascii: ":"))]
        row += 16
        let length = (row - (registers - 45)) / 16
        return UInt64(register) | UInt64(truncatingIfNeeded: length) << 32
    }

    /// The register of `value`'s text (as `FixedDecimal.writeText` writes it) when `row` is the row of
    /// its last byte's distance from the end; `row` moves past its first byte. Two digits a division.
    @inline(__always)
    static func decimalRegister(_ value: FixedDecimal, _ row: inout UnsafePointer<UInt32>) -> UInt32 {
        let pairs = DecimalDigits.pairs
        var m = value.mantissa.magnitude
        var register: UInt32 = 0
        var at = row
        @inline(__always) func pair() {
            let q = m / 100
            let r = Int(truncatingIfNeeded: m &- q &* 100) &* 2
            register ^= at[Int(pairs[r &+ 1])] ^ at[16 &+ Int(pairs[r])]
            at += 32
            m = q
        }
        @inline(__always) func digit() {
            let q = m / 10
            register ^= at[48 &+ Int(truncatingIfNeeded: m &- q &* 10)]
            at += 16
            m = q
        }
        var fraction = Int(value.scale)
        if fraction > 0 {
            while fraction >= 2 {
                pair()
                fraction &-= 2
            }
            if fraction == 1 { digit() }
            register ^= at[Int(UInt8(ascii: "."))]
            at += 16
        }
        // At least one integer digit ("0.005").
        while m >= 100 { pair() }
        if m >= 10 { pair() } else { digit() }
        if value.mantissa < 0 {
            register ^= at[Int(UInt8(ascii: "-"))]
            at += 16
        }
        row = at
        return register
    }

    /// The longest `:price:size`.
    static let maxPieceLength = 2 * FixedDecimal.maxTextLength + 2

    /// Row k, entry b - 45: the raw CRC register (`CRC32.piece`) of byte b followed by k zero bytes,
    /// for the bytes of a level's text ("-" 45 to ":" 58) and k up to a piece's length.
    static let positionRegisters: [UInt32] = {
        var table = [UInt32](repeating: 0, count: maxPieceLength * 16)
        var bytes = [UInt8](repeating: 0, count: maxPieceLength)
        for k in 0..<maxPieceLength {
            for b in 45...58 {
                bytes[0] = UInt8(b)
                let piece = bytes.withUnsafeBufferPointer { CRC32.piece($0.baseAddress!, count: k &+ 1) }
                table[k * 16 + b - 45] = UInt32(truncatingIfNeeded: piece)
            }
        }
        return table
    }()

    /// The side's top 25 taken from the ladder, every level formatted.
    mutating func rebuild(from ladder: PriceLadder) {
        let depth = OKXChecksum.depth
        if levels.count < depth {
            levels = [BookLevel](repeating: BookLevel(price: .zero, size: .zero), count: depth)
            pieces = [UInt64](repeating: 0, count: depth)
        }
        var n = 0
        levels.withUnsafeMutableBufferPointer { kept in
            pieces.withUnsafeMutableBufferPointer { keptPieces in
                Self.positionRegisters.withUnsafeBufferPointer { registers in
                    ladder.forEachBestFirst(limit: depth) { level in
                        kept[n] = level
                        keptPieces[n] = Self.piece(of: level, registers.baseAddress!)
                        n &+= 1
                        return true
                    }
                }
            }
        }
        count = n
    }

    /// Applies one delta's changes on this side to the kept levels as `OrderBook.apply` does to the
    /// ladder (prices compared by value, a zero size removes, the last change of a price wins), then
    /// takes the levels that entered the top 25 from below from the ladder, which already holds the
    /// delta. Changes below the kept levels are left out: the kept levels stay the ladder's best
    /// levels (a prefix of it), and whatever lies below them is read from the ladder at the end.
    /// Returns false, with the kept levels unusable, when the result disagrees with the ladder at
    /// either end or in count.
    mutating func follow(_ changes: [BookLevel], isBid: Bool, ladder: PriceLadder) -> Bool {
        if levels.count < OKXChecksum.depth { return false }
        var n = count
        let agrees = levels.withUnsafeMutableBufferPointer { kept in
            pieces.withUnsafeMutableBufferPointer { keptPieces in
                Self.positionRegisters.withUnsafeBufferPointer { registers in
                    Self.follow(
                        changes, isBid: isBid, ladder: ladder, kept: kept.baseAddress!, pieces: keptPieces.baseAddress!,
                        count: &n, registers: registers.baseAddress!)
                }
            }
        }
        count = n
        return agrees
    }

    /// `follow` on the arrays' storage (room for 25 levels); `n` is the count kept.
    @inline(__always)
    static func follow(
        _ changes: [BookLevel], isBid: Bool, ladder: PriceLadder, kept: UnsafeMutablePointer<BookLevel>,
        pieces: UnsafeMutablePointer<UInt64>, count n: inout Int, registers: UnsafePointer<UInt32>
    ) -> Bool {
        let depth = OKXChecksum.depth
        for change in changes {
            let price = change.price
            // The first kept level not better than the change's price.
            var low = 0
            var high = n
            while low < high {
                let middle = (low &+ high) &>> 1
                let other = kept[middle].price
                if isBid ? price < other : other < price {
                    low = middle &+ 1
                } else {
                    high = middle
                }
            }
            guard low < n else { continue }  // below the kept levels
            let removes = change.size.mantissa == 0
            if kept[low].price == price {
                if removes {
                    move(kept, pieces, from: low &+ 1, count: n &- low &- 1, by: -1)
                    n &-= 1
                } else {
                    kept[low] = change
                    pieces[low] = piece(of: change, registers)
                }
            } else if !removes {
                // A new level among the kept ones; at 25 the worst one drops out.
                let staying = Swift.min(n, depth &- 1)
                move(kept, pieces, from: low, count: staying &- low, by: 1)
                kept[low] = change
                pieces[low] = piece(of: change, registers)
                n = staying &+ 1
            }
        }
        let wanted = Swift.min(depth, ladder.count)
        if n > wanted { return false }
        while n < wanted {
            guard let level = ladder.level(rank: n) else { return false }
            kept[n] = level
            pieces[n] = piece(of: level, registers)
            n &+= 1
        }
        guard n > 0 else { return true }
        guard let best = ladder.bestLevel, let worst = ladder.level(rank: n &- 1) else { return false }
        return sameBits(kept[0], best) && sameBits(kept[n &- 1], worst)
    }

    /// Moves `count` kept levels and their pieces starting at `start` by `offset` places (overlapping).
    @inline(__always)
    static func move(
        _ kept: UnsafeMutablePointer<BookLevel>, _ pieces: UnsafeMutablePointer<UInt64>, from start: Int, count: Int, by offset: Int
    ) {
        guard count > 0 else { return }
        UnsafeMutableRawPointer(kept + (start &+ offset)).copyMemory(
            from: kept + start, byteCount: count &* MemoryLayout<BookLevel>.stride)
        UnsafeMutableRawPointer(pieces + (start &+ offset)).copyMemory(
            from: pieces + start, byteCount: count &* MemoryLayout<UInt64>.stride)
    }

    /// Identical text: the same mantissas and scales.
    @inline(__always)
    static func sameBits(_ a: BookLevel, _ b: BookLevel) -> Bool {
        a.price.mantissa == b.price.mantissa && a.price.scale == b.price.scale && a.size.mantissa == b.size.mantissa
            && a.size.scale == b.size.scale
    }
}
