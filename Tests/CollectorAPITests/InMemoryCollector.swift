import CollectorControl
import Foundation

/// A small in-memory collector for the API's tests: books, health and subscriptions set by the
/// test, and book observers called when the test publishes an update (as the collector's thread would).
final class InMemoryCollector: CollectorControl, @unchecked Sendable {
    private let lock = NSLock()
    private var books: [String: OrderBookView] = [:]
    private var reasons: [HealthReason] = []
    private var subscriptions: [String: [String: Set<String>]] = [:]  // exchange -> channel -> symbols
    private var observers: [Int: @Sendable (OrderBookView) -> Void] = [:]
    private var nextObserver = 0
    let exchanges: [String]

    init(exchanges: [String] = ["binance", "okx"]) {
        self.exchanges = exchanges
        for e in exchanges { subscriptions[e] = [:] }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    // MARK: Test controls

    func setBook(_ book: OrderBookView) { locked { books["\(book.exchange)/\(book.symbol)"] = book } }

    func degrade(_ reasons: [HealthReason]) { locked { self.reasons = reasons } }

    var observerCount: Int { locked { observers.count } }

    /// Stores the book and calls every observer, as the collector does after publishing an update.
    func publish(_ book: OrderBookView) {
        let handlers = locked { () -> [@Sendable (OrderBookView) -> Void] in
            books["\(book.exchange)/\(book.symbol)"] = book
            return observers.keys.sorted().compactMap { observers[$0] }
        }
        for handler in handlers { handler(book) }
    }

    // MARK: CollectorControl

    func health() -> HealthReport { locked { HealthReport(reasons: reasons) } }

    func status() -> CollectorStatus {
        locked {
            let venues = exchanges.map { exchange in
                let venueBooks = books.values.filter { $0.exchange == exchange }.sorted { $0.symbol < $1.symbol }
                return VenueStatus(
                    exchange: exchange, connected: true, connectionURL: "wss://127.0.0.1/\(exchange)", reconnects: 1,
                    framesReceived: 1234, framesPerSecond: 56.5, messagesPublished: 1200, gaps: 2, resyncs: 1,
                    books: venueBooks.map {
                        BookStatus(
                            symbol: $0.symbol, state: "valid", sequence: $0.sequence, bidLevels: $0.bids.count,
                            askLevels: $0.asks.count, resyncs: 0)
                    },
                    breakers: [BreakerStatus(target: "\(exchange)-rest", state: "closed")],
                    limiters: [LimiterStatus(target: "\(exchange)-rest", used: 3, limit: 1200)],
                    subscriptions: (subscriptions[exchange] ?? [:]).mapValues { $0.sorted() })
            }
            return CollectorStatus(
                uptimeSeconds: 12.5, venues: venues,
                publisher: PublisherStatus(
                    sink: "nats://127.0.0.1:4222", brokerConnected: true, published: 1200, acked: 1190, inFlight: 10,
                    buffered: 0, spooled: 0, lost: 0),
                latency: LatencySummary(count: 1200, p50Us: 42, p99Us: 310.5, maxUs: 900),
                recording: RecordingStatus(directory: "/tmp/rec", currentFile: "a.mpr", records: 10, bytesIn: 100, bytesOut: 40))
        }
    }

    func orderBook(exchange: String, symbol: String, depth: Int) -> OrderBookView? {
        locked {
            guard var book = books["\(exchange)/\(symbol)"] else { return nil }
            book.bids = Array(book.bids.prefix(depth))
            book.asks = Array(book.asks.prefix(depth))
            return book
        }
    }

    func subscribe(_ request: SubscriptionRequest) -> SubscriptionResult {
        locked {
            guard var venue = subscriptions[request.exchange] else {
                return SubscriptionResult(ok: false, exchange: request.exchange, changed: [], error: "unknown exchange")
            }
            var changed: [String] = []
            for channel in request.channels ?? ["trade", "book"] {
                for symbol in request.symbols where venue[channel, default: []].insert(symbol).inserted {
                    changed.append("\(channel):\(symbol)")
                }
            }
            subscriptions[request.exchange] = venue
            return SubscriptionResult(ok: true, exchange: request.exchange, changed: changed.sorted())
        }
    }

    func unsubscribe(_ request: SubscriptionRequest) -> SubscriptionResult {
        locked {
            guard var venue = subscriptions[request.exchange] else {
                return SubscriptionResult(ok: false, exchange: request.exchange, changed: [], error: "unknown exchange")
            }
            var changed: [String] = []
            for channel in request.channels ?? ["trade", "book"] {
                for symbol in request.symbols where venue[channel]?.remove(symbol) != nil {
                    changed.append("\(channel):\(symbol)")
                }
                if venue[channel]?.isEmpty == true { venue[channel] = nil }
            }
            subscriptions[request.exchange] = venue
            return SubscriptionResult(ok: true, exchange: request.exchange, changed: changed.sorted())
        }
    }

    func observeBooks(_ handler: @escaping @Sendable (OrderBookView) -> Void) -> BookObservation {
        let id = locked { () -> Int in
            nextObserver += 1
            observers[nextObserver] = handler
            return nextObserver
        }
        return BookObservation { [weak self] in
            guard let self else { return }
            self.locked { _ = self.observers.removeValue(forKey: id) }
        }
    }
}
