import Model

/// Typed value readers: each names the field it reads so a failure says which one and where.
/// Venues disagree on quoting (Binance/OKX send numbers as strings, Deribit as JSON numbers, OKX
/// uses "" for absent values), so the numeric readers accept both forms.
extension JSONScanner {
    @usableFromInline
    func fieldError(_ reason: FrameError.Reason, _ field: StaticString, at offset: Int) -> FrameError {
        FrameError(reason, field: "\(field)", offset: offset)
    }

    /// One pass over the common case, `"-?digits[.digits]"` quoted or bare with at most 18 digits
    /// (no overflow possible), giving what `FixedDecimal.parse` gives; nil (position unchanged)
    /// for anything else, which then takes the general path.
    @inlinable @inline(__always)
    mutating func plainDecimal() -> FixedDecimal? {
        let n = bytes.count
        let start = plainNumberStart()
        var i = start.digits
        var mantissa: Int64 = 0
        var digits = 0
        var scale = 0
        var dot = false
        while i < n {
            let c = bytes[i]
            let d = c &- 48
            if d < 10 {
                mantissa = mantissa &* 10 &+ Int64(d)
                digits &+= 1
                if dot { scale &+= 1 }
            } else if c == UInt8(ascii: ".") && !dot {
                dot = true
            } else {
                break
            }
            i &+= 1
        }
        guard digits > 0 && digits <= 18 else { return nil }
        guard let end = plainNumberEnd(i, quoted: start.quoted) else { return nil }
        position = end
        return FixedDecimal(mantissa: start.negative ? -mantissa : mantissa, scale: UInt8(scale))
    }

    /// Where a plain number's digits start (past an opening quote and a minus sign), and whether it
    /// has them.
    @inlinable @inline(__always)
    func plainNumberStart() -> (digits: Int, quoted: Bool, negative: Bool) {
        let n = bytes.count
        var i = position
        let quoted = i < n && bytes[i] == UInt8(ascii: "\"")
        if quoted { i &+= 1 }
        let negative = i < n && bytes[i] == UInt8(ascii: "-")
        if negative { i &+= 1 }
        return (i, quoted, negative)
    }

