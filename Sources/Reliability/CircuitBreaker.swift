import Model

/// The three states of a circuit breaker. Raw values are the names used in reports.
public enum BreakerState: String, Sendable, Hashable, Encodable {
    case closed
    case open
    case halfOpen = "half_open"
}

/// One state change of a breaker, kept so a run's report can list every transition and a test can
/// check that each was legal.
public struct BreakerTransition: Equatable, Sendable, Encodable {
    public var at: Instant
    public var from: BreakerState
    public var to: BreakerState
    /// The guarded thing, e.g. `binance.rest.depth`, `okx.ws.s1`, `broker`.
    public var target: String

    public init(at: Instant, from: BreakerState, to: BreakerState, target: String) {
        self.at = at
        self.from = from
        self.to = to
        self.target = target
    }

    /// closed -> open (too many failures), open -> half-open (timeout elapsed),
    /// half-open -> closed (probes succeeded), half-open -> open (a probe failed). Nothing else.
    public static func isLegal(from: BreakerState, to: BreakerState) -> Bool {
        switch (from, to) {
        case (.closed, .open), (.open, .halfOpen), (.halfOpen, .closed), (.halfOpen, .open): return true
        default: return false
        }
    }

    public var isLegal: Bool { Self.isLegal(from: from, to: to) }

    private enum CodingKeys: String, CodingKey { case at, from, to, target }

    /// `at` is written as integer nanoseconds so reports stay exact.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(at.nanoseconds, forKey: .at)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(target, forKey: .target)
    }
}

/// Breaker tuning. Defaults per venue live in `ReliabilityConfig`.
public struct BreakerPolicy: Equatable, Sendable {
    /// Failures within `window` that open the breaker.
    public var failureThreshold: Int
    /// The rolling window over which failures are counted.
    public var window: Nanoseconds
    /// How long the breaker stays open before it lets probes through.
    public var openTimeout: Nanoseconds
    /// How many requests may be in flight while half-open.
    public var halfOpenProbes: Int
    /// Successful probes needed to close again (at most `halfOpenProbes`).
    public var successesToClose: Int

    public init(
        failureThreshold: Int, window: Nanoseconds, openTimeout: Nanoseconds, halfOpenProbes: Int = 1,
        successesToClose: Int = 1
    ) {
        self.failureThreshold = max(1, failureThreshold)
        self.window = window
        self.openTimeout = openTimeout
        self.halfOpenProbes = max(1, halfOpenProbes)
        self.successesToClose = min(max(1, successesToClose), self.halfOpenProbes)
    }
}

/// The answer to "may I send?".
public enum Admission: Equatable, Sendable {
    case allowed
    /// Refused; when `retryAt` is known (open state) nothing will be admitted before it. `nil` means
    /// the half-open probes are all in flight and only their outcome can change the answer.
    case rejected(retryAt: Instant?)

    public var isAllowed: Bool { self == .allowed }
}

/// A sans-IO circuit breaker: closed / open / half-open.
///
/// Failures are counted within a rolling window, so a trickle of errors spread over hours never opens
/// it while a burst does. Open -> half-open happens on the first call at or after the open timeout
/// (`requestPermission` or `tick`), so a driver either asks lazily or arms a timer at `nextDeadline`.
/// Outcomes reported while half-open count as probe outcomes; outcomes reported while open are
/// late answers to requests admitted before the breaker opened and change nothing.
public struct CircuitBreaker: Sendable {
    public let target: String
    public let policy: BreakerPolicy
    public private(set) var state: BreakerState = .closed

    /// Every transition since creation or the last `takeTransitions()`, oldest first.
    public private(set) var transitions: [BreakerTransition] = []
    public private(set) var transitionCount = 0
    /// Requests refused because the breaker was open or its probes were all in flight.
    public private(set) var rejectedCount = 0
    public private(set) var failureCount = 0
    public private(set) var successCount = 0

