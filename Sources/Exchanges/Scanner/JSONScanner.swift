import Model

/// A forward-only JSON scanner over raw bytes for the hot path.
///
/// It never allocates while scanning: keys, strings and numbers come back as byte ranges into the
/// frame, values the caller does not need are skipped, and every read is bounds-checked so any
/// input (truncated, random, hostile) ends in a `FrameError` with an offset, never a trap.
/// Typed throws keep the error path free of existential boxing.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    public var position: Int

    /// Containers nested deeper than this are rejected (exchange frames use at most 5 levels).
    public static let maxDepth = 64

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    /// What kind of scalar a value was.
    public enum ScalarKind: UInt8, Sendable {
        case string, number, null, bool
    }

    /// A scalar value: for strings the range excludes the quotes (escapes left as sent).
    public struct Scalar: Sendable {
        public var range: Range<Int>
        public var kind: ScalarKind
        /// For `.bool`, its value.
        public var isTrue: Bool

        @inlinable
        public init(range: Range<Int>, kind: ScalarKind, isTrue: Bool) {
            self.range = range
            self.kind = kind
            self.isTrue = isTrue
        }
    }

    // MARK: Low-level

    @inlinable
    public var isAtEnd: Bool { position >= bytes.count }

    @inlinable @inline(__always)
    public mutating func skipWhitespace() {
        while position < bytes.count {
            let c = bytes[position]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                position &+= 1
            } else {
                return
            }
        }
    }

    /// The next non-whitespace byte, without consuming it.
    @inlinable @inline(__always)
    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < bytes.count ? bytes[position] : nil
    }

    @usableFromInline
    func unexpected(_ expected: FrameError.Expectation, field: StaticString? = nil) -> FrameError {
        let name = field.map { "\($0)" }
        guard position < bytes.count else { return FrameError(.truncated, field: name, offset: position) }
        return FrameError(.unexpectedByte(expected: expected, found: bytes[position]), field: name, offset: position)
    }

    @inlinable @inline(__always)
    mutating func consume(_ byte: UInt8, _ expected: FrameError.Expectation) throws(FrameError) {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == byte else { throw unexpected(expected) }
        position &+= 1
    }

    /// Requires that only whitespace follows.
    public mutating func finish() throws(FrameError) {
        skipWhitespace()
        guard position >= bytes.count else { throw FrameError(.trailingBytes, offset: position) }
    }

    // MARK: Containers

    /// The bracket right at `position` is read where this is called (one compare); whitespace first
    /// and errors go to the general reader.
    @inlinable @inline(__always)
    public mutating func beginObject(field: StaticString? = nil) throws(FrameError) {
        if position >= 0, position < bytes.count, bytes[position] == UInt8(ascii: "{") {
            position &+= 1
            return
        }
        try generalBegin(UInt8(ascii: "{"), .object, field: field)
    }

    @inlinable @inline(__always)
    public mutating func beginArray(field: StaticString? = nil) throws(FrameError) {
        if position >= 0, position < bytes.count, bytes[position] == UInt8(ascii: "[") {
            position &+= 1
            return
        }
        try generalBegin(UInt8(ascii: "["), .array, field: field)
    }

    /// `beginObject` and `beginArray` past whitespace, and their errors.
    @usableFromInline @inline(never)
    mutating func generalBegin(_ bracket: UInt8, _ expected: FrameError.Expectation, field: StaticString?)
        throws(FrameError)
    {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == bracket else { throw unexpected(expected, field: field) }
        position &+= 1
    }

    /// The next key of the object being read, leaving the scanner at its value; nil after the closing brace.
    /// `first` must start true for each object. The usual key is read here (`compactKey`); anything
    /// else by `generalNextKey`, which gives the same results.
    @inlinable @inline(__always)
    public mutating func nextKey(_ first: inout Bool) throws(FrameError) -> Range<Int>? {
        if let key = compactKey(&first) { return key }
        if position >= 0, position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position &+= 1
            return nil
        }
        return try generalNextKey(&first)
    }

    /// The usual key, `,"name":` (or `"name":` first in an object) with no whitespace before the
    /// colon and at most fifteen plain bytes in the name, from a word or two: keys are a
    /// tenth of every frame's reads, and the general reader's whitespace loops and error paths cost
    /// several times this. Nil (nothing changed) for anything else.
    @inlinable @inline(__always)
    mutating func compactKey(_ first: inout Bool) -> Range<Int>? {
        let n = bytes.count
        guard let base = bytes.baseAddress, position >= 0, position &+ 10 <= n else { return nil }
        var quote = position
        let c = base.load(fromByteOffset: quote, as: UInt8.self)
        if c == UInt8(ascii: ",") {
            guard !first else { return nil }
            quote &+= 1
        } else {
            guard c == UInt8(ascii: "\""), first else { return nil }
        }
        guard base.load(fromByteOffset: quote, as: UInt8.self) == UInt8(ascii: "\"") else { return nil }
        let start = quote &+ 1
        var wordStart = start
        var hits = JSONScanner.quoteOrBackslash(
            UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self)))
        if hits == 0 {
            // Deribit's names run to fifteen bytes (`instrument_name`): one more word.
            wordStart = start &+ 8
            guard wordStart &+ 8 <= n else { return nil }
            hits = JSONScanner.quoteOrBackslash(
                UInt64(littleEndian: base.loadUnaligned(fromByteOffset: wordStart, as: UInt64.self)))
            guard hits != 0 else { return nil }
        }
        let end = wordStart &+ (hits.trailingZeroBitCount &>> 3)
        guard base.load(fromByteOffset: end, as: UInt8.self) == UInt8(ascii: "\""), end &+ 1 < n,
            base.load(fromByteOffset: end &+ 1, as: UInt8.self) == UInt8(ascii: ":")
        else { return nil }
        first = false
        position = end &+ 2
        skipWhitespace()
        return start..<end
    }

    /// `nextKey` for whatever `compactKey` does not read: whitespace, the closing brace, long or
    /// escaped names, and every error.
    @usableFromInline @inline(never)
    mutating func generalNextKey(_ first: inout Bool) throws(FrameError) -> Range<Int>? {
        skipWhitespace()
        guard position < bytes.count else { throw FrameError(.truncated, offset: position) }
        if bytes[position] == UInt8(ascii: "}") {
            position &+= 1
            return nil
        }
        if first {
            first = false
        } else {
            guard bytes[position] == UInt8(ascii: ",") else { throw unexpected(.commaOrEnd) }
            position &+= 1
            skipWhitespace()
        }
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw unexpected(.key) }
        if let key = shortKey() { return key }
        let key = try stringBody()
        try consume(UInt8(ascii: ":"), .colon)
        skipWhitespace()
        return key
    }

    /// The usual key, `"name":` with at most seven plain bytes and the colon right after the quote,
    /// from one word: the scanner moves past the colon and any whitespace, as the general path would.
    /// Nil (position unchanged) for anything else (a backslash, a longer name, a space before the
    /// colon, the end of the buffer near), which `stringBody` and `consume` then read.
    @inlinable @inline(__always)
    mutating func shortKey() -> Range<Int>? {
        let start = position &+ 1
        guard start &+ 8 <= bytes.count else { return nil }
        let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self))
        let hits = JSONScanner.quoteOrBackslash(word)
        guard hits != 0 else { return nil }
        let end = start &+ (hits.trailingZeroBitCount &>> 3)
        guard bytes[end] == UInt8(ascii: "\""), end &+ 1 < bytes.count, bytes[end &+ 1] == UInt8(ascii: ":") else {
            return nil
        }
        position = end &+ 2
        skipWhitespace()
        return start..<end
    }

    /// Bit 7 set in each byte of `word` (first byte lowest) that is a quote or a backslash; exact up
    /// to the lowest such byte (a borrow runs only upward from a zero byte), which is all callers use.
    @inlinable @inline(__always)
    static func quoteOrBackslash(_ word: UInt64) -> UInt64 {
        let quote = word ^ 0x2222_2222_2222_2222
        let backslash = word ^ 0x5C5C_5C5C_5C5C_5C5C
        return (((quote &- 0x0101_0101_0101_0101) & ~quote) | ((backslash &- 0x0101_0101_0101_0101) & ~backslash))
            & 0x8080_8080_8080_8080
    }

    /// Whether another array element follows (the scanner then sits at it); false after the closing bracket.
    /// The usual cases, a comma right before the element, the first element or the closing bracket with
    /// no whitespace, are read here (OKX levels are arrays of four, every one of them a call); the rest
    /// by `generalNextElement`, which gives the same results.
    @inlinable @inline(__always)
    public mutating func nextElement(_ first: inout Bool) throws(FrameError) -> Bool {
        let n = bytes.count
        if position >= 0, position &+ 1 < n {
            let c = bytes[position]
            if c == UInt8(ascii: "]") {
                position &+= 1
                return false
            }
            if first {
                if !JSONScanner.isSpace(c) {
                    first = false
                    return true
                }
            } else if c == UInt8(ascii: ","), !JSONScanner.isSpace(bytes[position &+ 1]) {
                position &+= 1
                return true
            }
        }
        return try generalNextElement(&first)
    }

    @inlinable @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09
    }

    /// `nextElement` for whatever its common cases do not read: whitespace, the end of the buffer, errors.
    @usableFromInline @inline(never)
    mutating func generalNextElement(_ first: inout Bool) throws(FrameError) -> Bool {
        skipWhitespace()
        guard position < bytes.count else { throw FrameError(.truncated, offset: position) }
        if bytes[position] == UInt8(ascii: "]") {
            position &+= 1
            return false
        }
        if first {
            first = false
        } else {
            guard bytes[position] == UInt8(ascii: ",") else { throw unexpected(.commaOrEnd) }
            position &+= 1
            skipWhitespace()
        }
        return true
    }

    // MARK: Values

    /// Reads a string whose opening quote is at `position`; returns the content range. Eight bytes
    /// are looked at a time for the closing quote or a backslash (a backslash skips the byte after it).
    @inlinable
    mutating func stringBody() throws(FrameError) -> Range<Int> {
        position &+= 1
        let start = position
        let n = bytes.count
        var i = position
        while i &+ 8 <= n {
            let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let hits = JSONScanner.quoteOrBackslash(word)
            if hits == 0 {
                i &+= 8
                continue
            }
            let k = i &+ (hits.trailingZeroBitCount &>> 3)
            if bytes[k] == UInt8(ascii: "\"") {
                position = k &+ 1
                return start..<k
            }
            i = k &+ 2
        }
        while i < n {
            let c = bytes[i]
            if c == UInt8(ascii: "\"") {
                position = i &+ 1
                return start..<i
            }
            if c == UInt8(ascii: "\\") {
                i &+= 2
            } else {
                i &+= 1
            }
        }
        position = n
        throw FrameError(.truncated, offset: n)
    }

    /// Reads a string value. The usual one (the quote right at `position`, at most fifteen bytes with no
    /// backslash) is read where this is called, from two words; the rest by `generalReadString`.
    @inlinable @inline(__always)
    public mutating func readString(field: StaticString? = nil) throws(FrameError) -> Range<Int> {
        if let r = shortString() { return r }
        return try generalReadString(field: field)
    }

    @usableFromInline @inline(never)
    mutating func generalReadString(field: StaticString?) throws(FrameError) -> Range<Int> {
        skipWhitespace()
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw unexpected(.string, field: field) }
        return try stringBody()
    }

    /// A string of at most 31 plain bytes whose quote is right at `position` (symbols, event types,
    /// sides, Deribit's channel names such as `ticker.BTC-PERPETUAL.raw`), from up to four words; nil
    /// (nothing moved) for anything else, including a backslash and the last 32 bytes of the buffer.
    /// `stringBody` gives the same range.
    @inlinable @inline(__always)
    mutating func shortString() -> Range<Int>? {
        let p = position
        guard let base = bytes.baseAddress, p >= 0, p &+ 33 <= bytes.count,
            base.load(fromByteOffset: p, as: UInt8.self) == UInt8(ascii: "\"")
        else { return nil }
        let start = p &+ 1
        var wordStart = start
        var hits = JSONScanner.quoteOrBackslash(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: start, as: UInt64.self)))
        while hits == 0 {
            guard wordStart &- start < 24 else { return nil }
            wordStart &+= 8
            hits = JSONScanner.quoteOrBackslash(UInt64(littleEndian: base.loadUnaligned(fromByteOffset: wordStart, as: UInt64.self)))
        }
        let end = wordStart &+ (hits.trailingZeroBitCount &>> 3)
        guard base.load(fromByteOffset: end, as: UInt8.self) == UInt8(ascii: "\"") else { return nil }
        position = end &+ 1
        return start..<end
    }

    @inlinable
    mutating func numberBody() -> Range<Int> {
        let start = position
        let n = bytes.count
        var i = position
        while i < n {
            let c = bytes[i]
            // digits, '+', '-', '.', 'e', 'E'
            if (c >= 48 && c <= 57) || c == 45 || c == 43 || c == 46 || c == 101 || c == 69 {
                i &+= 1
            } else {
                break
            }
        }
        position = i
        return start..<i
    }

    @inlinable
    mutating func literal(_ text: StaticString, field: StaticString?) throws(FrameError) {
        let count = text.utf8CodeUnitCount
        guard position &+ count <= bytes.count else { throw FrameError(.truncated, field: field.map { "\($0)" }, offset: position) }
        let p = text.utf8Start
        for k in 0..<count where bytes[position &+ k] != p[k] {
            position &+= k
            throw unexpected(.literal, field: field)
        }
        position &+= count
    }

    /// Reads a string, number, boolean or null.
    @inlinable
    public mutating func readScalar(field: StaticString? = nil) throws(FrameError) -> Scalar {
        skipWhitespace()
        guard position < bytes.count else { throw FrameError(.truncated, field: field.map { "\($0)" }, offset: position) }
        let c = bytes[position]
        switch c {
        case UInt8(ascii: "\""):
            return Scalar(range: try stringBody(), kind: .string, isTrue: false)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return Scalar(range: numberBody(), kind: .number, isTrue: false)
        case UInt8(ascii: "n"):
            let start = position
            try literal("null", field: field)
            return Scalar(range: start..<position, kind: .null, isTrue: false)
        case UInt8(ascii: "t"):
            let start = position
            try literal("true", field: field)
            return Scalar(range: start..<position, kind: .bool, isTrue: true)
        case UInt8(ascii: "f"):
            let start = position
            try literal("false", field: field)
            return Scalar(range: start..<position, kind: .bool, isTrue: false)
        default:
            throw unexpected(.value, field: field)
        }
    }

    /// Skips any value, checking that brackets match (a 64-bit stack of container kinds). A short
    /// string or a short run of digits followed by `,` `}` or `]` (`"e":"depthUpdate"`, `"f":0`) is
    /// skipped where this is called; everything else by `generalSkipValue`, which stops at the same byte.
    @inlinable @inline(__always)
    public mutating func skipValue() throws(FrameError) {
        if shortString() != nil { return }
        let p = position
        if let base = bytes.baseAddress, p >= 0, p &+ 9 <= bytes.count {
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self)) ^ 0x3030_3030_3030_3030
            let count = JSONScanner.leadingDigits(x)
            let after = base.load(fromByteOffset: p &+ count, as: UInt8.self)
            if count > 0, after == UInt8(ascii: ",") || after == UInt8(ascii: "}") || after == UInt8(ascii: "]") {
                position = p &+ count
                return
            }
        }
        // `true`, `false` and `null` (Binance's trailing `"M":true`): `readScalar` checks the literal's
        // bytes and nothing after them, and so does this.
        if let base = bytes.baseAddress, p >= 0, p &+ 4 <= bytes.count {
            let word = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt32.self))
            if word == 0x6575_7274 || word == 0x6C6C_756E {  // `true`, `null`
                position = p &+ 4
                return
            }
            if word == 0x736C_6166, p &+ 5 <= bytes.count, base.load(fromByteOffset: p &+ 4, as: UInt8.self) == UInt8(ascii: "e") {
                position = p &+ 5
                return
            }
        }
        try generalSkipValue()
    }

    @usableFromInline @inline(never)
    mutating func generalSkipValue() throws(FrameError) {
        skipWhitespace()
        guard position < bytes.count else { throw FrameError(.truncated, offset: position) }
        let c = bytes[position]
        if c == UInt8(ascii: "\"") {
            _ = try stringBody()
            return
        }
        guard c == UInt8(ascii: "{") || c == UInt8(ascii: "[") else {
            _ = try readScalar()
            return
        }
        // Bit k of `stack` is 1 when container k is an object.
        var stack: UInt64 = 0
        var depth = 0
        let n = bytes.count
        while position < n {
            let b = bytes[position]
            switch b {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard depth < JSONScanner.maxDepth else { throw FrameError(.tooDeep, offset: position) }
                if b == UInt8(ascii: "{") { stack |= (1 << UInt64(depth)) } else { stack &= ~(1 << UInt64(depth)) }
                depth += 1
                position &+= 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard depth > 0 else { throw unexpected(.value) }
                let isObject = (stack >> UInt64(depth - 1)) & 1 == 1
                guard isObject == (b == UInt8(ascii: "}")) else { throw unexpected(.commaOrEnd) }
                depth -= 1
                position &+= 1
                if depth == 0 { return }
            case UInt8(ascii: "\""):
                _ = try stringBody()
            default:
                position &+= 1
            }
        }
        throw FrameError(.truncated, offset: position)
    }

    // MARK: Byte-range helpers

    @inlinable @inline(__always)
    public func slice(_ r: Range<Int>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[r])
    }

    /// Whether the bytes in `r` equal `text` exactly.
    @inlinable @inline(__always)
    public func matches(_ r: Range<Int>, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard r.count == count else { return false }
        let p = text.utf8Start
        var k = 0
        while k < count {
            if bytes[r.lowerBound &+ k] != p[k] { return false }
            k &+= 1
        }
        return true
    }

    /// Whether the bytes in `r` start with `prefix` (inlined like `matches`: stream names are classified
    /// by a chain of these on every Binance frame).
    @inlinable @inline(__always)
    public func hasPrefix(_ r: Range<Int>, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard r.count >= count else { return false }
        let p = prefix.utf8Start
        var k = 0
        while k < count {
            if bytes[r.lowerBound &+ k] != p[k] { return false }
            k &+= 1
        }
        return true
    }

    /// The single byte of a one-byte key, or 0.
    @inlinable @inline(__always)
    public func singleByte(_ r: Range<Int>) -> UInt8 {
        r.count == 1 ? bytes[r.lowerBound] : 0
    }

    /// Decoded text of a string range (escapes resolved); used off the hot path (names, messages).
    public func text(_ r: Range<Int>) -> String {
        var plain = true
        for i in r where bytes[i] == UInt8(ascii: "\\") {
            plain = false
            break
        }
        if plain { return String(decoding: slice(r), as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(r.count)
        var i = r.lowerBound
        while i < r.upperBound {
            let c = bytes[i]
            if c == UInt8(ascii: "\\") && i + 1 < r.upperBound {
                let e = bytes[i + 1]
                i += 2
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    var v: UInt32 = 0
                    var k = 0
                    while k < 4 && i < r.upperBound, let h = JSONScanner.hexValue(bytes[i]) {
                        v = v << 4 | UInt32(h)
                        k += 1
                        i += 1
                    }
                    let scalar = Unicode.Scalar(v) ?? "\u{FFFD}"
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 55
        default: return nil
        }
    }

    /// Parses a decimal integer (optionally negative) from a byte range.
    @inlinable
    public func int64(_ r: Range<Int>) -> Int64? {
        var i = r.lowerBound
        guard i < r.upperBound else { return nil }
        var negative = false
        if bytes[i] == UInt8(ascii: "-") {
            negative = true
            i &+= 1
            guard i < r.upperBound else { return nil }
        }
        var v: Int64 = 0
        while i < r.upperBound {
            let d = bytes[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            v = s
            i &+= 1
        }
        return negative ? -v : v
    }

    @inlinable
    public func decimal(_ r: Range<Int>) -> FixedDecimal? {
        FixedDecimal.parse(slice(r))
    }
}
