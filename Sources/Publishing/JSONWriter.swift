import Model

/// Appends JSON tokens to a byte buffer without going through `String` or Foundation,
/// because the publisher encodes every event on the hot path.
public struct JSONWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inline(__always)
    public mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always)
    public mutating func byte(_ b: UInt8) { bytes.append(b) }

    /// `"key":` (the key is trusted: a literal without characters that need escaping).
    @inline(__always)
    public mutating func key(_ name: StaticString) {
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A JSON string with `"`, `\` and control characters escaped.
    public mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var t = text
        t.withUTF8 { buf in
            var plain = true
            for b in buf where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                plain = false
                break
            }
            if plain {
                bytes.append(contentsOf: buf)
                return
            }
            for b in buf {
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0..<0x20:
                    raw("\\u00")
                    bytes.append(hexDigit(b >> 4))
                    bytes.append(hexDigit(b & 0xF))
                default: bytes.append(b)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    @inline(__always)
    func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    /// A decimal integer.
    public mutating func integer(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        unsigned(value.magnitude, minimumDigits: 1)
    }

    /// Digits of `value`, left-padded with zeros to `minimumDigits`, written in place (no temporary array).
    @inline(__always)
    mutating func unsigned(_ value: UInt64, minimumDigits: Int) {
        var n = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            n += 1
        }
        let width = max(n, minimumDigits)
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var v = value
        var i = start + width - 1
        bytes.withUnsafeMutableBufferPointer { p in
            while v > 0 {
                p[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
                i -= 1
            }
        }
    }

    /// An exact decimal as a JSON number at its own scale ("0.35130000" stays as sent).
    public mutating func decimal(_ value: FixedDecimal) {
        if value.mantissa < 0 { bytes.append(UInt8(ascii: "-")) }
        let m = value.mantissa.magnitude
        let scale = Int(value.scale)
        guard scale > 0 else {
            unsigned(m, minimumDigits: 1)
            return
        }
        let divisor = UInt64(powersOfTenTable[scale])
        unsigned(m / divisor, minimumDigits: 1)
        bytes.append(UInt8(ascii: "."))
        unsigned(m % divisor, minimumDigits: scale)
    }

    public mutating func optionalDecimal(_ value: FixedDecimal?) {
        if let value { decimal(value) } else { raw("null") }
    }

    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// ISO 8601 UTC with microseconds and a `+00:00` offset: what Python's `datetime.isoformat()`
    /// wrote in the original system, so `datetime.fromisoformat` reads it on any Python 3.7+.
    public mutating func isoTime(_ instant: Instant) {
        let ns = instant.nanoseconds
        var seconds = ns / 1_000_000_000
        var sub = ns % 1_000_000_000
        if sub < 0 {
            sub += 1_000_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 {
            secOfDay += 86_400
            days -= 1
        }
        let (y, mo, d) = Self.civilDate(daysSinceEpoch: days)
        bytes.append(UInt8(ascii: "\""))
        if y < 0 { bytes.append(UInt8(ascii: "-")) }
        unsigned(UInt64(y.magnitude), minimumDigits: 4)
        bytes.append(UInt8(ascii: "-"))
        unsigned(UInt64(mo), minimumDigits: 2)
        bytes.append(UInt8(ascii: "-"))
        unsigned(UInt64(d), minimumDigits: 2)
        bytes.append(UInt8(ascii: "T"))
        unsigned(UInt64(secOfDay / 3600), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        unsigned(UInt64(secOfDay % 3600 / 60), minimumDigits: 2)
        bytes.append(UInt8(ascii: ":"))
        unsigned(UInt64(secOfDay % 60), minimumDigits: 2)
        bytes.append(UInt8(ascii: "."))
        unsigned(UInt64(sub / 1000), minimumDigits: 6)
        raw("+00:00\"")
    }

    /// Proleptic Gregorian date from days since 1970-01-01 (H. Hinnant's civil_from_days).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}

private let powersOfTenTable: [Int64] = {
    var table: [Int64] = [1]
    for _ in 1...18 { table.append(table[table.count - 1] * 10) }
    return table
}()
