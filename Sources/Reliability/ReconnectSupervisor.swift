import Model

/// One websocket connection attempt: `stream` names the supervised slot, `generation` counts the
/// attempts in it, so ids are unique across a run and stable for a seed.
public struct ConnectionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var stream: Int
    public var generation: Int

    public init(stream: Int, generation: Int) {
        self.stream = stream
        self.generation = generation
    }

    public static func < (lhs: ConnectionID, rhs: ConnectionID) -> Bool {
        (lhs.stream, lhs.generation) < (rhs.stream, rhs.generation)
    }

    public var description: String { "s\(stream)g\(generation)" }
}

/// Why a connection ended or failed to start.
public enum DisconnectCause: Equatable, Sendable {
    case refused
    case closedByPeer(code: Int?)
    case transportError
    case connectTimeout
    case watchdog(WatchdogReason)
}

/// How a connection is looked after. Defaults per venue live in `ReliabilityConfig`.
public struct ReconnectPolicy: Equatable, Sendable {
    /// Delays between attempts (its `maxRetries` is ignored: reconnecting never gives up).
    public var backoff: RetryPolicy
    public var connectTimeout: Nanoseconds
    /// A connection that lived this long resets the backoff, so a healthy feed that drops once
    /// reconnects at once while a flapping one backs off further each time.
    public var stableAfter: Nanoseconds
    /// Age at which a replacement connection is opened proactively (Binance cuts at 24 h); nil: never.
    public var rotateAfter: Nanoseconds?
    /// How long the old and the replacement connection both run before the old one is closed.
    public var overlap: Nanoseconds

    public init(
        backoff: RetryPolicy, connectTimeout: Nanoseconds, stableAfter: Nanoseconds, rotateAfter: Nanoseconds?,
        overlap: Nanoseconds
    ) {
        self.backoff = backoff
        self.connectTimeout = connectTimeout
        self.stableAfter = stableAfter
        self.rotateAfter = rotateAfter
        self.overlap = overlap
    }
}

/// What the supervisor asks the driver to do.
public enum SupervisorEffect: Equatable, Sendable {
    /// Open a websocket for this id.
    case connect(ConnectionID)
    /// Send the subscriptions over this (just established) connection.
    case subscribe(ConnectionID)
    /// Books fed by this connection lost updates while it was down: fetch snapshots and resync.
    case resyncBooks(ConnectionID)
    /// Close this connection (timed out, rotated out, or condemned by a watchdog).
    case close(ConnectionID, CloseReason)
    /// Something worth logging and counting; never a request to act.
    case report(SupervisorReport)
}

public enum CloseReason: Equatable, Sendable {
    case connectTimeout
    /// The replacement has run for the overlap period; this is the old connection.
    case rotated
    /// It was established after the supervisor had already given up on it.
    case superseded
    case watchdog(WatchdogReason)
}

public enum SupervisorReport: Equatable, Sendable {
    case connected(ConnectionID, reconnect: Bool)
    case lost(ConnectionID, DisconnectCause)
    /// Waiting before the next attempt; `attempt` keeps growing, the supervisor never gives up.
    case backingOff(attempt: Int, until: Instant)
    /// The connection breaker is open; the next attempt waits for it.
    case breakerOpen(until: Instant)
    case rotationStarted(old: ConnectionID, new: ConnectionID)
    case rotationCompleted(old: ConnectionID, new: ConnectionID)
    case rotationFailed(old: ConnectionID, new: ConnectionID, retryAt: Instant)
}

/// Counters for the run report.
public struct SupervisorStats: Equatable, Sendable {
    public var connectAttempts = 0
    public var connectFailures = 0
    /// Established connections that were lost (not rotated out).
    public var connectionsLost = 0
    /// Connections established after the first one, i.e. successful reconnects.
    public var reconnects = 0
    public var rotations = 0
    public var rotationFailures = 0
    public var maxConsecutiveFailures = 0
    /// Total time spent waiting in backoff.
    public var backoffTime = Nanoseconds.zero

    public init() {}
}

/// Keeps one logical websocket connection alive, forever.
///
/// Sans-IO: feed it what happened (`start`, `established`, `lost`, `requestReconnect`) and call
/// `tick` at `nextDeadline`; it returns effects. Backoff uses full jitter from its own seeded
/// generator (fork one per supervisor from the run's generator) and never stops retrying; an
/// optional circuit breaker gates attempts, so a venue refusing every connect is probed at a
/// calm pace rather than hammered.
///
/// Rotation contract: at `rotateAfter` a replacement is connected and subscribed while the old one
/// keeps running. For `overlap` both deliver the same updates; the stack must dedupe by exchange
/// sequence (update ids, seqId, change_id) and by trade id, and treat the replacement's first book
/// update like any other: if it does not continue the book's sequence, book sync resyncs as usual.
/// After the overlap the old connection is closed. Books are not resynced after a rotation, only
/// after a real loss (where updates were certainly missed).
public struct ReconnectSupervisor: Sendable {
    public enum State: Equatable, Sendable {
        case idle
        case connecting(ConnectionID, since: Instant)
        case connected(ConnectionID, since: Instant)
        case backingOff(until: Instant)
        /// `new` is connecting (`newConnectedAt == nil`) or overlapping with `old`.
        case rotating(old: ConnectionID, new: ConnectionID, newConnectedAt: Instant?)
    }

