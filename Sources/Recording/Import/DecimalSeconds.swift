/// Unix seconds written as decimal text (`1633998512.0633569`) converted to nanoseconds exactly, digit by
/// digit: going through `Double` would move timestamps by up to ~200 ns and could reorder close frames.
public enum DecimalSeconds {
    /// Largest whole-second value whose nanoseconds fit in Int64.
    static let maxSeconds: Int64 = Int64.max / 1_000_000_000 - 1

    /// Parses `digits[.digits]` (at most 9 decimals); nil for anything else.
    public static func nanoseconds(_ text: UnsafeRawBufferPointer) -> Int64? {
        var seconds: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var integerDigits = 0
        var sawDot = false
        for byte in text {
            if byte == UInt8(ascii: ".") {
                if sawDot { return nil }
                sawDot = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte &- UInt8(ascii: "0"))
            if sawDot {
                fractionDigits += 1
                if fractionDigits > 9 { return nil }
                fraction = fraction * 10 + digit
            } else {
                integerDigits += 1
                seconds = seconds * 10 + digit
                if seconds > maxSeconds { return nil }
            }
        }
        guard integerDigits > 0, !sawDot || fractionDigits > 0 else { return nil }
        for _ in fractionDigits..<9 { fraction *= 10 }
        return seconds * 1_000_000_000 + fraction
    }

    public static func nanoseconds(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { nanoseconds(UnsafeRawBufferPointer($0)) }
    }
}
