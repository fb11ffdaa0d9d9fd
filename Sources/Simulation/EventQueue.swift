import Model

/// The discrete-event loop's agenda: a min-heap ordered by (time, insertion number), so events at
/// the same instant run in the order they were scheduled, never in an order that depends on the heap.
public struct EventQueue<Event> {
    private struct Entry {
        var at: Instant
        var order: UInt64
        var event: Event
    }

    private var heap: [Entry] = []
    private var nextOrder: UInt64 = 0

    public init() {}

    public var isEmpty: Bool { heap.isEmpty }
    public var count: Int { heap.count }
    public var nextTime: Instant? { heap.first?.at }

    public mutating func schedule(_ event: Event, at: Instant) {
        heap.append(Entry(at: at, order: nextOrder, event: event))
        nextOrder &+= 1
        siftUp(heap.count - 1)
    }

    public mutating func pop() -> (at: Instant, event: Event)? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0]
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return (top.at, top.event)
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        heap[a].at < heap[b].at || (heap[a].at == heap[b].at && heap[a].order < heap[b].order)
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { return }
            var best = left
            if left + 1 < heap.count && less(left + 1, left) { best = left + 1 }
            guard less(best, parent) else { return }
            heap.swapAt(best, parent)
            parent = best
        }
    }
}
