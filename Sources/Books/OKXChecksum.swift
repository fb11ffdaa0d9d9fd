import Model

/// The OKX legacy book checksum: signed CRC32 over the first 25 levels of each side interleaved as
/// `bid1price:bid1size:ask1price:ask1size:...`, continuing with the longer side once the shorter
/// one runs out. It is computed from the exact strings received, which `FixedDecimal` reproduces
/// because it keeps each number's scale ("0.10" stays "0.10").
public enum OKXChecksum {
    /// Levels per side that enter the checksum.
    public static let depth = 25

    /// The checksum of `book`'s current top 25 levels a side, with no heap allocation: each level's
    /// text goes through a small stack buffer and the CRC runs on incrementally.
    public static func compute(_ book: OrderBook) -> Int32 {
        // ":" price ":" size, at most.
        let capacity = 2 * FixedDecimal.maxTextLength + 2
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer -> Int32 in
            guard let base = buffer.baseAddress else { return 0 }
            var crc: UInt32 = 0
            var first = true
            func append(_ level: BookLevel) {
                var n = 0
                if !first {
                    base[0] = UInt8(ascii: ":")
                    n = 1
                }
                first = false
                n += level.price.writeText(into: base + n)
                base[n] = UInt8(ascii: ":")
                n += 1
                n += level.size.writeText(into: base + n)
                crc = CRC32.updateSliced(crc, UnsafeRawBufferPointer(start: base, count: n))
            }
            for rank in 0..<depth {
                if let bid = book.level(.bid, rank: rank) { append(bid) }
                if let ask = book.level(.ask, rank: rank) { append(ask) }
            }
            return Int32(bitPattern: crc)
        }
    }

    /// The text the checksum is computed over; for diagnostics and tests.
    public static func checksumText(_ book: OrderBook) -> String {
        var parts: [String] = []
        for rank in 0..<depth {
            if let bid = book.level(.bid, rank: rank) { parts += [bid.price.description, bid.size.description] }
            if let ask = book.level(.ask, rank: rank) { parts += [ask.price.description, ask.size.description] }
        }
        return parts.joined(separator: ":")
    }
}
