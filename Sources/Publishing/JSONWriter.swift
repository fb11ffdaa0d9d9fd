import Model

/// Appends JSON tokens to a byte buffer without going through `String` or Foundation, because
/// the publisher encodes every event on the hot path.
///
/// It writes through a raw pointer into a scratch buffer (on the stack when small) and never
/// grows it: a write that does not fit sets `overflowed`, and `JSONWriter.bytes` retries with
/// twice the room. The finished bytes are copied once into an exactly sized array.
public struct JSONWriter {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    public private(set) var count = 0
    public internal(set) var overflowed = false
    /// The last day `isoTime` converted: a message's two times are nearly always the same day.
    private var cachedDay = Int64.min
    private var cachedDate: (year: Int64, month: Int64, day: Int64) = (0, 0, 0)

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Runs `body` on a writer and returns what it wrote.
    ///
    /// `capacity` should be an upper bound, since a write past it makes the whole body run again with
    /// twice the room. Small messages (trades, tickers) are written on the stack and copied into an
    /// exactly sized array: the stdlib's `Array(unsafeUninitializedCapacity:)` looks up the storage
    /// class's generic metadata at run time on every call (about a third of a small message's cost),
    /// while `Array(UnsafeBufferPointer)` is specialized here. Large ones (books) are written straight
    /// into the result's storage, where that lookup costs less than copying them would.
    public static func bytes(capacity: Int = 512, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var room = max(64, capacity)
        while true {
            var overflowed = false
            let result: [UInt8]
            if room <= smallMessageRoom {
                result = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: room) { buffer in
                    var w = JSONWriter(base: buffer.baseAddress!, capacity: buffer.count)
                    body(&w)
                    overflowed = w.overflowed
                    return overflowed ? [] : Array(UnsafeBufferPointer(rebasing: buffer[..<w.count]))
                }
            } else {
                result = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
                    var w = JSONWriter(base: buffer.baseAddress!, capacity: buffer.count)
                    body(&w)
                    overflowed = w.overflowed
                    initialized = overflowed ? 0 : w.count
                }
            }
            if !overflowed { return result }
            room *= 2
        }
    }

    /// Up to this many bytes a message is written on the stack (the stdlib's stack-allocation limit).
    static let smallMessageRoom = 1024

    /// The bytes written so far.
    public var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    @inline(__always)
    public mutating func byte(_ b: UInt8) {
        guard count < capacity else {
            overflowed = true
            return
        }
        base[count] = b
        count &+= 1
    }

    @inline(__always)
    public mutating func append(_ source: UnsafeBufferPointer<UInt8>) {
        guard let from = source.baseAddress, source.count > 0 else { return }
        guard count + source.count <= capacity else {
            overflowed = true
            return
        }
        (base + count).update(from: from, count: source.count)
        count &+= source.count
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    @inline(__always)
    public mutating func raw(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// `text` as one subject token: `.`, `*`, `>`, space and control bytes become `_`.
    mutating func subjectToken(_ text: String) {
        Self.withUTF8(text) { buf in copyReplacing(buf) { Subject.isPlain($0) } }
    }

    /// `text` as part of a header value: control bytes become `_`.
    mutating func headerText(_ text: String) {
        Self.withUTF8(text) { buf in copyReplacing(buf) { $0 >= 0x20 && $0 != 0x7F } }
    }

    /// Copies `buf`, writing `_` for every byte `keep` rejects.
    @inline(__always)
    private mutating func copyReplacing(_ buf: UnsafeBufferPointer<UInt8>, keeping keep: (UInt8) -> Bool) {
        guard count &+ buf.count <= capacity else {
            overflowed = true
            return
        }
        let p = base + count
        for i in buf.indices {
            let b = buf[i]
            p[i] = keep(b) ? b : UInt8(ascii: "_")
        }
        count &+= buf.count
    }

    /// The UTF-8 bytes of `text` without copying the string value first: most strings here are small
    /// (symbols, ids) and a `var` copy plus `withUTF8` cost a retain, a release and a call each time.
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = text.utf8.withContiguousStorageIfAvailable(body) { return r }
        var t = text
        return t.withUTF8(body)
    }

    public mutating func append(_ bytes: ArraySlice<UInt8>) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A JSON string with `"`, `\` and control characters escaped.
    public mutating func string(_ text: String) {
        byte(UInt8(ascii: "\""))
        stringBody(text)
        byte(UInt8(ascii: "\""))
    }

    /// The inside of a JSON string: `text` with `"`, `\` and control characters escaped.
    mutating func stringBody(_ text: String) {
        Self.withUTF8(text) { buf in
            // One pass: copy while nothing needs escaping (the usual case), then escape the rest.
            guard count &+ buf.count <= capacity else {
                overflowed = true
                return
            }
            let p = base + count
            var i = 0
            while i < buf.count {
                let b = buf[i]
                if b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { break }
                p[i] = b
                i &+= 1
            }
            count &+= i
            while i < buf.count {
                let b = buf[i]
                switch b {
                case UInt8(ascii: "\""): raw("\\\"")
                case UInt8(ascii: "\\"): raw("\\\\")
                case 0x0A: raw("\\n")
                case 0x0D: raw("\\r")
                case 0x09: raw("\\t")
                case 0..<0x20:
                    raw("\\u00")
                    byte(hexDigit(b >> 4))
                    byte(hexDigit(b & 0xF))
                default: byte(b)
                }
                i &+= 1
            }
        }
    }

    /// An instrument's normalized symbol as a JSON string, from its parts for the common kinds
    /// (the same bytes as `string(instrument.symbol)` without building that string).
    public mutating func symbol(of instrument: Instrument) {
        switch instrument.kind {
        case .spot, .perpetual:
            byte(UInt8(ascii: "\""))
            stringBody(instrument.base)
            byte(UInt8(ascii: "-"))
            stringBody(instrument.quote)
            if case .perpetual = instrument.kind { raw("-PERP") }
            byte(UInt8(ascii: "\""))
        default:
            string(instrument.symbol)
        }
    }

    @inline(__always)
    func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }

    /// A decimal integer.
    public mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        unsigned(value.magnitude)
    }

    /// Digits of `value`, written in place right to left, two at a time.
    @inline(__always)
    mutating func unsigned(_ value: UInt64) {
        let width = DecimalDigits.count(value)
        guard count + width <= capacity else {
            overflowed = true
            return
        }
        var v = value
        var i = count + width
        let table = DecimalDigits.pairs
        while v >= 100 {
            let pair = Int(v % 100) &* 2
            v /= 100
            i &-= 2
            base[i] = table[pair]
            base[i &+ 1] = table[pair &+ 1]
        }
        if v >= 10 {
            let pair = Int(v) &* 2
            base[i &- 2] = table[pair]
            base[i &- 1] = table[pair &+ 1]
        } else {
            base[i &- 1] = UInt8(truncatingIfNeeded: v) &+ 48
        }
        count &+= width
    }

    /// An exact decimal as a JSON number at its own scale ("0.35130000" stays as sent).
    @inline(__always)
    public mutating func decimal(_ value: FixedDecimal) {
        guard count + FixedDecimal.maxTextLength <= capacity else {
            overflowed = true
            return
        }
        count &+= value.writeText(into: base + count)
    }

    /// Book levels as `{"price":P,"quantity":Q}`, comma-separated: a book message is mostly this, so
    /// one room check per level.
    public mutating func levels(_ levels: UnsafeBufferPointer<BookLevel>) {
        let room = Self.levelOpen.utf8CodeUnitCount + Self.levelMiddle.utf8CodeUnitCount + 2 * FixedDecimal.maxTextLength + 2
        for i in levels.indices {
            guard count + room <= capacity else {
                overflowed = true
                return
            }
            var p = base + count
            if i > 0 {
                p[0] = UInt8(ascii: ",")
                p += 1
            }
            p = Self.copy(Self.levelOpen, to: p)
            p += levels[i].price.writeText(into: p)
            p = Self.copy(Self.levelMiddle, to: p)
            p += levels[i].size.writeText(into: p)
            p[0] = UInt8(ascii: "}")
            count = p + 1 - base
        }
    }

    /// Where an earlier message wrote one side's levels: the levels, the offset of each one's `{` in
    /// `bytes` plus one more bound (one past the last `}`, plus one), and those bytes.
    struct WrittenLevels {
        var levels: UnsafeBufferPointer<BookLevel>
        var bounds: UnsafePointer<Int32>
        var bytes: UnsafePointer<UInt8>?
    }

    /// The same bytes as `levels(_:)`, but each run of levels that `previous` holds with identical bits
    /// (price and size mantissa and scale, so identical text) is copied from its bytes instead of being
    /// formatted again: consecutive books of an instrument differ in a few levels. `bounds` (room for
    /// `levels.count + 1`) receives this message's offsets in the same form, for the next one.
    /// Returns how many levels were copied.
    ///
    /// Levels are matched by a merge walk over both sides' price order (`isBid`: best is highest); the
    /// order only decides how much is found, never what is written.
    mutating func levels(
        _ levels: UnsafeBufferPointer<BookLevel>, isBid: Bool, previous: WrittenLevels, bounds: UnsafeMutablePointer<Int32>
    ) -> Int {
        let room = Self.levelOpen.utf8CodeUnitCount + Self.levelMiddle.utf8CodeUnitCount + 2 * FixedDecimal.maxTextLength + 2
        let n = levels.count
        let new = levels.baseAddress
        let old = previous.levels.baseAddress
        let oldBounds = previous.bounds
        let m = previous.bytes == nil ? 0 : previous.levels.count
        var copied = 0
        var i = 0
        var j = 0
        while i < n {
            let level = new.unsafelyUnwrapped[i]
            if m > 0 {
                let old = old.unsafelyUnwrapped
                // Old levels better than this one are gone from the book (or cut off).
                while j < m && (isBid ? level.price < old[j].price : old[j].price < level.price) { j &+= 1 }
                if j < m && old[j].hasSameBits(as: level) {
                    // The longest run that continues unchanged, copied in one go with its commas.
                    var k = 1
                    while i &+ k < n && j &+ k < m && old[j &+ k].hasSameBits(as: new.unsafelyUnwrapped[i &+ k]) { k &+= 1 }
                    let from = Int(oldBounds[j])
                    let length = Int(oldBounds[j &+ k]) &- 1 &- from
                    guard count &+ length &+ 1 <= capacity else {
                        overflowed = true
                        return copied
                    }
                    if i > 0 {
                        base[count] = UInt8(ascii: ",")
                        count &+= 1
                    }
                    let shift = Int32(truncatingIfNeeded: count &- from)
                    for t in 0..<k { bounds[i &+ t] = oldBounds[j &+ t] &+ shift }
                    (base + count).update(from: previous.bytes.unsafelyUnwrapped + from, count: length)
                    count &+= length
                    copied &+= k
                    i &+= k
                    j &+= k
                    continue
                }
            }
            guard count &+ room <= capacity else {
                overflowed = true
                return copied
            }
            var p = base + count
            if i > 0 {
                p[0] = UInt8(ascii: ",")
                p += 1
            }
            bounds[i] = Int32(truncatingIfNeeded: p - base)
            p = Self.copy(Self.levelOpen, to: p)
            p += level.price.writeText(into: p)
            p = Self.copy(Self.levelMiddle, to: p)
            p += level.size.writeText(into: p)
            p[0] = UInt8(ascii: "}")
            count = p + 1 - base
            i &+= 1
        }
        bounds[n] = Int32(truncatingIfNeeded: count &+ 1)
        return copied
    }

    static let levelOpen: StaticString = "{\"price\":"
    static let levelMiddle: StaticString = ",\"quantity\":"

    @inline(__always)
    static func copy(_ text: StaticString, to p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return p + text.utf8CodeUnitCount
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
        if days != cachedDay {
            cachedDay = days
            cachedDate = CivilDate.date(daysSinceEpoch: days)
        }
        let (y, mo, d) = cachedDate
        // `"YYYY-MM-DDTHH:MM:SS.ffffff+00:00"`, fixed width (Int64 nanoseconds span the years 1677...2262),
        // written with one room check.
        guard count &+ 34 <= capacity else {
            overflowed = true
            return
        }
        let p = base + count
        let pairs = DecimalDigits.pairs
        @inline(__always) func two(_ v: Int64, at i: Int) {
            let j = Int(truncatingIfNeeded: v) &* 2
            p[i] = pairs[j]
            p[i &+ 1] = pairs[j &+ 1]
        }
        p[0] = UInt8(ascii: "\"")
        two(y / 100, at: 1)
        two(y % 100, at: 3)
        p[5] = UInt8(ascii: "-")
        two(mo, at: 6)
        p[8] = UInt8(ascii: "-")
        two(d, at: 9)
        p[11] = UInt8(ascii: "T")
        two(secOfDay / 3600, at: 12)
        p[14] = UInt8(ascii: ":")
        two(secOfDay % 3600 / 60, at: 15)
        p[17] = UInt8(ascii: ":")
        two(secOfDay % 60, at: 18)
        p[20] = UInt8(ascii: ".")
        let micros = sub / 1000
        two(micros / 10_000, at: 21)
        two(micros / 100 % 100, at: 23)
        two(micros % 100, at: 25)
        _ = Self.copy("+00:00\"", to: p + 27)
        count &+= 34
    }
}

extension BookLevel {
    /// Same mantissas and scales: the two levels print the same text (`==` compares values, so
    /// "1.50" equals "1.5" there).
    @inline(__always)
    func hasSameBits(as other: BookLevel) -> Bool {
        price.mantissa == other.price.mantissa && size.mantissa == other.size.mantissa
            && price.scale == other.price.scale && size.scale == other.size.scale
    }
}
