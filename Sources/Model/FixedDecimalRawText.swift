extension FixedDecimal {
    /// The most bytes `writeText(into:)` can write: sign, 19 digits, a point and a leading zero.
    public static let maxTextLength = 22

    /// "00" through "99": two digits per division halves the dependent divide chain.
    @usableFromInline
    static let digitPairs: [UInt8] = {
        var pairs: [UInt8] = []
        for i in 0..<100 {
            let tens: Int = i / 10
            let ones: Int = i % 10
            pairs.append(UInt8(48 + tens))
            pairs.append(UInt8(48 + ones))
        }
        return pairs
    }()

    /// Writes the same text as `description` into raw memory with no allocation, returning the byte count.
    /// `buffer` must have room for `maxTextLength` bytes.
    /// For per-message hot paths (book checksums): right to left, two digits per division, and no
    /// global table behind a lazy initializer (its check ran per digit before).
    @inlinable
    public func writeText(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var m = mantissa.magnitude
        let s = Int(scale)
        let sign = mantissa < 0 ? 1 : 0
        var digits = 1
        var limit: UInt64 = 10
        while digits < 19 && m >= limit {
            digits &+= 1
            limit &*= 10
        }
        // At least one digit before the point ("0.005").
        let integerDigits = Swift.max(digits &- s, 1)
        let total = sign &+ integerDigits &+ (s > 0 ? s &+ 1 : 0)
        if sign == 1 { buffer[0] = UInt8(ascii: "-") }
        let pairs = fixedDecimalDigitPairs.utf8Start
        var at = total
        @inline(__always) func digitRun(_ n: Int) {
            var left = n
            while left >= 2 {
                let q = m / 100
                let r = Int(truncatingIfNeeded: m &- q &* 100) &* 2
                at &-= 2
                buffer[at] = pairs[r]
                buffer[at &+ 1] = pairs[r &+ 1]
                m = q
                left &-= 2
            }
            if left == 1 {
                let q = m / 10
                at &-= 1
                buffer[at] = UInt8(truncatingIfNeeded: m &- q &* 10) &+ 48
                m = q
            }
        }
        if s > 0 {
            digitRun(s)
            at &-= 1
            buffer[at] = UInt8(ascii: ".")
        }
        digitRun(integerDigits)
        return total
    }
}

/// "00" "01" ... "99" as a literal: its bytes need no initializer, so reading them costs no check.
@usableFromInline
let fixedDecimalDigitPairs: StaticString =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
