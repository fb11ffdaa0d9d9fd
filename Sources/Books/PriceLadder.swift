import Model

/// One side of an order book: levels sorted so the BEST price is LAST, in chunks of at most
/// `chunkCapacity` levels laid out in one flat slab.
///
/// Why chunks: a single sorted array is fast near the top but moves up to the whole side (5000 levels
/// x 40 bytes) for a change deep in the book; chunks bound every move to one chunk. Why one slab:
/// each chunk owns a fixed run of slots in two flat arrays (keys, levels), so a change touches two
/// buffers with one uniqueness check each instead of an array per chunk. Ranks (chunk order) map to
/// slots through `slots`, so splitting and merging chunks only shifts small per-rank arrays.
///
/// Searches are two binary searches over contiguous Int64s (chunk maxima, then the chunk), both
/// galloping from the top since most changes land near the best price. Keys are Int64 price
/// mantissas at the owning book's scale, negated on the ask side, so "better" is always "greater" and
/// one implementation serves both sides. `levels` keep each level exactly as received (price and
/// size text scale), which the OKX checksum needs.
@usableFromInline
struct PriceLadder: Sendable {
    /// Levels a chunk holds before it splits in two.
    @usableFromInline static let chunkCapacity = 64

    /// Slot storage: chunk slot `s` owns indices `s * chunkCapacity ..< s * chunkCapacity + counts[rank]`.
    @usableFromInline var keys: [Int64] = []
    @usableFromInline var levels: [BookLevel] = []
    /// By rank (ascending key order): the chunk's slot, its level count and its largest key. No chunk is empty.
    @usableFromInline var slots: [Int32] = []
    @usableFromInline var counts: [Int32] = []
    @usableFromInline var lastKeys: [Int64] = []
    /// Slots released by merged or emptied chunks.
    @usableFromInline var freeSlots: [Int32] = []
    @usableFromInline var count = 0

    @inlinable init() {}

    @inlinable var bestKey: Int64? { lastKeys.last }

    @inlinable
    var bestLevel: BookLevel? {
        guard let slot = slots.last, let n = counts.last else { return nil }
        return levels[Int(slot) * PriceLadder.chunkCapacity + Int(n) - 1]
    }

    /// Sets, replaces or (with a zero size) removes the level at `key`.
    @inlinable
    mutating func set(key: Int64, level: BookLevel) {
        let remove = level.size.mantissa == 0
        if slots.isEmpty {
            if remove { return }
            insertChunk(at: 0)
        }
        // The chunk whose range reaches `key`; a key above every chunk goes to the top chunk.
        var r = lastKeys.withUnsafeBufferPointer { lowerBoundFromTop($0, key) }
        if r == slots.count { r -= 1 }
        var base = Int(slots[r]) * PriceLadder.chunkCapacity
        var n = Int(counts[r])
        var i = keys.withUnsafeBufferPointer {
            lowerBound(UnsafeBufferPointer(rebasing: $0[base..<(base + n)]), key)
        }
        let found = i < n && keys.withUnsafeBufferPointer { $0[base + i] == key }
        if found {
            if remove {
                removeLevel(rank: r, index: i)
            } else {
                levels.withUnsafeMutableBufferPointer { $0[base + i] = level }
            }
            return
        }
        if remove { return }
        if n == PriceLadder.chunkCapacity {
            split(rank: r)
            let lowerCount = Int(counts[r])
            if i > lowerCount {
                r += 1
                i -= lowerCount
            }
            base = Int(slots[r]) * PriceLadder.chunkCapacity
            n = Int(counts[r])
        }
        insert(key: key, level: level, at: base + i, moving: n - i)
        counts[r] += 1
        count += 1
        if i == n { lastKeys[r] = key }
    }

    /// Opens a place at slab index `at` by moving the `moving` entries there up by one, and fills it.
    @usableFromInline
    mutating func insert(key: Int64, level: BookLevel, at position: Int, moving: Int) {
        keys.withUnsafeMutableBufferPointer { k in
            let p = k.baseAddress! + position
            if moving > 0 { UnsafeMutableRawPointer(p + 1).copyMemory(from: p, byteCount: moving * MemoryLayout<Int64>.stride) }
            p.pointee = key
        }
        levels.withUnsafeMutableBufferPointer { l in
            let p = l.baseAddress! + position
            if moving > 0 { UnsafeMutableRawPointer(p + 1).copyMemory(from: p, byteCount: moving * MemoryLayout<BookLevel>.stride) }
            p.pointee = level
        }
    }

