import Model

/// The `reliability` object of a scenario report, assembled by the stack from its components'
/// logs and counters. Encodes as
/// `{breaker_transitions: [{at, from, to, target}], rate_limit: {limit, max_window_used, waited_ms, rejected},
///   retries, reconnects, watchdog_trips}` with `at` in integer nanoseconds.
public struct ReliabilityReport: Equatable, Sendable, Encodable {
    /// Every breaker transition of the run, ordered by `at` then target (see `ordered(_:)`).
    public var breakerTransitions: [BreakerTransition]
    public var rateLimit: RateLimitStats
    /// Retries granted (RetryBudget.granted summed over budgets).
    public var retries: Int
    /// Successful reconnects (SupervisorStats.reconnects summed over supervisors).
    public var reconnects: Int
    /// Watchdog trips (stale feed plus keepalive).
    public var watchdogTrips: Int

    public init(
        breakerTransitions: [BreakerTransition], rateLimit: RateLimitStats, retries: Int, reconnects: Int, watchdogTrips: Int
    ) {
        self.breakerTransitions = Self.ordered(breakerTransitions)
        self.rateLimit = rateLimit
        self.retries = retries
        self.reconnects = reconnects
        self.watchdogTrips = watchdogTrips
    }

    /// Merges per-breaker logs into one deterministic order: by time, then target, keeping each
    /// breaker's own order for equal keys (the sort is stable).
    public static func ordered(_ transitions: [BreakerTransition]) -> [BreakerTransition] {
        let indexed = transitions.enumerated().sorted { lhs, rhs in
            if lhs.element.at != rhs.element.at { return lhs.element.at < rhs.element.at }
            if lhs.element.target != rhs.element.target { return lhs.element.target < rhs.element.target }
            return lhs.offset < rhs.offset
        }
        return indexed.map(\.element)
    }

    private enum CodingKeys: String, CodingKey {
        case breakerTransitions = "breaker_transitions"
        case rateLimit = "rate_limit"
        case retries, reconnects
        case watchdogTrips = "watchdog_trips"
    }
}
