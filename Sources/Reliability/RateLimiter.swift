import Model

/// What a request must do now.
public enum RateDecision: Equatable, Sendable {
    /// Capacity was available and has been charged: send the request now.
    case sendNow
    /// No capacity (or a 429/418 hold) before this instant: ask again then. Nothing was charged.
    case waitUntil(Instant)
    /// The request can never be admitted (its weight alone exceeds the limit, or is negative).
    case rejected(weight: Int, limit: Int)
}

/// What the limiter did over a run, in the shape the scenario report needs.
public struct RateLimitStats: Equatable, Sendable, Encodable {
    public var limit: Int
    /// The highest weight counted in one window right after an admission; never above `limit`.
    public var maxWindowUsed = 0
    /// Total time admitted requests spent waiting between `requestedAt` and admission.
    public var waited = Nanoseconds.zero
    public var rejected = 0
    public var admitted = 0
    public var admittedWeight = 0
    /// Admitted requests that had to wait at least once.
    public var delayed = 0
    /// 429 responses seen.
    public var throttled = 0
    /// 418 responses (IP bans) seen.
    public var bans = 0
    /// Weight added because the venue's used-weight header said more than we had counted.
    public var correctedWeight = 0

    public init(limit: Int) { self.limit = limit }

    public var waitedMilliseconds: Int64 { waited.value / 1_000_000 }

    private enum CodingKeys: String, CodingKey {
        case limit
        case maxWindowUsed = "max_window_used"
        case waitedMilliseconds = "waited_ms"
        case rejected
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(limit, forKey: .limit)
        try container.encode(maxWindowUsed, forKey: .maxWindowUsed)
        try container.encode(waitedMilliseconds, forKey: .waitedMilliseconds)
        try container.encode(rejected, forKey: .rejected)
    }
}

/// A sans-IO sliding-window rate limiter for one venue limit (one per Binance market, one per OKX
/// endpoint family, ...).
///
/// Contract with the driver: keep pending requests in a FIFO queue and call `schedule` for the head
/// only. `.sendNow` charges the weight; `.waitUntil(t)` charges nothing and means "ask again at t",
/// so a hold that starts in between (a 429 or 418 on another request) is honoured at send time.
/// Pass the instant the request was first queued as `requestedAt` so waited time is measured.
///
/// Invariant: in every span of `policy.window`, the weight admitted is at most `policy.limit`
/// (an admission at `s` counts for instants in `[s, s + window)`). Time never runs backwards here:
/// an instant earlier than one already seen is treated as the later one.
public struct RateLimiter: Sendable {
    public let target: String
    public let policy: RateLimitPolicy
    public private(set) var stats: RateLimitStats
    /// No request is admitted before this instant (set by 429 Retry-After or a 418 ban).
    public private(set) var holdUntil: Instant?
    /// Whether the current hold comes from a 418 ban rather than a 429.
    public private(set) var holdIsBan = false

    /// Charged weights in time order.
    private var log = SlidingWindowLog()
    private var latest = Instant(nanoseconds: .min)

    public init(target: String, policy: RateLimitPolicy) {
        self.target = target
        self.policy = policy
        self.stats = RateLimitStats(limit: policy.limit)
    }

    /// The weight counted in the window ending at `now` (admissions plus header corrections).
    public mutating func windowUsed(at now: Instant) -> Int {
        prune(at: advance(to: now))
        return log.total
    }

    /// Admits a request of `weight` now or says when to ask again.
    public mutating func schedule(weight: Int, requestedAt: Instant? = nil, at now: Instant) -> RateDecision {
        let now = advance(to: now)
        guard weight >= 0, weight <= policy.limit else {
            stats.rejected += 1
            return .rejected(weight: weight, limit: policy.limit)
        }
        if let holdUntil {
            if now < holdUntil { return .waitUntil(holdUntil) }
            self.holdUntil = nil
            holdIsBan = false
        }
        prune(at: now)
        let excess = log.total + weight - policy.limit
        if excess > 0, let freeing = log.timeFreeing(excess) {
            // The earliest instant at which enough of the oldest weight has left the window.
            return .waitUntil(Instant(nanoseconds: freeing) + policy.window)
        }
        log.add(weight, at: now.nanoseconds)
        stats.maxWindowUsed = max(stats.maxWindowUsed, log.total)
        stats.admitted += 1
        stats.admittedWeight += weight
        if let requestedAt, requestedAt < now {
            stats.waited = stats.waited + (now - requestedAt)
            stats.delayed += 1
        }
        return .sendNow
    }

    /// Learns from a response: `usedWeight` (Binance `X-MBX-USED-WEIGHT-1M`) raises our count when
    /// the venue saw more than we did (another process on the same IP, a restart); a lower value is
    /// ignored because Binance counts per calendar minute and ours is the stricter sliding window.
    /// 429 holds every request until Retry-After; 418 is an IP ban that holds every request until it
    /// lifts. Holds only ever extend.
    public mutating func observe(status: Int, retryAfter: Nanoseconds?, usedWeight: Int?, at now: Instant) {
        let now = advance(to: now)
        if let usedWeight {
            prune(at: now)
            if usedWeight > log.total {
                let missing = usedWeight - log.total
                log.add(missing, at: now.nanoseconds)
                stats.correctedWeight += missing
            }
        }
        switch status {
        case 429:
            stats.throttled += 1
            hold(until: now + (retryAfter ?? policy.defaultRetryAfter), ban: false, now: now)
        case 418:
            stats.bans += 1
            hold(until: now + (retryAfter ?? policy.defaultBan), ban: true, now: now)
        default:
            break
        }
    }

    private mutating func hold(until end: Instant, ban: Bool, now: Instant) {
        guard let current = holdUntil, current > now else {
            holdUntil = end
            holdIsBan = ban
            return
        }
        holdUntil = max(current, end)
        holdIsBan = holdIsBan || ban
    }

    private mutating func advance(to now: Instant) -> Instant {
        if now > latest { latest = now }
        return latest
    }

    private mutating func prune(at now: Instant) {
        log.expire(through: now.nanoseconds &- policy.window.value)
    }
}
