import Model

/// Why a watchdog gave up on a connection.
public enum WatchdogReason: Equatable, Sendable, CustomStringConvertible {
    /// A stream got no data for longer than its deadline.
    case staleFeed(stream: String, silentFor: Nanoseconds)
    /// OKX: our `ping` got no `pong` in time.
    case pongMissing
    /// Binance: the server's pings stopped.
    case serverPingMissing
    /// Deribit: heartbeats (and everything else) stopped.
    case heartbeatMissing

    public var description: String {
        switch self {
        case .staleFeed(let stream, let silentFor): return "stale feed \(stream) (silent \(silentFor.value / 1_000_000) ms)"
        case .pongMissing: return "pong missing"
        case .serverPingMissing: return "server ping missing"
        case .heartbeatMissing: return "heartbeat missing"
        }
    }
}

/// What a watchdog asks the driver to do.
public enum WatchdogEffect: Equatable, Sendable {
    /// OKX: send the text frame `ping`.
    case sendPing
    /// Binance: answer the server's ping with a pong carrying the same payload.
    case sendPong
    /// Deribit: call `public/set_heartbeat` with this interval (after every connect).
    case enableHeartbeat(interval: Nanoseconds)
    /// Deribit: a `test_request` heartbeat arrived; call `public/test` at once.
    case answerTestRequest
    /// Give up on this connection: hand it to the `ReconnectSupervisor`.
    case reconnect(WatchdogReason)
}

/// One watchdog firing, kept for the run report.
public struct WatchdogTrip: Equatable, Sendable {
    public var at: Instant
    public var target: String
    public var reason: WatchdogReason

    public init(at: Instant, target: String, reason: WatchdogReason) {
        self.at = at
        self.target = target
        self.reason = reason
    }
}