    /// Failures inside the window (only used while closed); clamped so time never runs backwards.
    private var recentFailures = SlidingWindowLog()
    private var latestFailure = Int64.min
    private var openedAt = Instant.zero
    private var probesInFlight = 0
    private var probeSuccesses = 0

    public init(target: String, policy: BreakerPolicy) {
        self.target = target
        self.policy = policy
    }

    /// When the breaker will next change state on its own (open -> half-open), if ever.
    public var nextDeadline: Instant? {
        state == .open ? openedAt + policy.openTimeout : nil
    }

    /// Admits or refuses one request. An admitted request while half-open is a probe: report its
    /// outcome with `recordSuccess` or `recordFailure`.
    public mutating func requestPermission(at now: Instant) -> Admission {
        tick(at: now)
        switch state {
        case .closed:
            return .allowed
        case .open:
            rejectedCount += 1
            return .rejected(retryAt: openedAt + policy.openTimeout)
        case .halfOpen:
            if probesInFlight < policy.halfOpenProbes {
                probesInFlight += 1
                return .allowed
            }
            rejectedCount += 1
            return .rejected(retryAt: nil)
        }
    }

    /// What `requestPermission` would answer, without taking a probe slot or counting a rejection;
    /// lets a caller check the breaker before charging a rate limiter.
    public func peek(at now: Instant) -> Admission {
        switch state {
        case .closed:
            return .allowed
        case .open where now < openedAt + policy.openTimeout:
            return .rejected(retryAt: openedAt + policy.openTimeout)
        case .open:
            return .allowed
        case .halfOpen:
            return probesInFlight < policy.halfOpenProbes ? .allowed : .rejected(retryAt: nil)
        }
    }

    /// Moves open -> half-open once the open timeout has elapsed.
    public mutating func tick(at now: Instant) {
        if state == .open, now >= openedAt + policy.openTimeout {
            move(to: .halfOpen, at: now)
            probesInFlight = 0
            probeSuccesses = 0
        }
    }

    public mutating func recordSuccess(at now: Instant) {
        successCount += 1
        tick(at: now)
        guard state == .halfOpen else { return }
        probesInFlight = max(0, probesInFlight - 1)
        probeSuccesses += 1
        if probeSuccesses >= policy.successesToClose {
            move(to: .closed, at: now)
            recentFailures.removeAll()
        }
    }

    /// `recordSuccess(at:)` `count` times (a driver acking a batch): a closed breaker only counts them.
    public mutating func recordSuccesses(_ count: Int, at now: Instant) {
        if state == .closed {
            successCount += count
            return
        }
        for _ in 0..<count { recordSuccess(at: now) }
    }

    public mutating func recordFailure(at now: Instant) {
        failureCount += 1
        tick(at: now)
        switch state {
        case .closed:
            latestFailure = max(latestFailure, now.nanoseconds)
            recentFailures.expire(through: latestFailure &- policy.window.value)
            recentFailures.add(1, at: latestFailure)
            if recentFailures.total >= policy.failureThreshold { open(at: now) }
        case .halfOpen:
            open(at: now)
        case .open:
            break
        }
    }

    /// Opens at once, whatever the failure count: for answers that prove the endpoint is closed to
    /// us for a while (an HTTP 418 IP ban). From half-open or closed only; an open breaker stays as is.
    public mutating func trip(at now: Instant) {
        failureCount += 1
        tick(at: now)
        if state != .open { open(at: now) }
    }

    /// Hands the transition log to the caller (e.g. for the run report) and starts a new one.
    public mutating func takeTransitions() -> [BreakerTransition] {
        defer { transitions.removeAll() }
        return transitions
    }

    private mutating func open(at now: Instant) {
        move(to: .open, at: now)
        openedAt = now
        recentFailures.removeAll()
        probesInFlight = 0
        probeSuccesses = 0
    }

    private mutating func move(to next: BreakerState, at now: Instant) {
        transitions.append(BreakerTransition(at: now, from: state, to: next, target: target))
        transitionCount += 1
        state = next
    }
}
