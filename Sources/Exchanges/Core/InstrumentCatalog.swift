import Model

/// Native instrument names of one venue mapped to `Instrument`s.
///
/// Built from the venue's instruments REST responses (see the `InstrumentCatalog` builders in each
/// venue's folder) or from explicit instruments. Names it does not hold fall back to
/// `InstrumentNaming` (the venue's naming convention), so a replay without metadata still works.
/// Lookups by raw bytes go through an open-addressing table so the hot path creates no `String`.
public struct InstrumentCatalog: Sendable {
    public let venue: Venue
    public private(set) var instruments: [Instrument] = []
    var table = NativeNameTable()
    /// Whether names the catalog lacks may be derived from the naming convention.
    public var usesNamingFallback: Bool

    public init(venue: Venue, instruments: [Instrument] = [], usesNamingFallback: Bool = true) {
        self.venue = venue
        self.usesNamingFallback = usesNamingFallback
        for i in instruments { insert(i) }
    }

    public var count: Int { instruments.count }

    /// Adds or replaces an instrument by native name.
    public mutating func insert(_ instrument: Instrument) {
        let name = Array(instrument.native.utf8)
        let found = name.withUnsafeBytes { table.find($0) }
        if let found {
            instruments[found] = instrument
        } else {
            instruments.append(instrument)
            table.insert(name, index: instruments.count - 1)
        }
    }

    /// The catalog entry, else the naming fallback.
    public func instrument(native: String) -> Instrument? {
        var name = native
        if let i = name.withUTF8({ table.find(UnsafeRawBufferPointer($0)) }) { return instruments[i] }
        return usesNamingFallback ? InstrumentNaming.instrument(venue: venue, native: native) : nil
    }

    /// Hot-path lookup by the name's bytes; a fallback-derived instrument is remembered.
    public mutating func resolve(_ name: UnsafeRawBufferPointer) -> Instrument? {
        if let i = resolveIndex(name) { return instruments[i] }
        guard usesNamingFallback,
            let made = InstrumentNaming.instrument(venue: venue, native: String(decoding: name, as: UTF8.self))
        else { return nil }
        insert(made)
        return made
    }

    /// The index in `instruments` of the catalog entry named `name`, if it has one (no fallback). The
    /// two names found last are compared first, as fingerprints of a few loads (a feed's frames
    /// usually alternate between a few instruments).
    @inline(__always)
    mutating func resolveIndex(_ name: UnsafeRawBufferPointer) -> Int? {
        let print = NameFingerprint(name)
        if let print {
            if print == lastFound.print { return lastFound.index }
            if print == earlierFound.print { return earlierFound.index }
        }
        guard let i = table.findRemembering(name) else { return nil }
        if let print {
            earlierFound = lastFound
            lastFound = (print, i)
        }
        return i
    }

    /// The entries found last and before that, with their names' fingerprints (index -1: none yet).
    var lastFound: (print: NameFingerprint, index: Int) = (NameFingerprint(count: -1, first: 0, last: 0), -1)
    var earlierFound: (print: NameFingerprint, index: Int) = (NameFingerprint(count: -1, first: 0, last: 0), -1)

    /// The instrument with a normalized symbol, if the catalog holds one (first match in insertion order).
    public func instrument(symbol: String) -> Instrument? {
        instruments.first { $0.symbol == symbol }
    }
}

/// A name of at most 16 bytes, exactly: its length and its first and last 8 (or 4) bytes, which
/// together cover every byte. A frame names the same instrument over and over; comparing this
/// costs a few loads where the table's lookup cost a hundred instructions.
struct NameFingerprint: Equatable {
    var count: Int
    var first: UInt64
    var last: UInt64

    init(count: Int, first: UInt64, last: UInt64) {
        self.count = count
        self.first = first
        self.last = last
    }

