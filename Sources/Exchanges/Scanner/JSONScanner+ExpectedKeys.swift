/// Keys predicted in the order a venue sends them. A parser's loop over keys read each one with
/// `nextKey` and dispatched on its bytes (~60 instructions a key, a tenth of a Binance frame); a
/// parser that knows the usual order asks instead whether the next key is exactly the one it expects,
/// written the usual way (`,"k":`, or `"k":` first in an object), which is one load and one compare.
/// A predicted key is read exactly as `nextKey` reads it (the scanner ends past the colon and any
/// whitespace, `first` becomes false), and its value by the very reader the loop would use, so a
/// parser may predict any keys in any order and leave the rest to its loop: the results, errors
/// included, are the loop's.
extension JSONScanner {
    /// Whether the next key is the one-byte name `name`, then read past; else nothing moves.
    @inlinable @inline(__always)
    public mutating func keyIs(_ name: UInt8, _ first: inout Bool) -> Bool {
        // `"n":` little-endian.
        expectKey(0x3A22_0022 | UInt64(name) &<< 8, length: 4, &first)
    }

    /// Whether the next key is the two-byte name `a` `b` (`pu`, `ts`), then read past; else nothing moves.
    @inlinable @inline(__always)
    public mutating func keyIs(_ a: UInt8, _ b: UInt8, _ first: inout Bool) -> Bool {
        // `"ab":` little-endian.
        expectKey(0x3A_2200_0022 | UInt64(a) &<< 8 | UInt64(b) &<< 16, length: 5, &first)
    }

    /// `quoted` is the key with its quotes and colon (`"n":`), `length` bytes (at most 6), first byte lowest.
    @inlinable @inline(__always)
    mutating func expectKey(_ quoted: UInt64, length: Int, _ first: inout Bool) -> Bool {
        let p = position
        guard let base = bytes.baseAddress, p >= 0, p &+ 8 <= bytes.count else { return false }
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self))
        let count = first ? length : length &+ 1
        let pattern = first ? quoted : (quoted &<< 8 | UInt64(UInt8(ascii: ",")))
        let mask: UInt64 = (1 &<< UInt64(count &* 8)) &- 1
        guard word & mask == pattern else { return false }
        first = false
        position = p &+ count
        skipWhitespace()
        return true
    }
}

extension JSONScanner {
    /// Whether the next key is `name` (4 to 24 plain bytes: Deribit's `best_bid_price`, OKX's `checksum`),
    /// then read past; else nothing moves. The name's bytes are compared a word at a time (overlapping
    /// words at its end), each load from `name` inside it, so a literal's loads fold into constants.
    @inlinable @inline(__always)
    public mutating func keyIs(_ name: StaticString, _ first: inout Bool) -> Bool {
        let count = name.utf8CodeUnitCount
        let p = position
        let quote = first ? p : p &+ 1
        guard let base = bytes.baseAddress, p >= 0, quote &+ count &+ 3 <= bytes.count else { return false }
        if !first {
            guard base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: ",") else { return false }
        }
        guard base.load(fromByteOffset: quote, as: UInt8.self) == UInt8(ascii: "\""),
            base.loadUnaligned(fromByteOffset: quote &+ 1 &+ count, as: UInt16.self) == UInt16(littleEndian: 0x3A22),
            JSONScanner.sameBytes(base + (quote &+ 1), UnsafeRawPointer(name.utf8Start), count)
        else { return false }
        first = false
        position = quote &+ count &+ 3
        skipWhitespace()
        return true
    }

    /// Whether `count` (4...24) bytes at `a` and `b` are equal, from two or three (overlapping) words,
    /// or two 32-bit words under 8 bytes; nothing outside either range is read.
    @inlinable @inline(__always)
    static func sameBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        if count >= 8 {
            let tail = count &- 8
            var differ = a.loadUnaligned(as: UInt64.self) ^ b.loadUnaligned(as: UInt64.self)
            differ |= a.loadUnaligned(fromByteOffset: tail, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: tail, as: UInt64.self)
            if count > 16 {
                differ |= a.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            }
            return count <= 24 && differ == 0
        }
        guard count >= 4 else { return false }
        let tail = count &- 4
        let differ =
            (a.loadUnaligned(as: UInt32.self) ^ b.loadUnaligned(as: UInt32.self))
            | (a.loadUnaligned(fromByteOffset: tail, as: UInt32.self) ^ b.loadUnaligned(fromByteOffset: tail, as: UInt32.self))
        return differ == 0
    }
}
