/// An exact decimal number: an integer mantissa and a count of fractional digits.
///
/// Prices and sizes are never `Double`: a book keyed by binary floating point splits one exchange
/// level into two. `FixedDecimal` keeps the scale it was parsed with, so `description` reproduces
/// the exchange's text ("0.35130000" stays "0.35130000"), while equality, hashing and ordering
/// compare values (`1.50 == 1.5`).
public struct FixedDecimal: Sendable {
    /// value = mantissa / 10^scale
    public var mantissa: Int64
    /// Number of fractional digits, 0...18.
    public var scale: UInt8

    public static let maxScale: UInt8 = 18
    public static let zero = FixedDecimal(mantissa: 0, scale: 0)

    @inlinable
    public init(mantissa: Int64, scale: UInt8) {
        precondition(scale <= FixedDecimal.maxScale, "FixedDecimal scale out of range")
        self.mantissa = mantissa
        self.scale = scale
    }

    public init(_ integer: Int64) {
        self.init(mantissa: integer, scale: 0)
    }

    @inlinable public var isZero: Bool { mantissa == 0 }
    @inlinable public var isNegative: Bool { mantissa < 0 }
}

/// Powers of ten that fit an Int64.
@usableFromInline
let powersOfTen: [Int64] = {
    var table: [Int64] = [1]
    for _ in 1...18 { table.append(table[table.count - 1] * 10) }
    return table
}()

extension FixedDecimal {
    /// The same value with trailing fractional zeros removed; the canonical form for hashing.
    public var normalized: FixedDecimal {
        var m = mantissa
        var s = scale
        while s > 0 && m % 10 == 0 {
            m /= 10
            s -= 1
        }
        return FixedDecimal(mantissa: m, scale: s)
    }

    /// The mantissa expressed at `targetScale` (>= scale), or nil if it would overflow.
    @inlinable
    public func mantissa(atScale targetScale: UInt8) -> Int64? {
        if targetScale == scale { return mantissa }
        if targetScale < scale {
            let factor = powersOfTen[Int(scale - targetScale)]
            return mantissa % factor == 0 ? mantissa / factor : nil
        }
        let (r, o) = mantissa.multipliedReportingOverflow(by: powersOfTen[Int(targetScale - scale)])
        return o ? nil : r
    }

    /// This value rescaled; nil if precision would be lost or the result overflows.
    public func rescaled(to targetScale: UInt8) -> FixedDecimal? {
        mantissa(atScale: targetScale).map { FixedDecimal(mantissa: $0, scale: targetScale) }
    }

    /// Exact product, rescaled down (truncating toward zero) only if the exact scale exceeds 18.
    /// Returns nil on overflow.
    public func multipliedExactly(by other: FixedDecimal) -> FixedDecimal? {
        let (p, o) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        var s = Int(scale) + Int(other.scale)
        guard !o else {
            // Retry with trailing zeros removed from both operands.
            let a = normalized, b = other.normalized
            if a.scale == scale && b.scale == other.scale { return nil }
            return a.multipliedExactly(by: b)
        }
        var m = p
        while s > Int(FixedDecimal.maxScale) {
            m /= 10
            s -= 1
        }
        return FixedDecimal(mantissa: m, scale: UInt8(s)).normalized
    }

    public static func + (lhs: FixedDecimal, rhs: FixedDecimal) -> FixedDecimal {
        let s = max(lhs.scale, rhs.scale)
        guard let a = lhs.mantissa(atScale: s), let b = rhs.mantissa(atScale: s) else {
            preconditionFailure("FixedDecimal addition overflow")
        }
        return FixedDecimal(mantissa: a + b, scale: s)
    }

    public static func - (lhs: FixedDecimal, rhs: FixedDecimal) -> FixedDecimal {
        lhs + FixedDecimal(mantissa: -rhs.mantissa, scale: rhs.scale)
    }
}

extension FixedDecimal: Equatable, Hashable, Comparable {
    @inlinable
    public static func == (lhs: FixedDecimal, rhs: FixedDecimal) -> Bool {
        if lhs.scale == rhs.scale { return lhs.mantissa == rhs.mantissa }
        return compare(lhs, rhs) == 0
    }

    public func hash(into hasher: inout Hasher) {
        let n = normalized
        hasher.combine(n.mantissa)
        hasher.combine(n.scale)
    }

    @inlinable
    public static func < (lhs: FixedDecimal, rhs: FixedDecimal) -> Bool {
        if lhs.scale == rhs.scale { return lhs.mantissa < rhs.mantissa }
        return compare(lhs, rhs) < 0
    }

