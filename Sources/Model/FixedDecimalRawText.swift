extension FixedDecimal {
    /// The most bytes `writeText(into:)` can write: sign, 19 digits, a point and a leading zero.
    public static let maxTextLength = 22

    /// Writes the same text as `description` into raw memory with no allocation, returning the byte count.
    /// `buffer` must have room for `maxTextLength` bytes.
    /// For per-message hot paths (book checksums, published JSON): right to left, two digits per division.
    @inlinable @inline(__always)
    public func writeText(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var m = mantissa.magnitude
        let s = Int(scale)
        let sign = mantissa < 0 ? 1 : 0
        // At least one digit before the point ("0.005").
        let integerDigits = Swift.max(DecimalDigits.count(m) &- s, 1)
        let total = sign &+ integerDigits &+ (s > 0 ? s &+ 1 : 0)
        if sign == 1 { buffer[0] = UInt8(ascii: "-") }
        let pairs = DecimalDigits.pairs
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