    /// Nil for names longer than 16 bytes.
    @inline(__always)
    init?(_ name: UnsafeRawBufferPointer) {
        let n = name.count
        guard n <= 16, let base = name.baseAddress else { return nil }
        count = n
        if n >= 8 {
            first = base.loadUnaligned(as: UInt64.self)
            last = base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 {
            first = UInt64(base.loadUnaligned(as: UInt32.self))
            last = UInt64(base.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self))
        } else {
            var v: UInt64 = 0
            for k in 0..<n { v = v &<< 8 | UInt64(base.load(fromByteOffset: k, as: UInt8.self)) }
            first = v
            last = 0
        }
    }
}

/// Byte-string -> index map with linear probing; FNV-1a hashes, byte comparison on hit. Names live
/// in one contiguous buffer so a probe touches no per-name allocation.
@usableFromInline
struct NativeNameTable: Sendable {
    var slots: [Int32] = [Int32](repeating: -1, count: 16)
    var storage: [UInt8] = []
    /// Per entry: start in `storage`, length, and the catalog index.
    var starts: [Int] = []
    var lengths: [Int] = []
    var indices: [Int] = []

    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    func find(_ bytes: UnsafeRawBufferPointer) -> Int? {
        findEntry(bytes).map { indices[$0] }
    }

    /// Entries found lately, by a few bits of the name (its length, first and last byte): a venue's
    /// frames name a handful of instruments over and over, and comparing the bytes with one entry
    /// costs a fraction of hashing them byte by byte and probing. -1: none.
    var recent: [Int32] = [Int32](repeating: -1, count: 8)

    static func recentSlot(_ bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        guard n > 0 else { return 0 }
        return (n &+ Int(bytes[0]) &+ Int(bytes[n &- 1]) &* 3) & 7
    }

    /// `find`, first trying the entry last found for a name with the same few bits.
    mutating func findRemembering(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let slot = NativeNameTable.recentSlot(bytes)
        let e = Int(recent[slot])
        if e >= 0 && lengths[e] == bytes.count {
            let start = starts[e]
            let same = storage.withUnsafeBytes {
                NativeNameTable.same(UnsafeRawBufferPointer(rebasing: $0[start..<(start &+ bytes.count)]), bytes)
            }
            if same { return indices[e] }
        }
        guard let found = findEntry(bytes) else { return nil }
        recent[slot] = Int32(found)
        return indices[found]
    }

    /// Whether two buffers of one length hold the same bytes, compared a word at a time.
    static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = a.count
        var k = 0
        while k &+ 8 <= n {
            if a.loadUnaligned(fromByteOffset: k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                return false
            }
            k &+= 8
        }
        while k < n {
            if a[k] != b[k] { return false }
            k &+= 1
        }
        return true
    }

    /// The entry (not the catalog index) holding `bytes`.
    func findEntry(_ bytes: UnsafeRawBufferPointer) -> Int? {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: NativeNameTable.hash(bytes)) & mask
        return storage.withUnsafeBytes { names in
            while true {
                let e = Int(slots[s])
                if e < 0 { return nil }
                if lengths[e] == bytes.count
                    && NativeNameTable.same(UnsafeRawBufferPointer(rebasing: names[starts[e]..<(starts[e] + bytes.count)]), bytes)
                {
                    return e
                }
                s = (s + 1) & mask
            }
        }
    }

    mutating func insert(_ name: [UInt8], index: Int) {
        if (starts.count + 1) * 2 > slots.count { grow() }
        starts.append(storage.count)
        lengths.append(name.count)
        indices.append(index)
        storage.append(contentsOf: name)
        place(starts.count - 1)
    }

    mutating func place(_ entry: Int) {
        let mask = slots.count - 1
        let h = storage.withUnsafeBytes {
            NativeNameTable.hash(UnsafeRawBufferPointer(rebasing: $0[starts[entry]..<(starts[entry] + lengths[entry])]))
        }
        var s = Int(truncatingIfNeeded: h) & mask
        while slots[s] >= 0 { s = (s + 1) & mask }
        slots[s] = Int32(entry)
    }

    mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for e in 0..<starts.count { place(e) }
    }
}
