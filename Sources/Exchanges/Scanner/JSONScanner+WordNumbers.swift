import Model

/// Numbers read from two words with a single bounds check. Prices and sizes such as `"20000.04"` or
/// `"0.628473"` have seven or more digits, which the one-word `shortDecimal` could not finish (the
/// fraction might have gone on past its word); ids and 13-digit times need two words too. More to the
/// point, the readers in `JSONScanner+Fields` are too large (bounds checks, loops) for the optimizer
/// to inline into the venue parsers, so every number was a call that re-checked the quote, the sign and
/// the buffer end byte by byte. These readers have only a handful of branches, so they are inlined
/// at the call; anything they do not take (whitespace first, longer numbers, exponents, the last 17
/// bytes of a buffer, every error) is left untouched for the general readers, which give the same
/// answers where both apply (property-tested).
extension JSONScanner {
    /// A value `"-?D{1,7}(.D{0,7})?"`, quoted or bare, starting exactly at `position` and ending before
    /// the last 17 bytes' reach; nil (nothing moved) otherwise.
    @inlinable @inline(__always)
    mutating func wordDecimal() -> FixedDecimal? {
        guard let start = wordNumberStart() else { return nil }
        let base = start.base
        let integerDigits = JSONScanner.leadingDigits(start.x)
        guard integerDigits > 0 && integerDigits < 8 else { return nil }
        var mantissa = JSONScanner.digitsValue(start.x, count: integerDigits)
        var end = start.digits &+ integerDigits
        var scale = 0
        if base.load(fromByteOffset: end, as: UInt8.self) == UInt8(ascii: ".") {
            let y = JSONScanner.digitWord(base, end &+ 1)
            scale = JSONScanner.leadingDigits(y)
            guard scale < 8 else { return nil }
            mantissa = mantissa &* JSONScanner.smallPowerOfTen(scale) &+ JSONScanner.digitsValue(y, count: scale)
            end &+= 1 &+ scale
        }
        guard let after = wordNumberEnd(base, end, quoted: start.quoted) else { return nil }
        position = after
        let m = Int64(truncatingIfNeeded: mantissa)
        return FixedDecimal(mantissa: start.negative ? 0 &- m : m, scale: UInt8(truncatingIfNeeded: scale))
    }

    /// A value `"-?D{1,15}"`, quoted or bare, starting exactly at `position` and ending before the last
    /// 17 bytes' reach; nil (nothing moved) otherwise.
    @inlinable @inline(__always)
    mutating func wordInt64() -> Int64? {
        guard let start = wordNumberStart() else { return nil }
        let count = JSONScanner.leadingDigits(start.x)
        guard count > 0 else { return nil }
        var value = JSONScanner.digitsValue(start.x, count: count)
        var end = start.digits &+ count
        if count == 8 {
            // Times (13 digits) and long ids: the rest from the next word.
            let y = JSONScanner.digitWord(start.base, end)
            let more = JSONScanner.leadingDigits(y)
            guard more < 8 else { return nil }
            value = value &* JSONScanner.smallPowerOfTen(more) &+ JSONScanner.digitsValue(y, count: more)
            end &+= more
        }
        guard let after = wordNumberEnd(start.base, end, quoted: start.quoted) else { return nil }
        position = after
        let v = Int64(truncatingIfNeeded: value)
        return start.negative ? 0 &- v : v
    }

    /// The start both word readers share: the buffer in reach (the last byte either looks at is at
    /// most 17 past `position`: quote, sign, 7 digits, point, 7 digits, terminator), past an opening
    /// quote and a minus sign, and the first word of digits (XOR 0x30 in every byte).
    @inlinable @inline(__always)
    func wordNumberStart() -> (base: UnsafeRawPointer, digits: Int, quoted: Bool, negative: Bool, x: UInt64)? {
        let p = position
        guard let base = bytes.baseAddress, p >= 0, p &+ 18 <= bytes.count else { return nil }
        let quoted = base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "\"")
        var i = quoted ? p &+ 1 : p
        let negative = base.load(fromByteOffset: i, as: UInt8.self) == UInt8(ascii: "-")
        if negative { i &+= 1 }
        return (base, i, quoted, negative, JSONScanner.digitWord(base, i))
    }

    /// The eight bytes at `i`, XOR 0x30 in each (digits become 0...9), first byte lowest.
    @inlinable @inline(__always)
    static func digitWord(_ base: UnsafeRawPointer, _ i: Int) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) ^ 0x3030_3030_3030_3030
    }

    /// Past the closing quote of a quoted number, or at the end of a bare one that does not go on
    /// (exponent, sign, second point); nil for anything else. `end` is inside the checked reach.
    @inlinable @inline(__always)
    func wordNumberEnd(_ base: UnsafeRawPointer, _ end: Int, quoted: Bool) -> Int? {
        let c = base.load(fromByteOffset: end, as: UInt8.self)
        if quoted { return c == UInt8(ascii: "\"") ? end &+ 1 : nil }
        // What would continue a bare number: '+' '-' '.' (0x2B, 0x2D, 0x2E; not ',' 0x2C), 'e', 'E'.
        let continues =
            (c &- 0x2B < 4 && c != 0x2C) || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
        return continues ? nil : end
    }

    /// 10^k for k in 0...7 from the bits of k, with no branch or table (a switch becomes a jump table,
    /// which kept the readers above from being inlined).
    @inlinable @inline(__always)
    static func smallPowerOfTen(_ k: Int) -> UInt64 {
        let a: UInt64 = k & 1 != 0 ? 10 : 1
        let b: UInt64 = k & 2 != 0 ? 100 : 1
        let c: UInt64 = k & 4 != 0 ? 10_000 : 1
        return a &* b &* c
    }

    /// Whether `null` starts right at `position` (then read past), from one 32-bit load: Deribit sends
    /// it for every statistic it lacks. What follows is not looked at, as `readScalar` does not.
    @inlinable @inline(__always)
    mutating func nullLiteral() -> Bool {
        let p = position
        guard let base = bytes.baseAddress, p >= 0, p &+ 4 <= bytes.count,
            UInt32(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt32.self)) == 0x6C6C_756E
        else { return false }
        position = p &+ 4
        return true
    }

    /// `read` (a word reader) on a zero-padded copy of what is left of the buffer, for a number within
    /// the last 17 bytes, which the word readers cannot reach (the last price or size of a frame, just
    /// before `"]]}}`). Zero bytes are neither digits, quotes nor what continues a number, so the copy
    /// gives the answer the buffer would; the scanner moves by as much as it moved in the copy.
    @usableFromInline
    mutating func nearEnd<T>(_ read: (inout JSONScanner) -> T?) -> T? {
        let p = position
        let left = bytes.count &- p
        guard p >= 0, left > 0, left < 18, let base = bytes.baseAddress else { return nil }
        var padded: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &padded) { copy -> T? in
            copy.baseAddress!.copyMemory(from: base + p, byteCount: left)
            var t = JSONScanner(UnsafeRawBufferPointer(copy))
            guard let value = read(&t) else { return nil }
            position = p &+ t.position
            return value
        }
    }
}
