import CollectorControl
import Metrics
import NIOConcurrencyHelpers
import Publishing

/// One `/ws/orderbook` client: what it subscribed to, and its outgoing queue. The collector's
/// observer thread calls `offer` for every book update; the websocket task drains the queue.
final class BookStreamSession: Sendable {
    private struct Subscriptions {
        var selectors: Set<BookSelector> = []
        var depth: Int
    }

    let queue: BookFeedQueue
    private let control: any CollectorControl
    private let maxDepth: Int
    private let subscriptions: NIOLockedValueBox<Subscriptions>
    private let droppedCounter = Counter(label: "marketprism_api_websocket_dropped_updates_total")

    init(control: any CollectorControl, configuration: CollectorAPIConfiguration) {
        self.control = control
        self.maxDepth = configuration.maxDepth
        self.queue = BookFeedQueue(capacity: configuration.websocketQueueCapacity)
        self.subscriptions = NIOLockedValueBox(Subscriptions(depth: min(configuration.defaultDepth, configuration.maxDepth)))
    }

    /// Called on a collector thread: a set lookup and an enqueue, nothing that waits.
    func offer(_ book: OrderBookView) {
        let wanted = subscriptions.withLockedValue { s in
            s.selectors.contains { $0.matches(exchange: book.exchange, symbol: book.symbol) }
        }
        guard wanted else { return }
        let before = queue.dropped
        queue.push(update: book)
        if queue.dropped > before { droppedCounter.increment() }
    }

    var depth: Int { subscriptions.withLockedValue { $0.depth } }

    /// Applies one client message: the reply first, then (on subscribe) a snapshot of every
    /// matching book the collector keeps, so the client starts from a full picture.
    func handle(text: String) {
        let command: BookStreamCommand
        do {
            command = try BookStreamCommand.parse(text, maxDepth: maxDepth)
        } catch {
            queue.push(reply: Self.errorReply(error.message))
            return
        }
        switch command.action {
        case .subscribe:
            let (all, depth) = subscriptions.withLockedValue { s -> ([BookSelector], Int) in
                s.selectors.formUnion(command.symbols)
                if let d = command.depth { s.depth = d }
                return (s.selectors.sorted(), s.depth)
            }
            queue.push(reply: Self.listReply(type: "subscribed", all))
            for key in matchingBooks(command.symbols) {
                guard let book = control.orderBook(exchange: key.exchange, symbol: key.symbol, depth: depth) else { continue }
                queue.push(snapshot: OrderBookJSON.bytes(book, depth: depth, type: "snapshot"), of: book)
            }
        case .unsubscribe:
            let all = subscriptions.withLockedValue { s -> [BookSelector] in
                s.selectors.subtract(command.symbols)
                return s.selectors.sorted()
            }
            queue.push(reply: Self.listReply(type: "unsubscribed", all))
        }
    }

    func rejectBinary() {
        queue.push(reply: Self.errorReply("binary messages are not accepted: send JSON text"))
    }

    /// The books the collector keeps that the selectors name, in (exchange, symbol) order.
    private func matchingBooks(_ selectors: [BookSelector]) -> [BookKey] {
        var keys = Set<BookKey>()
        for venue in control.status().venues {
            for book in venue.books where selectors.contains(where: { $0.matches(exchange: venue.exchange, symbol: book.symbol) }) {
                keys.insert(BookKey(exchange: venue.exchange, symbol: book.symbol))
            }
        }
        return keys.sorted { ($0.exchange, $0.symbol) < ($1.exchange, $1.symbol) }
    }

    /// `{"type":"subscribed","symbols":[...]}`: the client's whole subscription after the change.
    private static func listReply(type: String, _ selectors: [BookSelector]) -> [UInt8] {
        JSONWriter.bytes { w in
            w.raw("{\"type\":")
            w.string(type)
            w.raw(",\"symbols\":[")
            for (i, s) in selectors.enumerated() {
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                w.string(s.text)
            }
            w.raw("]}")
        }
    }

    static func errorReply(_ message: String) -> [UInt8] {
        JSONWriter.bytes { w in
            w.raw("{\"type\":\"error\",\"error\":")
            w.string(message)
            w.byte(UInt8(ascii: "}"))
        }
    }
}
