/// Decimal digit helpers shared by every text writer on a hot path (`FixedDecimal.writeText`,
/// the publisher's JSON writer): one digit-pair table and one digit count.
public enum DecimalDigits {
    /// "00" "01" ... "99", two digits per division. A string literal lives in the binary's constant
    /// data, so reaching it costs no lazy-global check (an array global paid one on every call).
    @inlinable @inline(__always)
    public static var pairs: UnsafePointer<UInt8> { decimalDigitPairs.utf8Start }

    /// Decimal digits of `value` (1 for 0): a log10 estimate from the bit width, corrected by one comparison.
    @inlinable @inline(__always)
    public static func count(_ value: UInt64) -> Int {
        let guess = ((64 &- value.leadingZeroBitCount) &* 1233) >> 12
        return Swift.max(1, guess &+ (value >= powerOfTen(guess) ? 1 : 0))
    }

    /// 10^n for n in 0...19 (a switch compiles to a constant table).
    @inlinable @inline(__always)
    public static func powerOfTen(_ n: Int) -> UInt64 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }
}

@usableFromInline
let decimalDigitPairs: StaticString =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