    /// Moves `count` entries starting at `start` by `offset` positions within the slab (regions may overlap).
    @usableFromInline
    mutating func shift(from start: Int, count moved: Int, by offset: Int) {
        guard moved > 0 else { return }
        keys.withUnsafeMutableBufferPointer { k in
            let p = k.baseAddress!
            UnsafeMutableRawPointer(p + start + offset).copyMemory(
                from: p + start, byteCount: moved * MemoryLayout<Int64>.stride)
        }
        levels.withUnsafeMutableBufferPointer { l in
            let p = l.baseAddress!
            UnsafeMutableRawPointer(p + start + offset).copyMemory(
                from: p + start, byteCount: moved * MemoryLayout<BookLevel>.stride)
        }
    }

    /// Copies `moved` entries from slab index `source` to `destination` (non-overlapping chunks).
    mutating func copyEntries(from source: Int, to destination: Int, count moved: Int) {
        for j in 0..<moved {
            keys[destination + j] = keys[source + j]
            levels[destination + j] = levels[source + j]
        }
    }

    @usableFromInline
    mutating func removeLevel(rank r: Int, index i: Int) {
        let base = Int(slots[r]) * PriceLadder.chunkCapacity
        let n = Int(counts[r])
        shift(from: base + i + 1, count: n - i - 1, by: -1)
        counts[r] -= 1
        count -= 1
        let remaining = n - 1
        if remaining == 0 {
            removeChunk(rank: r)
            return
        }
        if i == remaining { lastKeys[r] = keys[base + remaining - 1] }
        // Keep chunks from thinning out: fold a small chunk into a neighbour when both fit in half a chunk.
        if remaining < PriceLadder.chunkCapacity / 4 {
            let half = PriceLadder.chunkCapacity / 2
            if r + 1 < slots.count, remaining + Int(counts[r + 1]) <= half {
                merge(rank: r)
            } else if r > 0, remaining + Int(counts[r - 1]) <= half {
                merge(rank: r - 1)
            }
        }
    }

    /// A new empty chunk at `rank`, reusing a free slot or growing the slab.
    @usableFromInline
    mutating func insertChunk(at rank: Int) {
        let slot: Int32
        if let free = freeSlots.popLast() {
            slot = free
        } else {
            slot = Int32(keys.count / PriceLadder.chunkCapacity)
            keys.append(contentsOf: repeatElement(0, count: PriceLadder.chunkCapacity))
            levels.append(contentsOf: repeatElement(BookLevel(price: .zero, size: .zero), count: PriceLadder.chunkCapacity))
        }
        slots.insert(slot, at: rank)
        counts.insert(0, at: rank)
        lastKeys.insert(.min, at: rank)
    }

    mutating func removeChunk(rank r: Int) {
        freeSlots.append(slots[r])
        slots.remove(at: r)
        counts.remove(at: r)
        lastKeys.remove(at: r)
    }

    /// Splits the full chunk at `rank` into two halves at `rank` and `rank + 1`.
    @usableFromInline
    mutating func split(rank r: Int) {
        insertChunk(at: r + 1)
        let n = Int(counts[r])
        let half = n / 2
        let base = Int(slots[r]) * PriceLadder.chunkCapacity
        copyEntries(from: base + half, to: Int(slots[r + 1]) * PriceLadder.chunkCapacity, count: n - half)
        counts[r + 1] = Int32(n - half)
        lastKeys[r + 1] = lastKeys[r]
        counts[r] = Int32(half)
        lastKeys[r] = keys[base + half - 1]
    }

    /// Moves the chunk at `rank + 1` into the chunk at `rank`.
    mutating func merge(rank r: Int) {
        let n = Int(counts[r])
        let m = Int(counts[r + 1])
        copyEntries(from: Int(slots[r + 1]) * PriceLadder.chunkCapacity,
                    to: Int(slots[r]) * PriceLadder.chunkCapacity + n, count: m)
        counts[r] = Int32(n + m)
        lastKeys[r] = lastKeys[r + 1]
        removeChunk(rank: r + 1)
    }

    /// The level at `rank` from the top (0 = best), if there is one.
    @inlinable
    func level(rank: Int) -> BookLevel? {
        guard rank >= 0, rank < count else { return nil }
        var remaining = rank
        var r = slots.count - 1
        while remaining >= Int(counts[r]) {
            remaining -= Int(counts[r])
            r -= 1
        }
        return levels[Int(slots[r]) * PriceLadder.chunkCapacity + Int(counts[r]) - 1 - remaining]
    }

    /// Calls `body` with up to `limit` levels, best first, until it returns false.
    @inlinable
    func forEachBestFirst(limit: Int, _ body: (BookLevel) -> Bool) {
        var left = limit
        var r = slots.count - 1
        while r >= 0 && left > 0 {
            let base = Int(slots[r]) * PriceLadder.chunkCapacity
            var i = Int(counts[r]) - 1
            while i >= 0 && left > 0 {
                if !body(levels[base + i]) { return }
                i -= 1
                left -= 1
            }
            r -= 1
        }
    }

