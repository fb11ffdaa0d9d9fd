import Model

/// How a venue proves a websocket is alive.
public enum KeepaliveMode: Equatable, Sendable {
    /// OKX: after `pingAfter` without receiving anything, send `ping`; no frame within `pongTimeout`
    /// after that means the connection is dead.
    case clientPing(pingAfter: Nanoseconds, pongTimeout: Nanoseconds)
    /// Binance: the server pings (spot every 20 s, futures every 3 min); we pong. No server ping for
    /// `timeout` means the connection is dead even if data still trickles in.
    case serverPing(timeout: Nanoseconds)
    /// Deribit: we enable heartbeats at `interval`; the server sends heartbeats and `test_request`s,
    /// which must be answered. Nothing received for `timeout` means the connection is dead.
    case heartbeat(interval: Nanoseconds, timeout: Nanoseconds)
}

/// What arrived on the connection, as far as liveness is concerned.
public enum KeepaliveSignal: Equatable, Sendable {
    case data
    case pong
    case serverPing
    case heartbeat
    case testRequest
}

/// Pong and heartbeat deadlines for one websocket connection.
///
/// Call `start` when the connection is established (Deribit then asks to enable heartbeats),
/// `received` for every frame, `tick` at `nextDeadline`, and `stop` when the connection is gone.
/// After a trip the watchdog stays silent until the next `start`.
public struct KeepaliveWatchdog: Sendable {
    public let target: String
    public let mode: KeepaliveMode
    public private(set) var trips: [WatchdogTrip] = []
    public private(set) var tripCount = 0
    public private(set) var pingsSent = 0

    @usableFromInline var running = false
    /// Last instant that reset the deadline (any frame, or a server ping for `.serverPing`).
    @usableFromInline var lastAlive = Instant.zero
    @usableFromInline var pingSentAt: Instant?

    public init(target: String, mode: KeepaliveMode) {
        self.target = target
        self.mode = mode
    }

    public mutating func start(at now: Instant) -> [WatchdogEffect] {
        running = true
        lastAlive = now
        pingSentAt = nil
        if case .heartbeat(let interval, _) = mode { return [.enableHeartbeat(interval: interval)] }
        return []
    }

    public mutating func stop() {
        running = false
        pingSentAt = nil
    }

    /// `received(.data, at:)`, which never has an effect: the per-frame call, inlined at the caller.
    @inlinable
    public mutating func receivedData(at now: Instant) {
        guard running else { return }
        switch mode {
        case .clientPing:
            if now > lastAlive { lastAlive = now }
            pingSentAt = nil
        case .serverPing:
            break
        case .heartbeat:
            if now > lastAlive { lastAlive = now }
        }
    }

    public mutating func received(_ signal: KeepaliveSignal, at now: Instant) -> [WatchdogEffect] {
        guard running else { return [] }
        switch mode {
        case .clientPing:
            // Any frame proves the connection is alive, and answers an outstanding ping as well as a pong does.
            touch(now)
            pingSentAt = nil
            return []
        case .serverPing:
            guard signal == .serverPing else { return [] }
            touch(now)
            return [.sendPong]
        case .heartbeat:
            touch(now)
            return signal == .testRequest ? [.answerTestRequest] : []
        }
    }

    @inlinable
    public var nextDeadline: Instant? {
        guard running else { return nil }
        switch mode {
        case .clientPing(let pingAfter, let pongTimeout):
            return pingSentAt.map { $0 + pongTimeout } ?? lastAlive + pingAfter
        case .serverPing(let timeout), .heartbeat(_, let timeout):
            return lastAlive + timeout
        }
    }

    public mutating func tick(at now: Instant) -> [WatchdogEffect] {
        guard running, let deadline = nextDeadline, now >= deadline else { return [] }
        switch mode {
        case .clientPing:
            if pingSentAt == nil {
                pingSentAt = now
                pingsSent += 1
                return [.sendPing]
            }
            return trip(.pongMissing, at: now)
        case .serverPing:
            return trip(.serverPingMissing, at: now)
        case .heartbeat:
            return trip(.heartbeatMissing, at: now)
        }
    }

    /// Hands the trip log to the caller and starts a new one.
    public mutating func takeTrips() -> [WatchdogTrip] {
        defer { trips.removeAll() }
        return trips
    }

    private mutating func touch(_ now: Instant) {
        if now > lastAlive { lastAlive = now }
    }

    private mutating func trip(_ reason: WatchdogReason, at now: Instant) -> [WatchdogEffect] {
        trips.append(WatchdogTrip(at: now, target: target, reason: reason))
        tripCount += 1
        stop()
        return [.reconnect(reason)]
    }
}
