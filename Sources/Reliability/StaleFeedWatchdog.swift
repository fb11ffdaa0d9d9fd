import Model

/// Detects streams that stopped delivering data on a connection that still looks alive (a silent
/// stall: the socket is open, pings may even flow, but no updates arrive).
///
/// One watchdog per connection. Streams are registered once and then fed by handle, so the hot path
/// is an array store. When any stream is overdue, every overdue stream is logged as a trip, a single
/// `.reconnect` is returned, and the watchdog disarms until `rearm(at:)` (call it when the replacement
/// connection is established) or until each stream delivers data again.
public struct StaleFeedWatchdog: Sendable {
    public struct StreamHandle: Hashable, Sendable {
        public let index: Int
    }

    public let target: String
    public private(set) var trips: [WatchdogTrip] = []
    public private(set) var tripCount = 0

    private var names: [String] = []
    @usableFromInline var deadlines: [Nanoseconds] = []
    @usableFromInline var lastData: [Instant] = []
    @usableFromInline var armed: [Bool] = []

    public init(target: String) {
        self.target = target
    }

    /// Starts watching a stream that must deliver data at least every `staleAfter`, counted from `now`.
    public mutating func watch(stream: String, staleAfter: Nanoseconds, at now: Instant) -> StreamHandle {
        if let existing = names.firstIndex(of: stream) {
            deadlines[existing] = staleAfter
            lastData[existing] = now
            armed[existing] = true
            return StreamHandle(index: existing)
        }
        names.append(stream)
        deadlines.append(staleAfter)
        lastData.append(now)
        armed.append(true)
        return StreamHandle(index: names.count - 1)
    }

    /// Stops watching a stream (unsubscribed); its handle stays valid and may be re-armed by `watch`.
    public mutating func unwatch(_ handle: StreamHandle) {
        armed[handle.index] = false
    }

    /// Data arrived on a stream (the per-frame call; inlinable, as is `nextDeadline`, read per frame).
    @inlinable @inline(__always)
    public mutating func received(_ handle: StreamHandle, at now: Instant) {
        if now > lastData[handle.index] { lastData[handle.index] = now }
        armed[handle.index] = true
    }

    /// Restarts every stream's clock, e.g. once a replacement connection is up.
    public mutating func rearm(at now: Instant) {
        for index in names.indices {
            lastData[index] = now
            armed[index] = true
        }
    }

    /// The earliest instant at which some stream becomes stale.
    @inlinable
    public var nextDeadline: Instant? {
        var earliest: Instant?
        for index in armed.indices where armed[index] {
            let due = lastData[index] + deadlines[index]
            if earliest.map({ due < $0 }) ?? true { earliest = due }
        }
        return earliest
    }

    public mutating func tick(at now: Instant) -> [WatchdogEffect] {
        var first: WatchdogReason?
        for index in names.indices where armed[index] && now >= lastData[index] + deadlines[index] {
            let reason = WatchdogReason.staleFeed(stream: names[index], silentFor: now - lastData[index])
            trips.append(WatchdogTrip(at: now, target: target, reason: reason))
            tripCount += 1
            if first == nil { first = reason }
        }
        guard let first else { return [] }
        for index in names.indices { armed[index] = false }
        return [.reconnect(first)]
    }

    /// Hands the trip log to the caller and starts a new one.
    public mutating func takeTrips() -> [WatchdogTrip] {
        defer { trips.removeAll() }
        return trips
    }
}