    /// Three-way comparison that never overflows: when rescaling would overflow, the integer parts decide.
    @usableFromInline
    static func compare(_ lhs: FixedDecimal, _ rhs: FixedDecimal) -> Int {
        let s = max(lhs.scale, rhs.scale)
        if let a = lhs.mantissa(atScale: s), let b = rhs.mantissa(atScale: s) {
            return a < b ? -1 : (a == b ? 0 : 1)
        }
        // One side overflowed at the common scale, so its magnitude dominates; signs decide.
        let la = lhs.mantissa / powersOfTen[Int(lhs.scale)]
        let ra = rhs.mantissa / powersOfTen[Int(rhs.scale)]
        if la != ra { return la < ra ? -1 : 1 }
        let lf = lhs.mantissa % powersOfTen[Int(lhs.scale)]
        let rf = rhs.mantissa % powersOfTen[Int(rhs.scale)]
        let fs = s
        let a = lf * powersOfTen[Int(fs - lhs.scale)]
        let b = rf * powersOfTen[Int(fs - rhs.scale)]
        return a < b ? -1 : (a == b ? 0 : 1)
    }
}

extension FixedDecimal: CustomStringConvertible, LosslessStringConvertible {
    /// The number in plain decimal notation at its own scale: parse then print round-trips.
    public var description: String {
        var out = [UInt8]()
        out.reserveCapacity(24)
        appendText(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes the decimal text into a byte buffer (the publisher's hot path avoids `String`).
    public func appendText(to out: inout [UInt8]) {
        var m = mantissa.magnitude
        if mantissa < 0 { out.append(UInt8(ascii: "-")) }
        var digits = [UInt8](repeating: 0, count: 20)
        var n = 0
        repeat {
            digits[n] = UInt8(truncatingIfNeeded: m % 10) &+ 48
            m /= 10
            n += 1
        } while m > 0
        let s = Int(scale)
        if n <= s {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(s - n) { out.append(UInt8(ascii: "0")) }
            for i in stride(from: n - 1, through: 0, by: -1) { out.append(digits[i]) }
            return
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            if i == s - 1 { out.append(UInt8(ascii: ".")) }
            out.append(digits[i])
        }
    }

    public init?(_ text: String) {
        var t = text
        let parsed: FixedDecimal? = t.withUTF8 { FixedDecimal.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses `-?digits(.digits)?` and simple exponents (`1e-05`, as Deribit prints small amounts).
    /// Returns nil for anything else, or more than 18 significant digits.
    @inlinable
    public static func parse(_ bytes: UnsafeRawBufferPointer) -> FixedDecimal? {
        var i = 0
        let n = bytes.count
        guard n > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        } else if bytes[0] == UInt8(ascii: "+") {
            i = 1
        }
        var mantissa: Int64 = 0
        var scale = 0
        var sawDigit = false
        var sawDot = false
        while i < n {
            let c = bytes[i]
            if c >= 48 && c <= 57 {
                let (m1, o1) = mantissa.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(Int64(c &- 48))
                if o1 || o2 { return nil }
                mantissa = m2
                if sawDot { scale += 1 }
                sawDigit = true
            } else if c == UInt8(ascii: ".") && !sawDot {
                sawDot = true
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                break
            } else {
                return nil
            }
            i += 1
        }
        guard sawDigit else { return nil }
        if i < n {
            // Exponent part.
            i += 1
            var expNegative = false
            if i < n && (bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+")) {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var exp = 0
            var sawExpDigit = false
            while i < n {
                let c = bytes[i]
                guard c >= 48 && c <= 57, exp < 100 else { return nil }
                exp = exp * 10 + Int(c &- 48)
                sawExpDigit = true
                i += 1
            }
            guard sawExpDigit else { return nil }
            if expNegative {
                scale += exp
            } else {
                while exp > 0 && scale > 0 {
                    scale -= 1
                    exp -= 1
                }
                if exp > 0 {
                    guard exp <= 18 else { return nil }
                    let (m, o) = mantissa.multipliedReportingOverflow(by: powersOfTen[exp])
                    if o { return nil }
                    mantissa = m
                }
            }
        }
        guard scale <= Int(FixedDecimal.maxScale) else { return nil }
        return FixedDecimal(mantissa: negative ? -mantissa : mantissa, scale: UInt8(scale))
    }
}

extension FixedDecimal: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self.init(mantissa: value, scale: 0)
    }
}

extension FixedDecimal {
    /// An approximation for statistics and price-process generation only; never for keys or output.
    public var doubleValue: Double {
        Double(mantissa) / Double(powersOfTen[Int(scale)])
    }
}