    /// Where a plain number whose digits end at `i` ends: past its closing quote when quoted; nil when
    /// the quote is missing or a bare number goes on (exponent, sign, second point), which the
    /// general path then reads or refuses.
    @inlinable @inline(__always)
    func plainNumberEnd(_ i: Int, quoted: Bool) -> Int? {
        let n = bytes.count
        if quoted { return i < n && bytes[i] == UInt8(ascii: "\"") ? i &+ 1 : nil }
        if i < n {
            let c = bytes[i]
            if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".") {
                return nil
            }
        }
        return i
    }

    /// A decimal sent as a string or a number.
    @inlinable
    public mutating func decimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal {
        skipWhitespace()
        if let d = plainDecimal() { return d }
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .string || s.kind == .number else { throw fieldError(.invalidNumber, field, at: at) }
        guard let d = FixedDecimal.parse(slice(s.range)) else { throw fieldError(.invalidNumber, field, at: at) }
        return d
    }

    /// A decimal, or nil for `null` and `""`.
    @inlinable
    public mutating func optionalDecimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal? {
        skipWhitespace()
        if let d = plainDecimal() { return d }
        let at = position
        let s = try readScalar(field: field)
        if s.kind == .null || (s.kind == .string && s.range.isEmpty) { return nil }
        guard s.kind != .bool, let d = FixedDecimal.parse(slice(s.range)) else {
            throw fieldError(.invalidNumber, field, at: at)
        }
        return d
    }

    /// One pass over the common case, `"-?digits"` quoted or bare with at most 18 digits (no overflow
    /// possible), giving what `int64(readScalar())` gives; nil (position unchanged) for anything else,
    /// which then takes the general path. Ids and times are in every frame, so scanning them twice
    /// (once for the extent, once for the value, with an overflow check per digit) was worth avoiding.
    @inlinable @inline(__always)
    mutating func plainInt64() -> Int64? {
        let n = bytes.count
        let start = plainNumberStart()
        var i = start.digits
        var value: Int64 = 0
        let first = i
        while i < n {
            let d = bytes[i] &- 48
            if d >= 10 { break }
            value = value &* 10 &+ Int64(d)
            i &+= 1
        }
        let digits = i &- first
        guard digits > 0 && digits <= 18 else { return nil }
        guard let end = plainNumberEnd(i, quoted: start.quoted) else { return nil }
        position = end
        return start.negative ? 0 &- value : value
    }

    /// An integer sent as a number or a numeric string.
    @inlinable
    public mutating func int64Value(_ field: StaticString) throws(FrameError) -> Int64 {
        skipWhitespace()
        if let v = plainInt64() { return v }
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .string || s.kind == .number, let v = int64(s.range) else {
            throw fieldError(.invalidNumber, field, at: at)
        }
        return v
    }

    /// An integer, or nil for `null` and `""`.
    @inlinable
    public mutating func optionalInt64Value(_ field: StaticString) throws(FrameError) -> Int64? {
        skipWhitespace()
        if let v = plainInt64() { return v }
        let at = position
        let s = try readScalar(field: field)
        if s.kind == .null || (s.kind == .string && s.range.isEmpty) { return nil }
        guard s.kind != .bool, let v = int64(s.range) else { throw fieldError(.invalidNumber, field, at: at) }
        return v
    }

    /// Milliseconds since the epoch as an `Instant`.
    @inlinable
    public mutating func millisecondsValue(_ field: StaticString) throws(FrameError) -> Instant {
        Instant.milliseconds(try int64Value(field))
    }

    @inlinable
    public mutating func boolValue(_ field: StaticString) throws(FrameError) -> Bool {
        skipWhitespace()
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .bool else { throw fieldError(.unexpectedByte(expected: .boolean, found: bytes[at]), field, at: at) }
        return s.isTrue
    }

    /// A string's content range.
    @inlinable
    public mutating func stringValue(_ field: StaticString) throws(FrameError) -> Range<Int> {
        try readString(field: field)
    }

    /// The raw range of a string or number (ids sent either way), excluding quotes.
    @inlinable
    public mutating func scalarText(_ field: StaticString) throws(FrameError) -> Range<Int> {
        skipWhitespace()
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .string || s.kind == .number else { throw fieldError(.invalidValue, field, at: at) }
        return s.range
    }

    /// Whether the next value is `null` (consumed if so).
    @inlinable
    public mutating func skipNull() throws(FrameError) -> Bool {
        guard peek() == UInt8(ascii: "n") else { return false }
        _ = try readScalar()
        return true
    }

    /// Reads `[[price, size, ...], ...]`, ignoring elements after the first two of each level
    /// (OKX sends `[px, sz, "0", numOrders]`).
    @inlinable
    public mutating func levels(_ field: StaticString, into out: inout [BookLevel]) throws(FrameError) {
        try beginArray(field: field)
        var first = true
        while try nextElement(&first) {
            if out.capacity == 0 { out.reserveCapacity(8) }
            try beginArray(field: field)
            let price = try decimalValue(field)
            try consume(UInt8(ascii: ","), .commaOrEnd)
            let size = try decimalValue(field)
            var more = false
            while try nextElement(&more) { try skipValue() }
            out.append(BookLevel(price: price, size: size))
        }
    }

    /// An error object `{"code":..,"<messageKey>":..}` (Binance `msg`, Deribit `message`).
    public mutating func errorObject(messageKey: StaticString) throws(FrameError) -> (code: Range<Int>?, message: Range<Int>?) {
        try beginObject(field: "error")
        var first = true
        var code: Range<Int>?, message: Range<Int>?
        while let k = try nextKey(&first) {
            if matches(k, "code") {
                code = try scalarText("code")
            } else if matches(k, messageKey) {
                message = try readString(field: messageKey)
            } else {
                try skipValue()
            }
        }
        return (code, message)
    }
}
