import Model

/// Typed value readers: each names the field it reads so a failure says which one and where.
/// Venues disagree on quoting (Binance/OKX send numbers as strings, Deribit as JSON numbers, OKX
/// uses "" for absent values), so the numeric readers accept both forms.
extension JSONScanner {
    @usableFromInline
    func fieldError(_ reason: FrameError.Reason, _ field: StaticString, at offset: Int) -> FrameError {
        FrameError(reason, field: "\(field)", offset: offset)
    }

    /// The common case, `"-?digits[.digits]"` quoted or bare with at most 18 digits (no overflow
    /// possible), read a word at a time, giving what `FixedDecimal.parse` gives; nil (position
    /// unchanged) for anything else, which then takes the general path.
    @inlinable @inline(__always)
    mutating func plainDecimal() -> FixedDecimal? {
        let start = plainNumberStart()
        if let short = shortDecimal(at: start.digits) {
            guard short.count > 0, let end = plainNumberEnd(short.end, quoted: start.quoted) else { return nil }
            position = end
            let mantissa = Int64(truncatingIfNeeded: short.value)
            return FixedDecimal(
                mantissa: start.negative ? 0 &- mantissa : mantissa, scale: UInt8(truncatingIfNeeded: short.scale))
        }
        var number = digits(at: start.digits)
        var scale = 0
        if number.end < bytes.count && bytes[number.end] == UInt8(ascii: ".") && number.count <= 18 {
            let integerDigits = number.count
            number = digits(at: number.end &+ 1, after: number.value, count: integerDigits)
            scale = number.count &- integerDigits
        }
        guard number.count > 0 && number.count <= 18 else { return nil }
        guard let end = plainNumberEnd(number.end, quoted: start.quoted) else { return nil }
        position = end
        let mantissa = Int64(truncatingIfNeeded: number.value)
        return FixedDecimal(mantissa: start.negative ? 0 &- mantissa : mantissa, scale: UInt8(truncatingIfNeeded: scale))
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

    /// A decimal sent as a string or a number. The common case is read where it is called (a call and
    /// the general path's frame cost as much as the digits); anything else goes to the general path.
    /// (`wordDecimal`, a few branches, is what the caller inlines.) Transparent, because the optimizer
    /// declined `@inline(__always)` here and in the optional readers ("not profitable").
    @_transparent
    public mutating func decimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal {
        if let d = wordDecimal() { return d }
        return try generalDecimalValue(field)
    }

    /// `decimalValue` for what the common case does not read: whitespace, `plainDecimal`, then the
    /// scalar and `FixedDecimal.parse`.
    @usableFromInline @inline(never)
    mutating func generalDecimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal {
        if let v = nearEnd({ $0.wordDecimal() }) { return v }
        skipWhitespace()
        if let d = plainDecimal() { return d }
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .string || s.kind == .number else { throw fieldError(.invalidNumber, field, at: at) }
        guard let d = FixedDecimal.parse(slice(s.range)) else { throw fieldError(.invalidNumber, field, at: at) }
        return d
    }

    /// A decimal, or nil for `null` and `""`; the common case read where it is called, as `decimalValue`.
    @_transparent
    public mutating func optionalDecimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal? {
        if let d = wordDecimal() { return d }
        if nullLiteral() { return nil }
        return try generalOptionalDecimalValue(field)
    }

    /// `optionalDecimalValue` for what the common case does not read.
    @usableFromInline @inline(never)
    mutating func generalOptionalDecimalValue(_ field: StaticString) throws(FrameError) -> FixedDecimal? {
        if let v = nearEnd({ $0.wordDecimal() }) { return v }
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

    /// The common case, `"-?digits"` quoted or bare with at most 18 digits (no overflow possible),
    /// read a word at a time, giving what `int64(readScalar())` gives; nil (position unchanged) for anything else,
    /// which then takes the general path. Ids and times are in every frame, so scanning them twice
    /// (once for the extent, once for the value, with an overflow check per digit) was worth avoiding.
    @inlinable @inline(__always)
    mutating func plainInt64() -> Int64? {
        let start = plainNumberStart()
        let number = digits(at: start.digits)
        guard number.count > 0 && number.count <= 18 else { return nil }
        guard let end = plainNumberEnd(number.end, quoted: start.quoted) else { return nil }
        position = end
        let value = Int64(truncatingIfNeeded: number.value)
        return start.negative ? 0 &- value : value
    }

    /// An integer sent as a number or a numeric string; the common case read where it is called.
    @inlinable @inline(__always)
    public mutating func int64Value(_ field: StaticString) throws(FrameError) -> Int64 {
        if let v = wordInt64() { return v }
        return try generalInt64Value(field)
    }

    /// `int64Value` for what the common case does not read: whitespace, `plainInt64`, then the scalar
    /// and `int64`.
    @usableFromInline @inline(never)
    mutating func generalInt64Value(_ field: StaticString) throws(FrameError) -> Int64 {
        if let v = nearEnd({ $0.wordInt64() }) { return v }
        skipWhitespace()
        if let v = plainInt64() { return v }
        let at = position
        let s = try readScalar(field: field)
        guard s.kind == .string || s.kind == .number, let v = int64(s.range) else {
            throw fieldError(.invalidNumber, field, at: at)
        }
        return v
    }

    /// An integer, or nil for `null` and `""`; the common case read where it is called.
    @_transparent
    public mutating func optionalInt64Value(_ field: StaticString) throws(FrameError) -> Int64? {
        if let v = wordInt64() { return v }
        if nullLiteral() { return nil }
        return try generalOptionalInt64Value(field)
    }

    /// `optionalInt64Value` for what the common case does not read.
    @usableFromInline @inline(never)
    mutating func generalOptionalInt64Value(_ field: StaticString) throws(FrameError) -> Int64? {
        if let v = nearEnd({ $0.wordInt64() }) { return v }
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

    /// A boolean. `true` or `false` right at `position` is read where this is called, from one word
    /// (`readScalar` checks the literal's bytes and nothing after it, as this does); anything else by
    /// `generalBoolValue`.
    @inlinable @inline(__always)
    public mutating func boolValue(_ field: StaticString) throws(FrameError) -> Bool {
        let p = position
        if let base = bytes.baseAddress, p >= 0, p &+ 8 <= bytes.count {
            let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self))
            if word & 0xFFFF_FFFF == 0x6575_7274 {  // `true`
                position = p &+ 4
                return true
            }
            if word & 0xFF_FFFF_FFFF == 0x65_736C_6166 {  // `false`
                position = p &+ 5
                return false
            }
        }
        return try generalBoolValue(field)
    }

    @usableFromInline @inline(never)
    mutating func generalBoolValue(_ field: StaticString) throws(FrameError) -> Bool {
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

    /// The raw range of a string or number (ids sent either way), excluding quotes. A short string, or
    /// up to eight digits followed by `,` `}` or `]` (where `numberBody` stops too), right at
    /// `position` is read where this is called; anything else by `generalScalarText`.
    @inlinable @inline(__always)
    public mutating func scalarText(_ field: StaticString) throws(FrameError) -> Range<Int> {
        if let r = shortString() { return r }
        let p = position
        if let base = bytes.baseAddress, p >= 0, p &+ 9 <= bytes.count {
            let count = JSONScanner.leadingDigits(JSONScanner.digitWord(base, p))
            let after = base.load(fromByteOffset: p &+ count, as: UInt8.self)
            if count > 0, after == UInt8(ascii: ",") || after == UInt8(ascii: "}") || after == UInt8(ascii: "]") {
                position = p &+ count
                return p..<(p &+ count)
            }
        }
        return try generalScalarText(field)
    }

    @usableFromInline @inline(never)
    mutating func generalScalarText(_ field: StaticString) throws(FrameError) -> Range<Int> {
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
    /// (OKX sends `[px, sz, "0", numOrders]`), into an array or any other sink (same reading, same errors).
    @inlinable
    public mutating func levels<Sink: BookLevelSink>(_ field: StaticString, into out: inout Sink) throws(FrameError) {
        try beginArray(field: field)
        var first = true
        while try nextElement(&first) {
            try beginArray(field: field)
            let price = try decimalValue(field)
            try consume(UInt8(ascii: ","), .commaOrEnd)
            let size = try decimalValue(field)
            var more = false
            while try nextElement(&more) { try skipLevelElement() }
            out.appendLevel(BookLevel(price: price, size: size))
        }
    }

    /// `skipValue` for a level's unused element, with the usual short string (OKX's `"0"` and order
    /// count) skipped here from one word: two of them in every OKX level.
    @inlinable @inline(__always)
    mutating func skipLevelElement() throws(FrameError) {
        let start = position &+ 1
        if position >= 0, start &+ 8 <= bytes.count, bytes[position] == UInt8(ascii: "\"") {
            let hits = JSONScanner.quoteOrBackslash(
                UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)))
            if hits != 0 {
                let end = start &+ (hits.trailingZeroBitCount &>> 3)
                if bytes[end] == UInt8(ascii: "\"") {
                    position = end &+ 1
                    return
                }
            }
        }
        try skipValue()
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
