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
    /// The text of the last whole second `isoTime` or `nanoseconds` wrote: a message's two times, and
    /// consecutive messages' (when an encoder hands the cache on), nearly always share it.
    var secondText = SecondText()

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

    /// Runs `body` on a writer over `buffer`'s unused capacity (grown to room for `capacity` more
    /// bytes, doubled until `body` fits) and appends what it wrote: no scratch copy, no zero-fill.
    /// An encoder writing each message into the storage of one the sink has let go of (so that
    /// `removeAll(keepingCapacity:)` kept it) allocates and copies nothing per message.
    static func append(into buffer: inout [UInt8], capacity: Int, _ body: (inout JSONWriter) -> Void) {
        var room = max(64, capacity)
        withoutActuallyEscaping(body) { body in
            var overflowed = false
            withUnsafeMutablePointer(to: &overflowed) { flag in
                while true {
                    buffer.reserveCapacity(buffer.count &+ room)
                    let before = buffer.count
                    flag.pointee = false
                    buffer.append(contentsOf: Fill(body: body, overflowed: flag))
                    if !flag.pointee { return }
                    precondition(buffer.count == before)
                    room &*= 2
                }
            }
        }
    }

    /// The bytes `body` writes, as a sequence that writes them straight into the array appending it:
    /// `Array.append(contentsOf:)` hands a sequence its whole unused capacity (`_copyContents`), and an
    /// underestimated count of 0 asks for no room the writer may not use.
    private struct Fill: Sequence {
        let body: (inout JSONWriter) -> Void
        let overflowed: UnsafeMutablePointer<Bool>

        func makeIterator() -> EmptyCollection<UInt8>.Iterator { EmptyCollection<UInt8>().makeIterator() }

        func _copyContents(initializing room: UnsafeMutableBufferPointer<UInt8>) -> (EmptyCollection<UInt8>.Iterator, Int) {
            guard let start = room.baseAddress else {
                overflowed.pointee = true
                return (makeIterator(), 0)
            }
            var w = JSONWriter(base: start, capacity: room.count)
            body(&w)
            // Nothing is kept from a write that did not fit: it runs again with more room.
            overflowed.pointee = w.overflowed
            return (makeIterator(), w.overflowed ? 0 : w.count)
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
        Self.copyBytes(from: from, to: base + count, count: source.count)
        count &+= source.count
    }

    /// Copies `n` bytes: up to 32 inline with overlapping word loads and stores (a message is written
    /// from many short literals and cached pieces, and a `memcpy` call costs several times that), the
    /// rest with `memcpy`.
    @inline(__always)
    static func copyBytes(from: UnsafePointer<UInt8>, to: UnsafeMutablePointer<UInt8>, count n: Int) {
        let src = UnsafeRawPointer(from)
        let dst = UnsafeMutableRawPointer(to)
        if n >= 8 {
            if n <= 16 {
                let a = src.loadUnaligned(as: UInt64.self)
                let b = src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                dst.storeBytes(of: a, as: UInt64.self)
                dst.storeBytes(of: b, toByteOffset: n &- 8, as: UInt64.self)
            } else if n <= 32 {
                let a = src.loadUnaligned(as: UInt64.self)
                let b = src.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                let c = src.loadUnaligned(fromByteOffset: n &- 16, as: UInt64.self)
                let d = src.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
                dst.storeBytes(of: a, as: UInt64.self)
                dst.storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
                dst.storeBytes(of: c, toByteOffset: n &- 16, as: UInt64.self)
                dst.storeBytes(of: d, toByteOffset: n &- 8, as: UInt64.self)
            } else {
                to.update(from: from, count: n)
            }
        } else if n >= 4 {
            let a = src.loadUnaligned(as: UInt32.self)
            let b = src.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            dst.storeBytes(of: a, as: UInt32.self)
            dst.storeBytes(of: b, toByteOffset: n &- 4, as: UInt32.self)
        } else {
            var i = 0
            while i < n {
                to[i] = from[i]
                i &+= 1
            }
        }
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
            // Eight bytes at a time while none needs escaping: ids and names are plain ASCII.
            if let from = buf.baseAddress, buf.count >= 8 {
                let src = UnsafeRawPointer(from)
                let last = buf.count &- 8
                var clean = true
                while i < last {
                    if Self.needsEscape(src.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                        clean = false
                        break
                    }
                    i &+= 8
                }
                if clean && !Self.needsEscape(src.loadUnaligned(fromByteOffset: last, as: UInt64.self)) {
                    Self.copyBytes(from: from, to: p, count: buf.count)
                    count &+= buf.count
                    return
                }
                if i > 0 { Self.copyBytes(from: from, to: p, count: i) }
            }
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

    /// Whether any of the eight bytes is a control character, `"` or `\\` (exact: a false answer
    /// means none is; the carries of the subtraction only reach above a byte that matched).
    @inline(__always)
    static func needsEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = w ^ (ones &* 0x22)
        let backslash = w ^ (ones &* 0x5C)
        let control = (w &- ones &* 0x20) & ~w
        let q = (quote &- ones) & ~quote
        let s = (backslash &- ones) & ~backslash
        return (control | q | s) & highs != 0
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
        let n = levels.count
        let new = levels.baseAddress
        let old = previous.levels.baseAddress
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
                    guard copyRun(of: k, from: j, to: i, previous: previous, bounds: bounds) else { return copied }
                    copied &+= k
                    i &+= k
                    j &+= k
                    continue
                }
            }
            guard formatLevel(level, at: i, bounds: bounds) else { return copied }
            i &+= 1
        }
        bounds[n] = Int32(truncatingIfNeeded: count &+ 1)
        return copied
    }

    /// One piece of a side written from an earlier message: `count` consecutive levels whose text is
    /// copied from that message's levels starting at `from`, or (with `from` < 0) one level to format.
    struct LevelSegment {
        var from: Int32
        var count: Int32
    }

    /// The same bytes as `levels(_:)` for `levels`, laid out by `segments` (which cover them in order):
    /// each copied run is one copy of `previous`'s text, commas included, with no level compared, for a
    /// caller that already knows which levels changed. `bounds` as in `levels(_:isBid:previous:bounds:)`.
    /// Returns how many levels were copied.
    mutating func levels(
        _ levels: UnsafeBufferPointer<BookLevel>, segments: UnsafeBufferPointer<LevelSegment>, previous: WrittenLevels,
        bounds: UnsafeMutablePointer<Int32>
    ) -> Int {
        let new = levels.baseAddress
        var copied = 0
        var i = 0
        for segment in segments {
            if segment.from >= 0 {
                let j = Int(segment.from)
                let k = Int(segment.count)
                guard copyRun(of: k, from: j, to: i, previous: previous, bounds: bounds) else { return copied }
                copied &+= k
                i &+= k
                continue
            }
            guard formatLevel(new.unsafelyUnwrapped[i], at: i, bounds: bounds) else { return copied }
            i &+= 1
        }
        bounds[i] = Int32(truncatingIfNeeded: count &+ 1)
        return copied
    }

    /// Copies levels `j..<j+k` of `previous`, commas included, as this side's levels from `i` on, and
    /// records their shifted offsets; false (and `overflowed`) when they do not fit.
    @inline(__always)
    private mutating func copyRun(
        of k: Int, from j: Int, to i: Int, previous: WrittenLevels, bounds: UnsafeMutablePointer<Int32>
    ) -> Bool {
        let oldBounds = previous.bounds
        let from = Int(oldBounds[j])
        let length = Int(oldBounds[j &+ k]) &- 1 &- from
        guard count &+ length &+ 1 <= capacity else {
            overflowed = true
            return false
        }
        if i > 0 {
            base[count] = UInt8(ascii: ",")
            count &+= 1
        }
        let shift = Int32(truncatingIfNeeded: count &- from)
        for t in 0..<k { bounds[i &+ t] = oldBounds[j &+ t] &+ shift }
        (base + count).update(from: previous.bytes.unsafelyUnwrapped + from, count: length)
        count &+= length
        return true
    }

    /// Formats `level` as this side's level `i` and records its offset; false (and `overflowed`) when
    /// it might not fit.
    @inline(__always)
    private mutating func formatLevel(_ level: BookLevel, at i: Int, bounds: UnsafeMutablePointer<Int32>) -> Bool {
        let room = Self.levelOpen.utf8CodeUnitCount + Self.levelMiddle.utf8CodeUnitCount + 2 * FixedDecimal.maxTextLength + 2
        guard count &+ room <= capacity else {
            overflowed = true
            return false
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
        return true
    }

    static let levelOpen: StaticString = "{\"price\":"
    static let levelMiddle: StaticString = ",\"quantity\":"

    @inline(__always)
    static func copy(_ text: StaticString, to p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        copyBytes(from: text.utf8Start, to: p, count: text.utf8CodeUnitCount)
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
        // `"YYYY-MM-DDTHH:MM:SS.ffffff+00:00"`, fixed width (Int64 nanoseconds span the years 1677...2262),
        // written with one room check.
        guard count &+ 34 <= capacity else {
            overflowed = true
            return
        }
        let (text, sub) = second(containing: instant.nanoseconds)
        let p = base + count
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: text.iso.0, as: UInt64.self)
        raw.storeBytes(of: text.iso.1, toByteOffset: 8, as: UInt64.self)
        raw.storeBytes(of: text.iso.2, toByteOffset: 16, as: UInt32.self)
        p[20] = UInt8(ascii: ".")
        let micros = UInt32(truncatingIfNeeded: sub / 1000)
        let high = micros / 10_000
        let rest = micros &- high &* 10_000
        let middle = rest / 100
        let pairs = DecimalDigits.pairs
        @inline(__always) func two(_ v: UInt32, at i: Int) {
            let j = Int(v) &* 2
            p[i] = pairs[j]
            p[i &+ 1] = pairs[j &+ 1]
        }
        two(high, at: 21)
        two(middle, at: 23)
        two(rest &- middle &* 100, at: 25)
        _ = Self.copy("+00:00\"", to: p + 27)
        count &+= 34
    }

    /// The text of the second containing `ns` and the nanoseconds into it. Within the kept second it
    /// is one subtraction instead of a signed division and remainder; another second is kept in its
    /// place when the test on `ns - start` is exact for it.
    @inline(__always)
    private mutating func second(containing ns: Int64) -> (SecondText, UInt64) {
        let sub = UInt64(bitPattern: ns &- secondText.start)
        if sub < 1_000_000_000 { return (secondText, sub) }
        let text = SecondText(containing: ns)
        if text.isCacheable { secondText = text }
        return (text, UInt64(bitPattern: ns &- text.start))
    }

    /// An instant's integer nanoseconds: the same digits as `integer(instant.nanoseconds)`, but for
    /// instants after 2001-09-09 (19 digits: the second's 10, then 9 for the fraction) the second's
    /// digits come from `secondText`.
    @inline(__always)
    public mutating func nanoseconds(_ instant: Instant) {
        let ns = instant.nanoseconds
        guard ns >= 1_000_000_000_000_000_000 else { return integer(ns) }
        guard count &+ 19 <= capacity else {
            overflowed = true
            return
        }
        let (text, sub) = second(containing: ns)
        let p = base + count
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: text.digits.0, as: UInt64.self)
        raw.storeBytes(of: text.digits.1, toByteOffset: 8, as: UInt16.self)
        var fraction = UInt32(truncatingIfNeeded: sub)
        let pairs = DecimalDigits.pairs
        var i = 19
        for _ in 0..<4 {
            let q = fraction / 100
            let j = Int(fraction &- q &* 100) &* 2
            fraction = q
            i &-= 2
            p[i] = pairs[j]
            p[i &+ 1] = pairs[j &+ 1]
        }
        p[10] = UInt8(truncatingIfNeeded: fraction) &+ 48
        count &+= 19
    }
}