    /// Replaces `out`'s contents with up to `n` levels, best first, keeping its storage: the published
    /// book is refilled for every message, so levels are copied chunk by chunk through pointers rather
    /// than appended one at a time.
    func top(_ n: Int, into out: inout [BookLevel]) {
        let k = Swift.min(Swift.max(n, 0), count)
        if out.count > k {
            out.removeLast(out.count - k)
        } else if out.count < k {
            out.append(contentsOf: repeatElement(BookLevel(price: .zero, size: .zero), count: k - out.count))
        }
        guard k > 0 else { return }
        out.withUnsafeMutableBufferPointer { destination in
            levels.withUnsafeBufferPointer { source in
                let to = destination.baseAddress!
                let from = source.baseAddress!
                var written = 0
                var r = slots.count - 1
                while written < k {
                    let chunk = from + Int(slots[r]) * PriceLadder.chunkCapacity
                    var i = Swift.min(Int(counts[r]), k - written)
                    var top = Int(counts[r]) - 1
                    while i > 0 {
                        to[written] = chunk[top]
                        written &+= 1
                        top &-= 1
                        i &-= 1
                    }
                    r -= 1
                }
            }
        }
    }

    func top(_ n: Int) -> [BookLevel] {
        var out: [BookLevel] = []
        out.reserveCapacity(Swift.min(Swift.max(n, 0), count))
        forEachBestFirst(limit: n) { level in
            out.append(level)
            return true
        }
        return out
    }

    /// Multiplies every key by `factor`; nil (and no change) if any would overflow.
    func rescaled(by factor: Int64) -> PriceLadder? {
        var copy = self
        for r in copy.slots.indices {
            let base = Int(copy.slots[r]) * PriceLadder.chunkCapacity
            for i in base..<(base + Int(copy.counts[r])) {
                let (product, overflow) = copy.keys[i].multipliedReportingOverflow(by: factor)
                if overflow { return nil }
                copy.keys[i] = product
            }
            copy.lastKeys[r] = copy.keys[base + Int(copy.counts[r]) - 1]
        }
        return copy
    }

    /// A ladder from ascending unique keys, in half-full chunks so early inserts rarely split.
    init(sortedKeys: [Int64], levels sortedLevels: [BookLevel]) {
        self.init()
        let step = PriceLadder.chunkCapacity / 2
        reserveChunks(forLevels: sortedKeys.count)
        var start = 0
        while start < sortedKeys.count {
            let end = Swift.min(start + step, sortedKeys.count)
            let rank = slots.count
            insertChunk(at: rank)
            let base = Int(slots[rank]) * PriceLadder.chunkCapacity
            for j in start..<end {
                keys[base + j - start] = sortedKeys[j]
                levels[base + j - start] = sortedLevels[j]
            }
            counts[rank] = Int32(end - start)
            lastKeys[rank] = sortedKeys[end - 1]
            count += end - start
            start = end
        }
    }

    mutating func reserveChunks(forLevels n: Int) {
        let chunkCount = n / (PriceLadder.chunkCapacity / 2) + 1
        keys.reserveCapacity(chunkCount * PriceLadder.chunkCapacity)
        levels.reserveCapacity(chunkCount * PriceLadder.chunkCapacity)
        slots.reserveCapacity(chunkCount)
        counts.reserveCapacity(chunkCount)
        lastKeys.reserveCapacity(chunkCount)
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        lastKeys.removeAll(keepingCapacity: true)
        freeSlots.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Whether both ladders hold the same levels by value (keys may be at different scales).
    func hasSameLevels(as other: PriceLadder) -> Bool {
        count == other.count && top(count) == other.top(other.count)
    }
}

/// The first index whose key is >= `key` in an ascending buffer, galloping down from the end
/// (changes cluster near the best price) and then bisecting without branches.
@inlinable
func lowerBoundFromTop(_ k: UnsafeBufferPointer<Int64>, _ key: Int64) -> Int {
    let n = k.count
    // The answer lies in [low, high].
    var high = n
    var low = 0
    var offset = 1
    while offset <= n {
        let probe = n &- offset
        if k[probe] < key {
            low = probe &+ 1
            break
        }
        high = probe
        offset &<<= 1
    }
    return low &+ lowerBound(UnsafeBufferPointer(rebasing: k[low..<high]), key)
}

/// The first index whose key is >= `key` in a short ascending buffer (one chunk), by a bisection
/// whose steps are conditional moves, not jumps: no misprediction, and about six steps for a full
/// chunk. (A counting loop over the chunk did not vectorize: baseline x86-64 has no 64-bit compare.)
@inlinable
func lowerBound(_ k: UnsafeBufferPointer<Int64>, _ key: Int64) -> Int {
    var n = k.count
    guard n > 0, let start = k.baseAddress else { return 0 }
    var base = start
    while n > 1 {
        let half = n &>> 1
        base = base[half] < key ? base + half : base
        n &-= half
    }
    return (base - start) &+ (base.pointee < key ? 1 : 0)
}
