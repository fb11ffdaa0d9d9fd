import Model

/// Parsing of the response headers the limiter learns from. Both are plain non-negative integers;
/// anything else (including Retry-After's HTTP-date form, which would need a wall clock) yields nil
/// and the limiter falls back to its policy default.
public enum ResponseHeaders {
    /// `Retry-After: 120` -> 120 s.
    public static func retryAfter(_ value: some StringProtocol) -> Nanoseconds? {
        guard let seconds = nonNegativeInteger(value), seconds <= Int64.max / 1_000_000_000 else { return nil }
        return .seconds(seconds)
    }

    /// `X-MBX-USED-WEIGHT-1M: 1234` -> 1234.
    public static func usedWeight(_ value: some StringProtocol) -> Int? {
        nonNegativeInteger(value).flatMap { Int(exactly: $0) }
    }

    static func nonNegativeInteger(_ value: some StringProtocol) -> Int64? {
        var result: Int64 = 0
        var digits = 0
        var trailingSpace = false
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"):
                if digits > 0 { trailingSpace = true }
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                guard !trailingSpace else { return nil }
                let (times10, o1) = result.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(byte &- UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                result = sum
                digits += 1
            default:
                return nil
            }
        }
        return digits > 0 ? result : nil
    }
}
