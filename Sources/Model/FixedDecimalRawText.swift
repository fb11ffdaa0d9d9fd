extension FixedDecimal {
    /// The most bytes `writeText(into:)` can write: sign, 19 digits, a point and a leading zero.
    public static let maxTextLength = 22

    /// Writes the same text as `description` into raw memory with no allocation, returning the byte count.
    /// `buffer` must have room for `maxTextLength` bytes. For per-message hot paths (book checksums).
    @inlinable
    public func writeText(into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var m = mantissa.magnitude
        var digitCount = 0
        var probe = m
        repeat {
            digitCount += 1
            probe /= 10
        } while probe > 0
        let s = Int(scale)
        var n = 0
        if mantissa < 0 {
            buffer[0] = UInt8(ascii: "-")
            n = 1
        }
        let integerDigits = digitCount > s ? digitCount - s : 0
        let length = n + (integerDigits == 0 ? 1 : integerDigits) + (s > 0 ? 1 + s : 0)
        // Fill from the right: fractional digits, the point, then the integer part.
        var at = length - 1
        var written = 0
        while written < s {
            buffer[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48
            m /= 10
            at -= 1
            written += 1
        }
        if s > 0 {
            buffer[at] = UInt8(ascii: ".")
            at -= 1
        }
        repeat {
            buffer[at] = UInt8(truncatingIfNeeded: m % 10) &+ 48
            m /= 10
            at -= 1
        } while at >= n
        return length
    }
}
