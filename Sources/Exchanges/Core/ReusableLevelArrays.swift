import Model

/// The bid and ask arrays of the last book update an adapter parsed, kept so the next update can
/// reuse their storage: a depth frame otherwise allocated (and the stack later freed) two arrays,
/// ~190 instructions a non-empty side.
///
/// The adapter keeps a second reference to the arrays it hands out in a `BookUpdate`. Whoever holds
/// the update only reads its levels (a mutation would copy them first), and once the update has been
/// dropped (the stack is done with it before the next frame) the kept arrays are unique again and
/// are emptied in place. If something still holds them (a book sync buffering deltas, a test keeping
/// its events), `removeAll(keepingCapacity:)` gives a new array of the same capacity instead: the
/// levels handed out are never touched.
public struct ReusableLevelArrays: Sendable {
    @usableFromInline var bids: [BookLevel] = []
    @usableFromInline var asks: [BookLevel] = []

    @inlinable
    public init() {}

    /// Empty arrays for the next update, taken out of `self` (so filling them does not copy them).
    @inlinable @inline(__always)
    mutating func take() -> (bids: [BookLevel], asks: [BookLevel]) {
        var b: [BookLevel] = []
        var a: [BookLevel] = []
        swap(&b, &bids)
        swap(&a, &asks)
        ReusableLevelArrays.empty(&b)
        ReusableLevelArrays.empty(&a)
        return (b, a)
    }

    /// Empties `levels` keeping its capacity: a few levels are popped (the generic `removeAll`
    /// costs ~80 instructions even for one), more go at once.
    @inlinable @inline(__always)
    static func empty(_ levels: inout [BookLevel]) {
        let count = levels.count
        if count == 0 { return }
        if count <= 4 {
            for _ in 0..<count { levels.removeLast() }
        } else {
            levels.removeAll(keepingCapacity: true)
        }
    }

    /// Keeps the arrays just handed out in an update, for `take` to reuse.
    @inlinable @inline(__always)
    mutating func keep(bids: [BookLevel], asks: [BookLevel]) {
        self.bids = bids
        self.asks = asks
    }
}
