import Model

/// Appending JSON pieces to a byte buffer without going through `String`: the encoders behind
/// the synthetic generator and the simulated exchange run at parser speed.
extension Array where Element == UInt8 {
    @inlinable @inline(__always)
    public mutating func appendASCII(_ text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// A JSON string literal (quotes added, `"`, `\` and control bytes escaped).
    @inlinable
    public mutating func appendQuoted(_ text: String) {
        append(UInt8(ascii: "\""))
        for b in text.utf8 {
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                append(UInt8(ascii: "\\"))
                append(b)
            } else if b < 0x20 {
                appendASCII("\\u00")
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                append(hex[Int(b >> 4)])
                append(hex[Int(b & 15)])
            } else {
                append(b)
            }
        }
        append(UInt8(ascii: "\""))
    }

    @inlinable
    public mutating func appendInt(_ value: Int64) {
        if value < 0 { append(UInt8(ascii: "-")) }
        var m = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buf in
            var i = 20
            repeat {
                i -= 1
                buf[i] = UInt8(truncatingIfNeeded: m % 10) &+ 48
                m /= 10
            } while m > 0
            append(contentsOf: UnsafeBufferPointer(rebasing: buf[i..<20]))
        }
    }

    /// A decimal in plain notation at its own scale (the same text `FixedDecimal.description` gives).
    @inlinable
    public mutating func appendDecimal(_ value: FixedDecimal) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: FixedDecimal.maxTextLength) { buf in
            let n = value.writeText(into: buf.baseAddress!)
            append(contentsOf: UnsafeBufferPointer(rebasing: buf[0..<n]))
        }
    }

    @inlinable
    public mutating func appendQuotedDecimal(_ value: FixedDecimal) {
        append(UInt8(ascii: "\""))
        appendDecimal(value)
        append(UInt8(ascii: "\""))
    }

    @inlinable
    public mutating func appendQuotedInt(_ value: Int64) {
        append(UInt8(ascii: "\""))
        appendInt(value)
        append(UInt8(ascii: "\""))
    }

    @inlinable
    public mutating func appendBool(_ value: Bool) {
        if value { appendASCII("true") } else { appendASCII("false") }
    }
}
