/// A growable FIFO with O(1) indexed access, for the publisher's window of un-acked messages.
struct RingBuffer<Element> {
    private var storage: [Element?]
    private var head = 0
    private(set) var count = 0

    init(capacity: Int = 16) {
        var c = 1
        while c < max(capacity, 2) { c <<= 1 }
        storage = Array(repeating: nil, count: c)
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func slot(_ i: Int) -> Int { (head &+ i) & (storage.count - 1) }

    /// Accessed in place: reading or setting one field of an element copies nothing (a plain getter
    /// copied the whole element, retaining whatever it holds, for every flag the publisher checks).
    subscript(i: Int) -> Element {
        _read { yield storage[slot(i)]! }
        _modify { yield &storage[slot(i)]! }
    }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[slot(count)] = element
        count += 1
    }

    @discardableResult
    mutating func removeFirst() -> Element {
        precondition(count > 0, "removeFirst on an empty ring")
        let e = storage[head].take()!
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return e
    }

    @inline(never)
    private mutating func grow() {
        var next = [Element?](repeating: nil, count: storage.count * 2)
        for i in 0..<count { next[i] = storage[slot(i)] }
        storage = next
        head = 0
    }
}
