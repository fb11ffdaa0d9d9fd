import Model

/// What a REST request may do now.
public enum RestPermit: Equatable, Sendable {
    /// Send it; the rate limiter has been charged and the breaker has admitted it.
    case send
    /// Ask again at this instant (rate-limit capacity, a 429/418 hold, or an open breaker).
    case waitUntil(Instant)
    /// The breaker is half-open and its probes are in flight: ask again after the next response.
    case waitForProbe
    /// It can never be sent (its weight exceeds the limit).
    case rejected(weight: Int, limit: Int)
}

/// How a sent request ended.
public enum RestOutcome: Equatable, Sendable {
    /// `retryAfter` and `usedWeight` come from the `Retry-After` and `X-MBX-USED-WEIGHT-1M` headers.
    case response(status: Int, retryAfter: Nanoseconds? = nil, usedWeight: Int? = nil)
    case timeout
    case transport
}

/// What to do after a request ended.
public enum RestVerdict: Equatable, Sendable {
    case succeeded
    /// Retry (ask `permit` again with `attempt + 1`) no earlier than this instant.
    case retryAt(Instant)
    case gaveUp(GiveUpReason)
}

/// The reliability guard for one venue REST endpoint family: a circuit breaker, the venue's rate
/// limiter, the retry policy and a retry budget, wired in the only order that is safe:
/// breaker first (an open breaker must not burn rate-limit weight), then the limiter, then the
/// breaker's permission (which takes a half-open probe slot only for a request actually sent).
///
/// Breaker accounting: 5xx, 408, timeouts and transport errors are failures; a 418 (IP ban) trips
/// the breaker open at once, so nothing is even asked of the limiter until the open timeout; every
/// other response, 429 included, shows the endpoint is up and counts as a success (throttling is the
/// limiter's business, and a half-open probe answered with 429 must still free its slot).
public struct RestEndpointGuard: Sendable {
    public let target: String
    public let retry: RetryPolicy
    public private(set) var breaker: CircuitBreaker
    public private(set) var limiter: RateLimiter
    public private(set) var budget: RetryBudget

    public init(target: String, breaker: BreakerPolicy, rateLimit: RateLimitPolicy, retry: RetryPolicy, budget: RetryBudget.Policy) {
        self.target = target
        self.retry = retry
        self.breaker = CircuitBreaker(target: target, policy: breaker)
        self.limiter = RateLimiter(target: target, policy: rateLimit)
        self.budget = RetryBudget(policy: budget)
    }

    /// Retries granted so far (for the run report).
    public var retries: Int { budget.granted }

    /// Asks to send a request of `weight`; `attempt` is 0 for a first try, n for the n-th retry.
    public mutating func permit(weight: Int, attempt: Int, requestedAt: Instant, at now: Instant) -> RestPermit {
        switch breaker.peek(at: now) {
        case .rejected(let retryAt?): return .waitUntil(retryAt)
        case .rejected(nil): return .waitForProbe
        case .allowed: break
        }
        switch limiter.schedule(weight: weight, requestedAt: requestedAt, at: now) {
        case .waitUntil(let until): return .waitUntil(until)
        case .rejected(let weight, let limit): return .rejected(weight: weight, limit: limit)
        case .sendNow: break
        }
        // peek said yes and nothing happened in between, so this admits.
        _ = breaker.requestPermission(at: now)
        if attempt == 0 { budget.recordRequest(at: now) }
        return .send
    }

    /// Records how a sent request ended and decides whether to retry it.
    public mutating func completed<R: RandomNumberGenerator>(
        _ outcome: RestOutcome, attempt: Int, at now: Instant, using random: inout R
    ) -> RestVerdict {
        let failure: RequestFailure
        var retryAfter: Nanoseconds?
        switch outcome {
        case .response(let status, let after, let usedWeight):
            limiter.observe(status: status, retryAfter: after, usedWeight: usedWeight, at: now)
            if (200..<300).contains(status) {
                breaker.recordSuccess(at: now)
                return .succeeded
            }
            failure = .status(status)
            retryAfter = after
            if status == 418 {
                breaker.trip(at: now)
            } else if status >= 500 || status == 408 {
                breaker.recordFailure(at: now)
            } else {
                breaker.recordSuccess(at: now)
            }
        case .timeout:
            failure = .timeout
            breaker.recordFailure(at: now)
        case .transport:
            failure = .transport
            breaker.recordFailure(at: now)
        }
        switch retry.decide(after: failure, attempt: attempt, retryAfter: retryAfter, budget: &budget, at: now, using: &random) {
        case .retry(let delay): return .retryAt(now + delay)
        case .giveUp(let reason): return .gaveUp(reason)
        }
    }
}