    public let target: String
    public let stream: Int
    public let policy: ReconnectPolicy
    public private(set) var state: State = .idle
    public private(set) var stats = SupervisorStats()
    public private(set) var breaker: CircuitBreaker?
    /// Failures since the last stable connection; the backoff exponent.
    public private(set) var consecutiveFailures = 0

    private var random: SeededRandom
    private var generation = 0
    private var everConnected = false
    /// The current (or, while rotating, old) connection's establishment time.
    private var connectedSince = Instant.zero
    private var connectingSince = Instant.zero
    private var rotateAt: Instant?
    private var rotationFailures = 0
    /// Set while reconnecting after a loss: the next established connection must resync books.
    private var mustResync = false

    public init(target: String, stream: Int, policy: ReconnectPolicy, random: SeededRandom, breaker: BreakerPolicy? = nil) {
        self.target = target
        self.stream = stream
        self.policy = policy
        self.random = random
        self.breaker = breaker.map { CircuitBreaker(target: target, policy: $0) }
    }

    /// The connection data should currently be read from (the old one while a rotation overlaps).
    public var current: ConnectionID? {
        switch state {
        case .connected(let id, _): return id
        case .rotating(let old, _, _): return old
        case .idle, .connecting, .backingOff: return nil
        }
    }

    /// `nextDeadline` for a caller in another module that holds the supervisor mutably: a getter
    /// call that is not inlined passes the whole supervisor by value, a copy per call.
    @inline(never)
    public mutating func nextDeadlineInPlace() -> Instant? { nextDeadline }

    /// When `tick` next has something to do: a connect timeout, the end of a backoff, a rotation, or
    /// the end of a rotation's overlap.
    @inline(__always)
    public var nextDeadline: Instant? {
        switch state {
        case .idle: return nil
        case .connecting(_, let since): return since + policy.connectTimeout
        case .connected: return rotateAt
        case .backingOff(let until): return until
        case .rotating(_, _, let newConnectedAt):
            return newConnectedAt.map { $0 + policy.overlap } ?? connectingSince + policy.connectTimeout
        }
    }

    public mutating func start(at now: Instant) -> [SupervisorEffect] {
        guard state == .idle else { return [] }
        var effects: [SupervisorEffect] = []
        attemptConnect(at: now, into: &effects)
        return effects
    }

    /// The driver's websocket for `id` is open.
    public mutating func established(_ id: ConnectionID, at now: Instant) -> [SupervisorEffect] {
        var effects: [SupervisorEffect] = []
        switch state {
        case .connecting(let connecting, _) where connecting == id:
            breaker?.recordSuccess(at: now)
            state = .connected(id, since: now)
            connectedSince = now
            rotateAt = policy.rotateAfter.map { now + $0 }
            rotationFailures = 0
            let reconnect = everConnected
            if reconnect { stats.reconnects += 1 }
            everConnected = true
            effects.append(.subscribe(id))
            if mustResync { effects.append(.resyncBooks(id)) }
            mustResync = false
            effects.append(.report(.connected(id, reconnect: reconnect)))
        case .rotating(let old, let new, nil) where new == id:
            breaker?.recordSuccess(at: now)
            state = .rotating(old: old, new: new, newConnectedAt: now)
            effects.append(.subscribe(id))
        default:
            effects.append(.close(id, .superseded))
        }
        runDue(at: now, into: &effects)
        return effects
    }

    /// The driver's websocket for `id` failed to open or closed. Unknown or already closed ids are ignored.
    public mutating func lost(_ id: ConnectionID, cause: DisconnectCause, at now: Instant) -> [SupervisorEffect] {
        var effects: [SupervisorEffect] = []
        handleLoss(id, cause: cause, at: now, into: &effects)
        runDue(at: now, into: &effects)
        return effects
    }

    /// A watchdog condemned `id`: close it and reconnect.
    public mutating func requestReconnect(_ id: ConnectionID, reason: WatchdogReason, at now: Instant) -> [SupervisorEffect] {
        guard isLive(id) else { return [] }
        var effects: [SupervisorEffect] = [.close(id, .watchdog(reason))]
        handleLoss(id, cause: .watchdog(reason), at: now, into: &effects)
        runDue(at: now, into: &effects)
        return effects
    }

    public mutating func tick(at now: Instant) -> [SupervisorEffect] {
        var effects: [SupervisorEffect] = []
        runDue(at: now, into: &effects)
        return effects
    }

    // MARK: - Transitions

    private func isLive(_ id: ConnectionID) -> Bool {
        switch state {
        case .connecting(let current, _), .connected(let current, _): return current == id
        case .rotating(let old, let new, _): return old == id || new == id
        case .idle, .backingOff: return false
        }
    }

