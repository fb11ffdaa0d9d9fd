/// The seam between the live collector (target `Collector`) and its HTTP API (target `CollectorAPI`):
/// the API reads and steers the collector only through this protocol, so the collector builds and
/// tests without Hummingbird and the API tests run against a small in-memory conformer.
///
/// Implementations are called from API tasks on any thread: they must be thread-safe and must not
/// block for long (take a snapshot under a lock and return it).
public protocol CollectorControl: AnyObject, Sendable {
    /// Healthy when every venue stream is connected and fresh, every book valid and the broker up.
    func health() -> HealthReport
    /// A point-in-time picture of connections, books, rates, publisher, breakers and limiters.
    func status() -> CollectorStatus
    /// The local book of `exchange` (binance, binance_futures, okx, deribit) and normalized `symbol`,
    /// best first, at most `depth` levels a side; nil when the collector keeps no such book.
    func orderBook(exchange: String, symbol: String, depth: Int) -> OrderBookView?
    /// Adds instruments/channels to a running venue feed without restarting the process.
    func subscribe(_ request: SubscriptionRequest) -> SubscriptionResult
    /// Removes instruments/channels from a running venue feed.
    func unsubscribe(_ request: SubscriptionRequest) -> SubscriptionResult
    /// Calls `handler` (on a collector thread; it must return quickly) after every book update the
    /// collector publishes. Keep the token; `cancel()` on it stops the calls.
    func observeBooks(_ handler: @escaping @Sendable (OrderBookView) -> Void) -> BookObservation
}

/// Why the collector is not healthy, per venue and stream.
public struct HealthReason: Sendable, Equatable, Codable {
    public var exchange: String
    /// The stream or book concerned: a connection id, a symbol, or "broker".
    public var stream: String
    /// Machine-readable: `disconnected`, `stale_feed`, `book_invalid`, `broker_down`, `breaker_open`.
    public var problem: String
    public var detail: String

    public init(exchange: String, stream: String, problem: String, detail: String = "") {
        self.exchange = exchange
        self.stream = stream
        self.problem = problem
        self.detail = detail
    }
}

public struct HealthReport: Sendable, Equatable, Codable {
    public var healthy: Bool
    public var reasons: [HealthReason]

    public init(reasons: [HealthReason]) {
        self.healthy = reasons.isEmpty
        self.reasons = reasons
    }
}

public struct BookStatus: Sendable, Equatable, Codable {
    public var symbol: String
    /// `syncing`, `valid` or `invalid` (with the last break in `detail`).
    public var state: String
    public var sequence: Int64?
    public var bidLevels: Int
    public var askLevels: Int
    public var resyncs: Int
    public var detail: String

    public init(symbol: String, state: String, sequence: Int64?, bidLevels: Int, askLevels: Int, resyncs: Int, detail: String = "") {
        self.symbol = symbol
        self.state = state
        self.sequence = sequence
        self.bidLevels = bidLevels
        self.askLevels = askLevels
        self.resyncs = resyncs
        self.detail = detail
    }
}

public struct BreakerStatus: Sendable, Equatable, Codable {
    public var target: String
    /// `closed`, `open` or `half_open`.
    public var state: String
    public init(target: String, state: String) {
        self.target = target
        self.state = state
    }
}

public struct LimiterStatus: Sendable, Equatable, Codable {
    public var target: String
    public var used: Int
    public var limit: Int
    public init(target: String, used: Int, limit: Int) {
        self.target = target
        self.used = used
        self.limit = limit
    }
}

/// Receive-to-publish latency of the live path, in microseconds.
public struct LatencySummary: Sendable, Equatable, Codable {
    public var count: Int
    public var p50Us: Double
    public var p99Us: Double
    public var maxUs: Double
    public init(count: Int, p50Us: Double, p99Us: Double, maxUs: Double) {
        self.count = count
        self.p50Us = p50Us
        self.p99Us = p99Us
        self.maxUs = maxUs
    }
}

public struct VenueStatus: Sendable, Equatable, Codable {
    public var exchange: String
    public var connected: Bool
    public var connectionURL: String
    public var reconnects: Int
    public var framesReceived: Int
    public var framesPerSecond: Double
    public var messagesPublished: Int
    public var gaps: Int
    public var resyncs: Int
    public var books: [BookStatus]
    public var breakers: [BreakerStatus]
    public var limiters: [LimiterStatus]
    /// Channel -> native instruments currently subscribed, sorted.
    public var subscriptions: [String: [String]]

    public init(
        exchange: String, connected: Bool, connectionURL: String, reconnects: Int, framesReceived: Int,
        framesPerSecond: Double, messagesPublished: Int, gaps: Int, resyncs: Int, books: [BookStatus],
        breakers: [BreakerStatus], limiters: [LimiterStatus], subscriptions: [String: [String]]
    ) {
        self.exchange = exchange
        self.connected = connected
        self.connectionURL = connectionURL
        self.reconnects = reconnects
        self.framesReceived = framesReceived
        self.framesPerSecond = framesPerSecond
        self.messagesPublished = messagesPublished
        self.gaps = gaps
        self.resyncs = resyncs
        self.books = books
        self.breakers = breakers
        self.limiters = limiters
        self.subscriptions = subscriptions
    }
}

