import Books
import Exchanges
import Model
import Publishing
import Reliability

/// Identifies one REST request the stack asked the driver to perform.
public struct RequestID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var value: Int
    public init(_ value: Int) { self.value = value }
    public static func < (a: RequestID, b: RequestID) -> Bool { a.value < b.value }
    public var description: String { "r\(value)" }
}

/// A REST answer as the stack needs it: status, the headers that steer rate limiting, and the body.
public struct RestResponse: Sendable {
    public var status: Int
    public var retryAfter: Nanoseconds?
    /// Binance `X-MBX-USED-WEIGHT-1M`.
    public var usedWeight: Int?
    public var body: [UInt8]

    public init(status: Int, retryAfter: Nanoseconds? = nil, usedWeight: Int? = nil, body: [UInt8]) {
        self.status = status
        self.retryAfter = retryAfter
        self.usedWeight = usedWeight
        self.body = body
    }
}

/// What the driver must do for the stack. The stack never does I/O itself.
public enum StackEffect: Sendable {
    /// Open a websocket to `url` as connection `id`; answer with `connectionEstablished` or `connectionLost`.
    case connect(ConnectionID, url: String)
    /// Send a text frame.
    case send(ConnectionID, [UInt8])
    /// Answer a websocket ping control frame with this pong payload.
    case pong(ConnectionID, [UInt8])
    /// Close the websocket (with a close frame carrying `code`).
    case close(ConnectionID, code: Int)
    /// Perform an HTTP request; answer with `restCompleted` or `restFailed`. Boxed: rare, and its
    /// request (several strings) would make every effect, deliveries included, that much larger to move.
    indirect case request(RequestID, url: String, RestRequest)
    /// Hand a message to the broker; answer with `brokerAcked` or `brokerFailed`.
    case publish(PublisherCore.Delivery)
}

/// Things the stack did that belong in the canonical output and the report: every gap, resync,
/// connection change, breaker transition and loss. Times are the stack's own clock.
public enum StackEvent: Sendable, Equatable {
    case bookInvalidated(symbol: String, reason: BookBreak)
    case bookSynced(symbol: String, sequence: Int64)
    case snapshotRequested(symbol: String, reason: SnapshotRequestReason)
    case resubscribed(symbol: String)
    case staleSnapshotsDropped(symbol: String, count: Int)
    case sequenceReset(symbol: String, previous: Int64, current: Int64)
    case connectionOpened(ConnectionID, reconnect: Bool)
    case connectionLost(ConnectionID, cause: DisconnectCause)
    case connectionBackoff(attempt: Int, untilNs: Int64)
    case rotation(old: ConnectionID, new: ConnectionID, completed: Bool)
    case watchdogTrip(WatchdogTrip)
    case breakerTransition(BreakerTransition)
    case restRetry(symbol: String, status: Int?, attempt: Int)
    case restGaveUp(symbol: String, status: Int?)
    case frameError(String)
    case subscribeError(code: String, message: String)
    case publisherLoss(count: Int, reason: String)
    case brokerOutage(began: Bool, buffered: Int)

    /// A stable one-line form for the digest and the event log.
    public var canonical: String {
        switch self {
        case .bookInvalidated(let s, let r): return "book_invalidated \(s) \(r)"
        case .bookSynced(let s, let q): return "book_synced \(s) \(q)"
        case .snapshotRequested(let s, let r): return "snapshot_requested \(s) \(r)"
        case .resubscribed(let s): return "resubscribed \(s)"
        case .staleSnapshotsDropped(let s, let c): return "stale_dropped \(s) \(c)"
        case .sequenceReset(let s, let p, let c): return "sequence_reset \(s) \(p) \(c)"
        case .connectionOpened(let id, let r): return "connected \(id) reconnect=\(r)"
        case .connectionLost(let id, let cause): return "connection_lost \(id) \(cause)"
        case .connectionBackoff(let a, let u): return "backoff attempt=\(a) until=\(u)"
        case .rotation(let o, let n, let c): return "rotation \(o)->\(n) completed=\(c)"
        case .watchdogTrip(let t): return "watchdog \(t.target) \(t.reason)"
        case .breakerTransition(let t): return "breaker \(t.target) \(t.from.rawValue)->\(t.to.rawValue)"
        case .restRetry(let s, let st, let a): return "rest_retry \(s) status=\(st.map(String.init) ?? "none") attempt=\(a)"
        case .restGaveUp(let s, let st): return "rest_gave_up \(s) status=\(st.map(String.init) ?? "none")"
        case .frameError(let e): return "frame_error \(e)"
        case .subscribeError(let c, let m): return "subscribe_error \(c) \(m)"
        case .publisherLoss(let c, let r): return "publisher_loss \(c) \(r)"
        case .brokerOutage(let b, let n): return "broker_outage \(b ? "began" : "ended") buffered=\(n)"
        }
    }
}

/// A stack event with the instant it happened.
public struct TimedStackEvent: Sendable, Equatable {
    public var at: Instant
    public var event: StackEvent
}
