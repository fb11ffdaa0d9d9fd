/// Eight digits at a time (SWAR: one 64-bit word holds eight bytes). Prices and sizes are most of a
/// depth frame's bytes; reading them a byte at a time with a branch per byte was the largest part of
/// venue parsing.
extension JSONScanner {
    /// The ASCII digits starting at `i`, at most eight: their value and how many there are (0 when the
    /// byte at `i` is no digit or `i` is at the end). A word is loaded only when all eight of its bytes
    /// lie inside the buffer; near the end the bytes are read one at a time.
    @inlinable @inline(__always)
    func digitRun(at i: Int) -> (value: UInt64, count: Int) {
        let n = bytes.count
        guard i &+ 8 <= n else { return digitRunBytewise(at: i) }
        let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let x = word ^ 0x3030_3030_3030_3030
        let count = JSONScanner.leadingDigits(x)
        return (JSONScanner.digitsValue(x, count: count), count)
    }

    /// How many of the eight bytes of `x` (a word XOR 0x30 in every byte, first byte lowest) are digits
    /// before the first that is not: a byte is a digit exactly when XOR 0x30 left 0...9, and bit 7 of
    /// each byte below says it is not (its own bit 7, or its low seven bits plus 0x76 reach 0x80; no
    /// carry leaves a byte).
    @inlinable @inline(__always)
    static func leadingDigits(_ x: UInt64) -> Int {
        let nonDigit = (x | ((x & 0x7F7F_7F7F_7F7F_7F7F) &+ 0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080
        return nonDigit.trailingZeroBitCount &>> 3
    }

    /// The value of the first `count` (0...8) digit bytes of `x` (XOR 0x30 applied, first byte lowest).
    @inlinable @inline(__always)
    static func digitsValue(_ x: UInt64, count: Int) -> UInt64 {
        guard count > 0 else { return 0 }
        // Shifting left drops the bytes after the digits and puts zeros (leading zeros of the
        // number) where the missing digits would be; then pairs, fours and eights are combined.
        var v = x &<< UInt64((8 &- count) &* 8)
        v = (v &* 10) &+ (v &>> 8)
        v = (((v & 0x0000_00FF_0000_00FF) &* 0x000F_4240_0000_0064)
            &+ (((v &>> 16) & 0x0000_00FF_0000_00FF) &* 0x0000_2710_0000_0001)) &>> 32
        return v & 0xFFFF_FFFF
    }

    /// A decimal whose digits and point lie in the eight bytes at `i` with a byte to spare, as most
    /// prices and sizes do (`19999.98`, `0.604978`): its digits, value, scale and where it ends, from
    /// one word. The point is squeezed out (the bytes after it move down one) so the digits on both
    /// sides convert together. Nil when the word is out of the buffer, the integer part fills it, or
    /// the digits after the point reach its end (the fraction may go on): `digits(at:)` reads those.
    @inlinable @inline(__always)
    func shortDecimal(at i: Int) -> (value: UInt64, count: Int, scale: Int, end: Int)? {
        guard i &+ 8 <= bytes.count else { return nil }
        let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
        let x = word ^ 0x3030_3030_3030_3030
        let integerDigits = JSONScanner.leadingDigits(x)
        guard integerDigits < 8 else { return nil }
        let shift = UInt64(integerDigits &* 8)
        guard (word &>> shift) & 0xFF == UInt64(UInt8(ascii: ".")) else {
            return (JSONScanner.digitsValue(x, count: integerDigits), integerDigits, 0, i &+ integerDigits)
        }
        // Bytes below the point stay; those above move down over it; the top byte, now empty, is
        // made a non-digit so the run stops there at the latest.
        let below: UInt64 = (1 &<< shift) &- 1
        let merged = (x & below) | ((x &>> 8) & ~below) | 0x8000_0000_0000_0000
        let count = JSONScanner.leadingDigits(merged)
        guard count < 7 else { return nil }
        return (JSONScanner.digitsValue(merged, count: count), count, count &- integerDigits, i &+ count &+ 1)
    }

    /// `digitRun` a byte at a time, for the last bytes of the buffer.
    @inlinable
    func digitRunBytewise(at i: Int) -> (value: UInt64, count: Int) {
        let end = Swift.min(bytes.count, i &+ 8)
        var k = i
        var v: UInt64 = 0
        while k < end {
            let d = bytes[k] &- 48
            if d >= 10 { break }
            v = v &* 10 &+ UInt64(d)
            k &+= 1
        }
        return (v, k &- i)
    }

    /// 10^k for k in 0...8 (a switch becomes a constant table, with no lazily initialised global).
    @inlinable @inline(__always)
    static func powerOfTen(_ k: Int) -> UInt64 {
        switch k {
        case 0: return 1
        case 1: return 10
        case 2: return 100
        case 3: return 1_000
        case 4: return 10_000
        case 5: return 100_000
        case 6: return 1_000_000
        case 7: return 10_000_000
        default: return 100_000_000
        }
    }

    /// The digits starting at `i`, eight at a time, appended to `value` (which already holds `count`
    /// digits): the value, the count and where the digits end. Exact while the count is at most 19;
    /// once it passes 18 the reading stops there (callers refuse such numbers).
    @inlinable @inline(__always)
    func digits(at i: Int, after value: UInt64 = 0, count: Int = 0) -> (value: UInt64, count: Int, end: Int) {
        var value = value
        var count = count
        var k = i
        while true {
            let run = digitRun(at: k)
            count &+= run.count
            k &+= run.count
            // A full word needs no table look-up (13-digit times and ids are one and a part).
            guard run.count == 8 else { return (value &* JSONScanner.powerOfTen(run.count) &+ run.value, count, k) }
            value = value &* 100_000_000 &+ run.value
            if count > 18 { return (value, count, k) }
        }
    }
}