public struct PublisherStatus: Sendable, Equatable, Codable {
    public var sink: String
    public var brokerConnected: Bool
    public var published: Int
    public var acked: Int
    public var inFlight: Int
    public var buffered: Int
    public var spooled: Int
    public var lost: Int
    /// Why the broker link last failed (NATS only; kept after it recovers, for the record).
    public var brokerLastError: String?
    /// Seconds the broker has been unreachable, nil while it is up.
    public var brokerDownSeconds: Double?
    /// Broker connections lost and connect attempts that failed since start.
    public var brokerConnectionsLost: Int
    public var brokerConnectFailures: Int
    /// Sends that failed or timed out at the broker (each is resent with the same id).
    public var publishFailures: Int
    public init(
        sink: String, brokerConnected: Bool, published: Int, acked: Int, inFlight: Int, buffered: Int, spooled: Int, lost: Int,
        brokerLastError: String? = nil, brokerDownSeconds: Double? = nil, brokerConnectionsLost: Int = 0, brokerConnectFailures: Int = 0,
        publishFailures: Int = 0
    ) {
        self.sink = sink
        self.brokerConnected = brokerConnected
        self.published = published
        self.acked = acked
        self.inFlight = inFlight
        self.buffered = buffered
        self.spooled = spooled
        self.lost = lost
        self.brokerLastError = brokerLastError
        self.brokerDownSeconds = brokerDownSeconds
        self.brokerConnectionsLost = brokerConnectionsLost
        self.brokerConnectFailures = brokerConnectFailures
        self.publishFailures = publishFailures
    }
}

public struct CollectorStatus: Sendable, Equatable, Codable {
    public var uptimeSeconds: Double
    public var venues: [VenueStatus]
    public var publisher: PublisherStatus
    public var latency: LatencySummary
    public var recording: RecordingStatus?
    public init(uptimeSeconds: Double, venues: [VenueStatus], publisher: PublisherStatus, latency: LatencySummary, recording: RecordingStatus?) {
        self.uptimeSeconds = uptimeSeconds
        self.venues = venues
        self.publisher = publisher
        self.latency = latency
        self.recording = recording
    }
}

public struct RecordingStatus: Sendable, Equatable, Codable {
    public var directory: String
    public var currentFile: String
    public var records: Int
    public var bytesIn: Int
    public var bytesOut: Int
    public init(directory: String, currentFile: String, records: Int, bytesIn: Int, bytesOut: Int) {
        self.directory = directory
        self.currentFile = currentFile
        self.records = records
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }
}

/// One price level; decimals keep the exchange's exact text so the API can write them as JSON numbers.
public struct PriceLevelView: Sendable, Equatable {
    public var price: String
    public var quantity: String
    public init(price: String, quantity: String) {
        self.price = price
        self.quantity = quantity
    }
}

public struct OrderBookView: Sendable, Equatable {
    public var exchange: String
    public var symbol: String
    public var sequence: Int64?
    /// Exchange time of the last update, nanoseconds since the Unix epoch.
    public var exchangeTimeNs: Int64?
    /// Local receive time of the last update (the frame or REST answer it came in), nanoseconds since the epoch.
    public var receiveTimeNs: Int64?
    public var bids: [PriceLevelView]
    public var asks: [PriceLevelView]
    public init(
        exchange: String, symbol: String, sequence: Int64?, exchangeTimeNs: Int64?, receiveTimeNs: Int64? = nil,
        bids: [PriceLevelView], asks: [PriceLevelView]
    ) {
        self.exchange = exchange
        self.symbol = symbol
        self.sequence = sequence
        self.exchangeTimeNs = exchangeTimeNs
        self.receiveTimeNs = receiveTimeNs
        self.bids = bids
        self.asks = asks
    }
}

/// `{"exchange": "binance", "symbols": ["BTCUSDT"], "channels": ["trade", "book"]}`; symbols are the
/// venue's native instrument names, channels default to the venue feed's configured channels.
public struct SubscriptionRequest: Sendable, Equatable, Codable {
    public var exchange: String
    public var symbols: [String]
    public var channels: [String]?
    public init(exchange: String, symbols: [String], channels: [String]? = nil) {
        self.exchange = exchange
        self.symbols = symbols
        self.channels = channels
    }
}

public struct SubscriptionResult: Sendable, Equatable, Codable {
    public var ok: Bool
    public var exchange: String
    /// `channel:symbol` entries that changed.
    public var changed: [String]
    public var error: String?
    public init(ok: Bool, exchange: String, changed: [String], error: String? = nil) {
        self.ok = ok
        self.exchange = exchange
        self.changed = changed
        self.error = error
    }
}

/// Handle for a book observer; `cancel()` is idempotent.
public final class BookObservation: Sendable {
    private let onCancel: @Sendable () -> Void
    public init(onCancel: @escaping @Sendable () -> Void) { self.onCancel = onCancel }
    public func cancel() { onCancel() }
}