    private mutating func handleLoss(_ id: ConnectionID, cause: DisconnectCause, at now: Instant, into effects: inout [SupervisorEffect]) {
        switch state {
        case .connecting(let current, _) where current == id:
            stats.connectFailures += 1
            breaker?.recordFailure(at: now)
            effects.append(.report(.lost(id, cause)))
            backOff(at: now, into: &effects)
        case .connected(let current, let since) where current == id:
            stats.connectionsLost += 1
            if now - since >= policy.stableAfter { consecutiveFailures = 0 } else { breaker?.recordFailure(at: now) }
            mustResync = true
            effects.append(.report(.lost(id, cause)))
            backOff(at: now, into: &effects)
        case .rotating(let old, let new, let newConnectedAt) where old == id:
            // The old connection went first (e.g. the 24 h cut came early): the replacement takes over.
            stats.connectionsLost += 1
            effects.append(.report(.lost(id, cause)))
            if let newConnectedAt {
                finishRotation(old: old, new: new, newConnectedAt: newConnectedAt, closeOld: false, into: &effects)
            } else {
                state = .connecting(new, since: connectingSince)
                mustResync = true
            }
        case .rotating(let old, let new, _) where new == id:
            stats.rotationFailures += 1
            rotationFailures += 1
            breaker?.recordFailure(at: now)
            let retryAt = now + policy.backoff.delay(attempt: rotationFailures - 1, using: &random)
            rotateAt = retryAt
            state = .connected(old, since: connectedSince)
            effects.append(.report(.rotationFailed(old: old, new: new, retryAt: retryAt)))
        default:
            break
        }
    }

    private mutating func backOff(at now: Instant, into effects: inout [SupervisorEffect]) {
        let delay = policy.backoff.delay(attempt: consecutiveFailures, using: &random)
        consecutiveFailures += 1
        stats.maxConsecutiveFailures = max(stats.maxConsecutiveFailures, consecutiveFailures)
        stats.backoffTime = stats.backoffTime + delay
        let until = now + delay
        state = .backingOff(until: until)
        effects.append(.report(.backingOff(attempt: consecutiveFailures, until: until)))
    }

    private mutating func attemptConnect(at now: Instant, into effects: inout [SupervisorEffect]) {
        if case .rejected(let retryAt) = breaker?.requestPermission(at: now) {
            let until = retryAt ?? now + policy.backoff.baseDelay
            state = .backingOff(until: until)
            effects.append(.report(.breakerOpen(until: until)))
            return
        }
        let id = nextID()
        stats.connectAttempts += 1
        connectingSince = now
        state = .connecting(id, since: now)
        effects.append(.connect(id))
    }

    private mutating func startRotation(from old: ConnectionID, at now: Instant, into effects: inout [SupervisorEffect]) {
        if case .rejected(let retryAt) = breaker?.requestPermission(at: now) {
            rotateAt = retryAt ?? now + policy.backoff.baseDelay
            return
        }
        let new = nextID()
        stats.connectAttempts += 1
        connectingSince = now
        rotateAt = nil
        state = .rotating(old: old, new: new, newConnectedAt: nil)
        effects.append(.connect(new))
        effects.append(.report(.rotationStarted(old: old, new: new)))
    }

    private mutating func finishRotation(
        old: ConnectionID, new: ConnectionID, newConnectedAt: Instant, closeOld: Bool, into effects: inout [SupervisorEffect]
    ) {
        if closeOld { effects.append(.close(old, .rotated)) }
        stats.rotations += 1
        rotationFailures = 0
        state = .connected(new, since: newConnectedAt)
        connectedSince = newConnectedAt
        rotateAt = policy.rotateAfter.map { newConnectedAt + $0 }
        effects.append(.report(.rotationCompleted(old: old, new: new)))
    }

    /// Applies every deadline that has passed; a zero backoff connects within the same call.
    private mutating func runDue(at now: Instant, into effects: inout [SupervisorEffect]) {
        for _ in 0..<8 {
            guard let deadline = nextDeadline, deadline <= now else { return }
            switch state {
            case .idle:
                return
            case .backingOff:
                attemptConnect(at: now, into: &effects)
            case .connecting(let id, _):
                effects.append(.close(id, .connectTimeout))
                handleLoss(id, cause: .connectTimeout, at: now, into: &effects)
            case .connected(let id, _):
                startRotation(from: id, at: now, into: &effects)
            case .rotating(let old, let new, let newConnectedAt):
                if let newConnectedAt {
                    finishRotation(old: old, new: new, newConnectedAt: newConnectedAt, closeOld: true, into: &effects)
                } else {
                    effects.append(.close(new, .connectTimeout))
                    handleLoss(new, cause: .connectTimeout, at: now, into: &effects)
                }
            }
        }
    }

    private mutating func nextID() -> ConnectionID {
        generation += 1
        return ConnectionID(stream: stream, generation: generation)
    }
}
