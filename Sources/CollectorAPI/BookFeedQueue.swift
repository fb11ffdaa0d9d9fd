import CollectorControl
import NIOConcurrencyHelpers

/// One websocket client's outgoing messages, in order. Replies and snapshots are always kept;
/// book updates are bounded: when `capacity` updates wait, the oldest is dropped and counted, so a
/// slow client never holds up the collector thread that calls the observer, nor grows memory.
final class BookFeedQueue: Sendable {
    enum Item: Sendable {
        /// A reply or snapshot, already encoded.
        case reply([UInt8])
        /// A book update, encoded when sent (with the drop count at that moment).
        case update(OrderBookView)
    }

    private struct State {
        var items: [Item?] = []
        var head = 0
        var updates = 0
        var dropped = 0
        var closed = false
        var waiter: CheckedContinuation<Item?, Never>?
        /// Per book, the sequence of the last snapshot queued: older updates are not sent after it.
        var snapshotSequence: [BookKey: Int64] = [:]
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var dropped: Int { state.withLockedValue { $0.dropped } }

    func push(reply: [UInt8]) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            guard !s.closed else { return nil }
            return Self.enqueue(.reply(reply), into: &s)
        }
        waiter?.resume(returning: .reply(reply))
    }

    /// A snapshot supersedes updates of the same book still waiting (it already contains them)
    /// and any later-arriving update at or before its sequence.
    func push(snapshot: [UInt8], of book: OrderBookView) {
        let key = BookKey(exchange: book.exchange, symbol: book.symbol)
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            guard !s.closed else { return nil }
            for i in s.head..<s.items.count {
                if case .update(let queued) = s.items[i], queued.exchange == key.exchange, queued.symbol == key.symbol {
                    s.items[i] = nil
                    s.updates -= 1
                }
            }
            if let sequence = book.sequence { s.snapshotSequence[key] = sequence } else { s.snapshotSequence[key] = nil }
            return Self.enqueue(.reply(snapshot), into: &s)
        }
        waiter?.resume(returning: .reply(snapshot))
    }

    func push(update book: OrderBookView) {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            guard !s.closed else { return nil }
            let key = BookKey(exchange: book.exchange, symbol: book.symbol)
            if let floor = s.snapshotSequence[key], let sequence = book.sequence {
                if sequence <= floor { return nil }
                s.snapshotSequence[key] = nil
            }
            if s.updates >= capacity, let oldest = s.items[s.head...].firstIndex(where: { if case .update = $0 { true } else { false } }) {
                s.items[oldest] = nil
                s.updates -= 1
                s.dropped += 1
            }
            s.updates += 1
            return Self.enqueue(.update(book), into: &s)
        }
        waiter?.resume(returning: .update(book))
    }

    /// Hands the item straight to a waiting reader, or appends it.
    private static func enqueue(_ item: Item, into s: inout State) -> CheckedContinuation<Item?, Never>? {
        if let waiter = s.waiter {
            s.waiter = nil
            if case .update = item { s.updates -= 1 }
            return waiter
        }
        s.items.append(item)
        return nil
    }

    /// The next message, waiting for one; nil once closed.
    func next() async -> Item? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Item?, Never>) in
            let ready: Item?? = state.withLockedValue { s in
                while s.head < s.items.count {
                    let item = s.items[s.head]
                    s.items[s.head] = nil
                    s.head += 1
                    if s.head > 64 && s.head * 2 > s.items.count {
                        s.items.removeFirst(s.head)
                        s.head = 0
                    }
                    if let item {
                        if case .update = item { s.updates -= 1 }
                        return .some(item)
                    }
                }
                if s.closed { return .some(nil) }
                s.waiter = continuation
                return .none
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    func close() {
        let waiter = state.withLockedValue { s -> CheckedContinuation<Item?, Never>? in
            s.closed = true
            s.items = []
            s.head = 0
            s.updates = 0
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume(returning: nil)
    }
}

struct BookKey: Hashable, Sendable {
    var exchange: String
    var symbol: String
}
