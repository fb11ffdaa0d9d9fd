import Model

/// Exponential backoff with full jitter: retry `n` (0-based) waits a delay drawn uniformly from
/// `[0, min(maxDelay, baseDelay * 2^n)]`. Full jitter spreads a crowd of clients that failed
/// together, so their retries do not arrive as a second synchronized wave.
public struct RetryPolicy: Equatable, Sendable {
    public var baseDelay: Nanoseconds
    public var maxDelay: Nanoseconds
    /// Retries allowed after the first try; nil means no limit (reconnects never give up).
    public var maxRetries: Int?

    public init(baseDelay: Nanoseconds, maxDelay: Nanoseconds, maxRetries: Int?) {
        self.baseDelay = Nanoseconds(max(0, baseDelay.value))
        self.maxDelay = Nanoseconds(max(self.baseDelay.value, maxDelay.value))
        self.maxRetries = maxRetries.map { max(0, $0) }
    }

    /// The upper bound of the delay before retry `attempt`: `min(maxDelay, baseDelay * 2^attempt)`,
    /// computed without overflow for any attempt.
    public func ceiling(attempt: Int) -> Nanoseconds {
        let base = UInt64(baseDelay.value)
        let cap = UInt64(maxDelay.value)
        guard base > 0 else { return .zero }
        let shift = max(0, attempt)
        guard shift < 63, base <= cap >> UInt64(shift) else { return maxDelay }
        return Nanoseconds(Int64(base << UInt64(shift)))
    }

    /// The jittered delay before retry `attempt`, drawn from `random`.
    public func delay<R: RandomNumberGenerator>(attempt: Int, using random: inout R) -> Nanoseconds {
        Nanoseconds(Int64(Self.uniform(through: UInt64(ceiling(attempt: attempt).value), using: &random)))
    }

    /// A value in `[0, bound]` from one draw (Lemire's multiply-high; the bias is below 2^-63 for the
    /// spans used here). Kept in-house so a seed gives the same delays under any Swift version.
    static func uniform<R: RandomNumberGenerator>(through bound: UInt64, using random: inout R) -> UInt64 {
        let draw = random.next()
        guard bound < UInt64.max else { return draw }
        return draw.multipliedFullWidth(by: bound + 1).high
    }

    /// Decides what to do after a failed try. `attempt` counts the retries already made.
    /// A server's Retry-After is a floor under the jittered delay; the budget is asked last so a
    /// request that would not be retried anyway does not spend a token.
    public func decide<R: RandomNumberGenerator>(
        after failure: RequestFailure, attempt: Int, retryAfter: Nanoseconds? = nil,
        budget: inout RetryBudget, at now: Instant, using random: inout R
    ) -> RetryDecision {
        guard failure.isRetryable else { return .giveUp(.notRetryable(failure)) }
        if let maxRetries, attempt >= maxRetries { return .giveUp(.attemptsExhausted(attempt)) }
        guard budget.tryWithdraw(at: now) else { return .giveUp(.budgetExhausted) }
        let jittered = delay(attempt: attempt, using: &random)
        return .retry(after: max(jittered, retryAfter ?? .zero))
    }
}

/// Why a request failed, as far as retrying is concerned.
public enum RequestFailure: Equatable, Sendable {
    case status(Int)
    case timeout
    /// Connection refused or reset, DNS or TLS failure.
    case transport

    /// 5xx, 408, 429 and 418 are retried (the rate limiter holds 429/418 until Retry-After);
    /// other 4xx mean the request itself is wrong and retrying cannot help.
    public var isRetryable: Bool {
        switch self {
        case .timeout, .transport: return true
        case .status(let code): return code >= 500 || code == 408 || code == 429 || code == 418
        }
    }
}

public enum RetryDecision: Equatable, Sendable {
    case retry(after: Nanoseconds)
    case giveUp(GiveUpReason)
}

public enum GiveUpReason: Equatable, Sendable {
    case notRetryable(RequestFailure)
    case attemptsExhausted(Int)
    case budgetExhausted
}