/// One whole second as `isoTime` writes it, `"YYYY-MM-DDTHH:MM:SS`, and, when it has 10 digits
/// (seconds since the epoch, 2001 to 2286), those digits. `start` is the second's first nanosecond:
/// an instant is in this second when `ns - start`, unsigned, is below 10^9.
struct SecondText {
    var second: Int64 = 0
    var start: Int64 = 0
    var iso: (UInt64, UInt64, UInt32) = (0x3130_2d30_3739_3122, 0x303a_3030_5431_302d, 0x3030_3a30)
    var digits: (UInt64, UInt16) = (0, 0)

    /// 1970-01-01T00:00:00 (the constants above are its text), so every state is a real second.
    init() {}

    /// The second containing `ns`.
    init(containing ns: Int64) {
        var seconds = ns / 1_000_000_000
        if ns % 1_000_000_000 < 0 { seconds -= 1 }
        self.init(second: seconds)
    }

    /// Whether the second lies wholly in the Int64 nanosecond range: only then is the test on
    /// `ns - start` exact (the first and last seconds of the range would match instants of the other end).
    var isCacheable: Bool {
        second > Int64.min / 1_000_000_000 && second < Int64.max / 1_000_000_000
    }

    init(second seconds: Int64) {
        second = seconds
        start = seconds &* 1_000_000_000
        var days = seconds / 86_400
        var secOfDay = seconds % 86_400
        if secOfDay < 0 {
            secOfDay += 86_400
            days -= 1
        }
        let (y, mo, d) = CivilDate.date(daysSinceEpoch: days)
        let pairs = DecimalDigits.pairs
        withUnsafeMutableBytes(of: &iso) { b in
            @inline(__always) func two(_ v: Int64, at i: Int) {
                let j = Int(truncatingIfNeeded: v) &* 2
                b[i] = pairs[j]
                b[i &+ 1] = pairs[j &+ 1]
            }
            b[0] = UInt8(ascii: "\"")
            two(y / 100, at: 1)
            two(y % 100, at: 3)
            b[5] = UInt8(ascii: "-")
            two(mo, at: 6)
            b[8] = UInt8(ascii: "-")
            two(d, at: 9)
            b[11] = UInt8(ascii: "T")
            two(secOfDay / 3600, at: 12)
            b[14] = UInt8(ascii: ":")
            two(secOfDay % 3600 / 60, at: 15)
            b[17] = UInt8(ascii: ":")
            two(secOfDay % 60, at: 18)
        }
        if seconds >= 1_000_000_000 && seconds < 10_000_000_000 {
            withUnsafeMutableBytes(of: &digits) { b in
                var v = seconds
                for i in stride(from: 9, through: 0, by: -1) {
                    b[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                    v /= 10
                }
            }
        }
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
