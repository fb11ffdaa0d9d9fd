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
    /// For per-message hot paths (book checksums).
    @inlinable
    public func writeText(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var m = mantissa.magnitude
        var digitCount = 1
        while digitCount < 19 && m >= UInt64(powersOfTen[digitCount]) { digitCount += 1 }
        let s = Int(scale)
        var n = 0
        if mantissa < 0 {
            buffer[0] = UInt8(ascii: "-")
            n = 1
        }
        // Digits to print: at least one before the point.
        let printed = Swift.max(digitCount, s + 1)
        let integerDigits = printed - s
        // Write all digits right-aligned starting one byte late, then slide the integer part
        // left by one to open the point's place.
        let start = n + (s > 0 ? 1 : 0)
        var at = start + printed
        Self.digitPairs.withUnsafeBufferPointer { pairs in
            var left = printed
            while left >= 2 {
                let q = m / 100
                let r = Int(m &- q &* 100)
                at -= 2
                buffer[at] = pairs[2 * r]
                buffer[at + 1] = pairs[2 * r + 1]
                m = q
                left -= 2
            }
            if left == 1 {
                at -= 1
                buffer[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48
            }
        }
        if s > 0 {
            for j in 0..<integerDigits { buffer[n + j] = buffer[start + j] }
            buffer[n + integerDigits] = UInt8(ascii: ".")
            return n + integerDigits + 1 + s
        }
        return n + printed
    }
}
