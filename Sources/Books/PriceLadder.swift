import Model

/// One side of an order book: levels in a contiguous array sorted so the BEST price is LAST.
///
/// Most changes land near the top of the book, so keeping the top at the end makes inserting and
/// removing there a short move, and the search gallops from the end before bisecting. Keys are
/// Int64 price mantissas at the owning book's scale, negated on the ask side, so "better" is
/// always "greater" and one implementation serves both sides. `levels` keeps each level exactly as
/// received (price and size text scale), which the OKX checksum needs.
@usableFromInline
struct PriceLadder: Sendable {
    @usableFromInline var keys: [Int64] = []
    @usableFromInline var levels: [BookLevel] = []

    @inlinable init() {}

    @inlinable var count: Int { keys.count }

    /// The first index whose key is >= `key` (the insertion point), searching from the top.
    @inlinable
    func lowerBound(_ key: Int64) -> Int {
        keys.withUnsafeBufferPointer { k -> Int in
            let n = k.count
            // Gallop down from the best level: the answer lies in [low, high].
            var high = n
            var low = 0
            var offset = 1
            while offset <= n {
                let probe = n - offset
                if k[probe] < key {
                    low = probe + 1
                    break
                }
                high = probe
                offset &<<= 1
            }
            // Bisect [low, high).
            var length = high - low
            while length > 0 {
                let half = length >> 1
                let mid = low + half
                if k[mid] < key {
                    low = mid + 1
                    length -= half + 1
                } else {
                    length = half
                }
            }
            return low
        }
    }

    /// Sets, replaces or (with a zero size) removes the level at `key`.
    @inlinable
    mutating func set(key: Int64, level: BookLevel) {
        let i = lowerBound(key)
        let found = i < keys.count && keys[i] == key
        if level.size.mantissa == 0 {
            if found {
                keys.remove(at: i)
                levels.remove(at: i)
            }
        } else if found {
            levels[i] = level
        } else {
            keys.insert(key, at: i)
            levels.insert(level, at: i)
        }
    }

    /// The level at `rank` from the top (0 = best), if there is one.
    @inlinable
    func level(rank: Int) -> BookLevel? {
        guard rank >= 0, rank < levels.count else { return nil }
        return levels[levels.count - 1 - rank]
    }

    /// Up to `n` levels, best first.
    @inlinable
    func top(_ n: Int) -> [BookLevel] {
        let k = Swift.min(Swift.max(n, 0), levels.count)
        return Array(levels[(levels.count - k)...].reversed())
    }

    /// Multiplies every key by `factor`; nil (and no change) if any would overflow.
    func rescaled(by factor: Int64) -> PriceLadder? {
        var copy = self
        for i in copy.keys.indices {
            let (r, o) = copy.keys[i].multipliedReportingOverflow(by: factor)
            if o { return nil }
            copy.keys[i] = r
        }
        return copy
    }

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        levels.removeAll(keepingCapacity: true)
    }

    mutating func reserveCapacity(_ n: Int) {
        keys.reserveCapacity(n)
        levels.reserveCapacity(n)
    }
}
