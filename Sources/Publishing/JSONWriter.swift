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
    public private(set) var overflowed = false
    /// The last day `isoTime` converted: a message's two times are nearly always the same day.
    private var cachedDay = Int64.min
    private var cachedDate: (year: Int64, month: Int64, day: Int64) = (0, 0, 0)

    private init(base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    /// Runs `body` on a writer and returns what it wrote.
    ///
    /// It writes straight into the result's storage (one allocation, no copy); `capacity` should be an
    /// upper bound, since a write past it makes the whole body run again with twice the room.
    public static func bytes(capacity: Int = 512, _ body: (inout JSONWriter) -> Void) -> [UInt8] {
        var room = max(64, capacity)
        while true {
            var overflowed = false
            let result = [UInt8](unsafeUninitializedCapacity: room) { buffer, initialized in
                var w = JSONWriter(base: buffer.baseAddress!, capacity: buffer.count)
                body(&w)
                overflowed = w.overflowed
                initialized = overflowed ? 0 : w.count
            }
            if !overflowed { return result }
            room *= 2
        }
    }

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

    /// `text` as is: for names this program defines (venue names), never for received data.
    mutating func plain(_ text: String) {
        var t = text
        t.withUTF8 { append($0) }
    }

    /// `text` as one subject token: `.`, `*`, `>`, space and control bytes become `_`.
    mutating func subjectToken(_ text: String) { replacing(text, where: subjectSpecial) }

    /// `text` as part of a header value: control bytes become `_`.
    mutating func headerText(_ text: String) { replacing(text, where: headerSpecial) }

    /// Copies `text`, writing `_` for every byte the table marks.
    @inline(__always)
    private mutating func replacing(_ text: String, where special: [Bool]) {
        var t = text
        t.withUTF8 { buf in
            guard count + buf.count <= capacity else {
                overflowed = true
                return
            }
            special.withUnsafeBufferPointer { table in
                for b in buf {
                    base[count] = table[Int(b)] ? UInt8(ascii: "_") : b
                    count &+= 1
                }
            }
        }
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
        var t = text
        t.withUTF8 { buf in
            var plain = true
            for b in buf where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
                plain = false
                break
            }
            if plain {
                append(buf)
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
                    byte(hexDigit(b >> 4))
                    byte(hexDigit(b & 0xF))
                default: byte(b)
                }
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
        unsigned(value.magnitude, minimumDigits: 1)
    }

    /// Digits of `value`, left-padded with zeros to `minimumDigits`, written in place two at a time.
    @inline(__always)
    mutating func unsigned(_ value: UInt64, minimumDigits: Int) {
        var n = 1
        var probe = value
        while probe >= 100 {
            probe /= 100
            n &+= 2
        }
        if probe >= 10 { n &+= 1 }
        let width = max(n, minimumDigits)
        guard count + width <= capacity else {
            overflowed = true
            return
        }
        var v = value
        var i = count + width
        twoDigitTable.withUnsafeBufferPointer { table in
            while v >= 100 {
                let pair = Int(v % 100) &* 2
                v /= 100
                i &-= 2
                base[i] = table[pair]
                base[i &+ 1] = table[pair &+ 1]
            }
            if v >= 10 {
                let pair = Int(v) &* 2
                i &-= 2
                base[i] = table[pair]
                base[i &+ 1] = table[pair &+ 1]
            } else {
                i &-= 1
                base[i] = UInt8(truncatingIfNeeded: v) &+ 48
            }
        }
        while i > count {
            i &-= 1
            base[i] = 48
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
        count &+= twoDigitTable.withUnsafeBufferPointer { Self.writeDecimal(value, to: base + count, pairs: $0.baseAddress!) }
    }

    /// Book levels as `{"price":P,"quantity":Q}`, comma-separated: a book message is mostly this, so
    /// one room check per level and the digit table fetched once per call.
    public mutating func levels(_ levels: UnsafeBufferPointer<BookLevel>) {
        let room = Self.levelOpen.utf8CodeUnitCount + Self.levelMiddle.utf8CodeUnitCount + 2 * FixedDecimal.maxTextLength + 2
        twoDigitTable.withUnsafeBufferPointer { table in
            let pairs = table.baseAddress!
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
                p += Self.writeDecimal(levels[i].price, to: p, pairs: pairs)
                p = Self.copy(Self.levelMiddle, to: p)
                p += Self.writeDecimal(levels[i].size, to: p, pairs: pairs)
                p[0] = UInt8(ascii: "}")
                count = p + 1 - base
            }
        }
    }

    static let levelOpen: StaticString = "{\"price\":"
    static let levelMiddle: StaticString = ",\"quantity\":"

    @inline(__always)
    static func copy(_ text: StaticString, to p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        p.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return p + text.utf8CodeUnitCount
    }

    /// The text of `FixedDecimal.description` at `p` (room for `maxTextLength` bytes), right to left,
    /// two digits per division; returns the byte count.
    @inline(__always)
    static func writeDecimal(_ value: FixedDecimal, to p: UnsafeMutablePointer<UInt8>, pairs: UnsafePointer<UInt8>) -> Int {
        var m = value.mantissa.magnitude
        let scale = Int(value.scale)
        let sign = value.mantissa < 0 ? 1 : 0
        var digits = 1
        var limit: UInt64 = 10
        while digits < 19 && m >= limit {
            digits &+= 1
            limit &*= 10
        }
        // At least one digit before the point ("0.005").
        let integerDigits = Swift.max(digits &- scale, 1)
        let total = sign &+ integerDigits &+ (scale > 0 ? scale &+ 1 : 0)
        if sign == 1 { p[0] = UInt8(ascii: "-") }
        var i = total
        @inline(__always) func digitRun(_ n: Int) {
            var left = n
            while left >= 2 {
                let q = m / 100
                let r = Int(truncatingIfNeeded: m &- q &* 100) &* 2
                i &-= 2
                p[i] = pairs[r]
                p[i &+ 1] = pairs[r &+ 1]
                m = q
                left &-= 2
            }
            if left == 1 {
                let q = m / 10
                i &-= 1
                p[i] = UInt8(truncatingIfNeeded: m &- q &* 10) &+ 48
                m = q
            }
        }
        if scale > 0 {
            digitRun(scale)
            i &-= 1
            p[i] = UInt8(ascii: ".")
        }
        digitRun(integerDigits)
        return total
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
        byte(UInt8(ascii: "\""))
        if y < 0 { byte(UInt8(ascii: "-")) }
        unsigned(UInt64(y.magnitude), minimumDigits: 4)
        byte(UInt8(ascii: "-"))
        twoDigits(mo)
        byte(UInt8(ascii: "-"))
        twoDigits(d)
        byte(UInt8(ascii: "T"))
        twoDigits(secOfDay / 3600)
        byte(UInt8(ascii: ":"))
        twoDigits(secOfDay % 3600 / 60)
        byte(UInt8(ascii: ":"))
        twoDigits(secOfDay % 60)
        byte(UInt8(ascii: "."))
        let micros = sub / 1000
        twoDigits(micros / 10_000)
        twoDigits(micros / 100 % 100)
        twoDigits(micros % 100)
        raw("+00:00\"")
    }

    @inline(__always)
    private mutating func twoDigits(_ v: Int64) {
        byte(UInt8(truncatingIfNeeded: v / 10) &+ 48)
        byte(UInt8(truncatingIfNeeded: v % 10) &+ 48)
    }
}

/// "00" "01" ... "99": two digits per division.
private let twoDigitTable: [UInt8] = {
    var table = [UInt8]()
    table.reserveCapacity(200)
    for n in 0..<100 {
        table.append(UInt8(48 + n / 10))
        table.append(UInt8(48 + n % 10))
    }
    return table
}()

/// Bytes that cannot stand in a NATS subject token (they split, match or end the subject).
private let subjectSpecial: [Bool] = (0..<256).map { !Subject.isPlain(UInt8($0)) }

/// Bytes that cannot stand in a header value.
private let headerSpecial: [Bool] = (0..<256).map { $0 < 0x20 || $0 == 0x7F }
