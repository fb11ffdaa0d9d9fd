import Model

/// Limits retries to a fraction of recent first tries plus a small floor, so that during an outage
/// the collector sends at most `(100 + percent)%` of its normal load instead of a multiple of it.
///
/// Invariant: at every granted retry, the retries granted in the window ending there (including it)
/// are at most `minRetries + requests * percent / 100`, counting the first tries in that window.
public struct RetryBudget: Sendable {
    public struct Policy: Equatable, Sendable {
        public var percent: Int
        public var minRetries: Int
        public var window: Nanoseconds

        public init(percent: Int, minRetries: Int, window: Nanoseconds) {
            self.percent = max(0, percent)
            self.minRetries = max(0, minRetries)
            self.window = window
        }

        public static let standard = Policy(percent: 10, minRetries: 5, window: .seconds(10))
    }

    public let policy: Policy
    public private(set) var granted = 0
    public private(set) var denied = 0

    private var requests = SlidingWindowLog()
    private var retries = SlidingWindowLog()
    private var latest = Int64.min

    public init(policy: Policy = .standard) {
        self.policy = policy
    }

    /// Counts a first try (not a retry).
    public mutating func recordRequest(at now: Instant) {
        let time = advance(to: now)
        requests.add(1, at: time)
    }

    /// Spends one retry if the budget allows it.
    public mutating func tryWithdraw(at now: Instant) -> Bool {
        let time = advance(to: now)
        let horizon = time &- policy.window.value
        requests.expire(through: horizon)
        retries.expire(through: horizon)
        guard retries.total < allowance else {
            denied += 1
            return false
        }
        retries.add(1, at: time)
        granted += 1
        return true
    }

    /// Retries the window currently allows in total.
    private var allowance: Int { policy.minRetries + requests.total * policy.percent / 100 }

    private mutating func advance(to now: Instant) -> Int64 {
        latest = max(latest, now.nanoseconds)
        return latest
    }
}
