import Model

/// A venue's rate limit for one endpoint family (`rest` on Binance, `market_books` on OKX, ...).
public struct NamedRateLimit: Equatable, Sendable {
    public var family: String
    public var policy: RateLimitPolicy

    public init(family: String, policy: RateLimitPolicy) {
        self.family = family
        self.policy = policy
    }
}

/// Everything the reliability layer needs for one venue. Defaults are documented in docs/reliability.md.
public struct VenueReliability: Equatable, Sendable {
    public var venue: Venue
    /// One breaker per REST endpoint family uses this policy.
    public var restBreaker: BreakerPolicy
    /// One breaker per websocket connection (gating connect attempts) uses this policy.
    public var websocketBreaker: BreakerPolicy
    /// Sorted by family name.
    public var rateLimits: [NamedRateLimit]
    public var retry: RetryPolicy
    public var retryBudget: RetryBudget.Policy
    public var reconnect: ReconnectPolicy
    /// Book streams silent for longer than this trip the stale-feed watchdog.
    public var staleAfter: Nanoseconds
    public var keepalive: KeepaliveMode

    public func rateLimit(_ family: String) -> RateLimitPolicy? {
        rateLimits.first { $0.family == family }?.policy
    }

    /// The rate-limit families a venue has (config keys under `rate_limits`).
    public static func rateLimitFamilies(of venue: Venue) -> [String] {
        defaults(for: venue).rateLimits.map(\.family)
    }

    public static func defaults(for venue: Venue) -> VenueReliability {
        let binanceRotation = Nanoseconds.hours(23) + .minutes(30)
        switch venue {
        case .binance:
            return standard(venue, [("rest", .binanceSpot)], rotateAfter: binanceRotation, keepalive: .serverPing(timeout: .seconds(60)))
        case .binanceFutures:
            return standard(venue, [("rest", .binanceFutures)], rotateAfter: binanceRotation, keepalive: .serverPing(timeout: .minutes(10)))
        case .okx:
            return standard(
                venue, [("market_books", .okxMarketBooks), ("public", .okxPublic)], rotateAfter: nil,
                keepalive: .clientPing(pingAfter: .seconds(20), pongTimeout: .seconds(5)))
        case .deribit:
            return standard(
                venue, [("public", .deribit)], rotateAfter: nil, keepalive: .heartbeat(interval: .seconds(15), timeout: .seconds(45)))
        }
    }

    /// The settings every venue shares, plus what differs.
    private static func standard(
        _ venue: Venue, _ limits: [(String, RateLimitPolicy)], rotateAfter: Nanoseconds?, keepalive: KeepaliveMode
    ) -> VenueReliability {
        VenueReliability(
            venue: venue,
            restBreaker: BreakerPolicy(failureThreshold: 5, window: .seconds(60), openTimeout: .seconds(30)),
            websocketBreaker: BreakerPolicy(failureThreshold: 5, window: .minutes(5), openTimeout: .seconds(60)),
            rateLimits: limits.map { NamedRateLimit(family: $0.0, policy: $0.1) },
            retry: RetryPolicy(baseDelay: .milliseconds(250), maxDelay: .seconds(30), maxRetries: 6),
            retryBudget: .standard,
            reconnect: ReconnectPolicy(
                backoff: RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .seconds(60), maxRetries: nil),
                connectTimeout: .seconds(10), stableAfter: .seconds(60), rotateAfter: rotateAfter, overlap: .seconds(30)),
            staleAfter: .seconds(30), keepalive: keepalive)
    }
}

/// The message broker's breaker and retry settings (NATS JetStream publishing).
public struct BrokerReliability: Equatable, Sendable {
    public var breaker: BreakerPolicy
    /// `maxRetries == nil`: publishing retries until the breaker opens; the publisher buffers meanwhile.
    public var retry: RetryPolicy
    public var retryBudget: RetryBudget.Policy

    public static let defaults = BrokerReliability(
        breaker: BreakerPolicy(failureThreshold: 3, window: .seconds(10), openTimeout: .seconds(5)),
        retry: RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(5), maxRetries: nil),
        retryBudget: .standard)
}

/// The `reliability:` section of the collector's config.
///
/// Decodable from any decoder (YAML at the edge via Yams, JSON in tests); every key is optional and
/// falls back to the documented default. Durations are integer milliseconds in keys ending in `_ms`.
/// Unknown keys and invalid values throw `ReliabilityConfigError` naming the full key path: the
/// decoder's coding path when the section is nested (e.g. `reliability`), else `reliability`.
public struct ReliabilityConfig: Equatable, Sendable, Decodable {
    /// In `Venue.allCases` order.
    public var venues: [VenueReliability]
    public var broker: BrokerReliability

    public static let defaults = ReliabilityConfig(
        venues: Venue.allCases.map(VenueReliability.defaults(for:)), broker: .defaults)

    public init(venues: [VenueReliability], broker: BrokerReliability) {
        self.venues = venues
        self.broker = broker
    }

    public subscript(venue: Venue) -> VenueReliability {
        venues.first { $0.venue == venue } ?? .defaults(for: venue)
    }

    public init(from decoder: any Decoder) throws {
        let path = decoder.codingPath.isEmpty ? "reliability" : decoder.codingPath.map(\.stringValue).joined(separator: ".")
        let root = try ConfigSection(decoder: decoder, path: path)
        try self.init(root)
    }

    init(_ root: ConfigSection) throws(ReliabilityConfigError) {
        try root.allowOnly(Venue.allCases.map(\.rawValue) + ["broker"])
        var venues: [VenueReliability] = []
        for venue in Venue.allCases {
            venues.append(try Self.read(venue: venue, from: root.section(venue.rawValue)))
        }
        self.venues = venues
        self.broker = try Self.readBroker(root.section("broker"))
    }

    private static func readBroker(_ section: ConfigSection) throws(ReliabilityConfigError) -> BrokerReliability {
        try section.allowOnly(["breaker", "retry", "retry_budget"])
        let defaults = BrokerReliability.defaults
        return BrokerReliability(
            breaker: try readBreaker(section.section("breaker"), defaults.breaker),
            retry: try readRetry(section.section("retry"), defaults.retry),
            retryBudget: try readBudget(section.section("retry_budget"), defaults.retryBudget))
    }

    private static func read(venue: Venue, from section: ConfigSection) throws(ReliabilityConfigError) -> VenueReliability {
        try section.allowOnly([
            "rest_breaker", "ws_breaker", "rate_limits", "retry", "retry_budget", "reconnect", "stale_feed", "keepalive",
        ])
        var config = VenueReliability.defaults(for: venue)
        config.restBreaker = try readBreaker(section.section("rest_breaker"), config.restBreaker)
        config.websocketBreaker = try readBreaker(section.section("ws_breaker"), config.websocketBreaker)
        let limits = try section.section("rate_limits")
        try limits.allowOnly(config.rateLimits.map(\.family))
        for index in config.rateLimits.indices {
            config.rateLimits[index].policy = try readRateLimit(limits.section(config.rateLimits[index].family), config.rateLimits[index].policy)
        }
        config.retry = try readRetry(section.section("retry"), config.retry)
        config.retryBudget = try readBudget(section.section("retry_budget"), config.retryBudget)
        config.reconnect = try readReconnect(section.section("reconnect"), config.reconnect, venue: venue)
        let stale = try section.section("stale_feed")
        try stale.allowOnly(["stale_after_ms"])
        config.staleAfter = try stale.milliseconds("stale_after_ms", default: config.staleAfter, .positive)
        config.keepalive = try readKeepalive(section.section("keepalive"), config.keepalive)
        return config
    }

    private static func readBreaker(_ section: ConfigSection, _ defaults: BreakerPolicy) throws(ReliabilityConfigError) -> BreakerPolicy {
        try section.allowOnly(["failure_threshold", "window_ms", "open_timeout_ms", "half_open_probes", "successes_to_close"])
        let probes = try section.integer("half_open_probes", default: defaults.halfOpenProbes, .positive)
        return BreakerPolicy(
            failureThreshold: try section.integer("failure_threshold", default: defaults.failureThreshold, .positive),
            window: try section.milliseconds("window_ms", default: defaults.window, .positive),
            openTimeout: try section.milliseconds("open_timeout_ms", default: defaults.openTimeout, .positive),
            halfOpenProbes: probes,
            successesToClose: try section.integer(
                "successes_to_close", default: min(defaults.successesToClose, probes),
                .between(1, probes, because: "half_open_probes is \(probes)")))
    }

    private static func readRateLimit(_ section: ConfigSection, _ defaults: RateLimitPolicy) throws(ReliabilityConfigError) -> RateLimitPolicy {
        try section.allowOnly(["limit", "window_ms", "default_retry_after_ms", "default_ban_ms"])
        return RateLimitPolicy(
            limit: try section.integer("limit", default: defaults.limit, .positive),
            window: try section.milliseconds("window_ms", default: defaults.window, .positive),
            defaultRetryAfter: try section.milliseconds("default_retry_after_ms", default: defaults.defaultRetryAfter, .positive),
            defaultBan: try section.milliseconds("default_ban_ms", default: defaults.defaultBan, .positive))
    }

    private static func readRetry(_ section: ConfigSection, _ defaults: RetryPolicy) throws(ReliabilityConfigError) -> RetryPolicy {
        try section.allowOnly(["base_delay_ms", "max_delay_ms", "max_retries"])
        let (base, cap) = try readBackoff(section, defaults)
        let maxRetries = try section.optionalInteger("max_retries", default: defaults.maxRetries)
        if let maxRetries { try section.check(maxRetries, .nonNegative, key: "max_retries") }
        return RetryPolicy(baseDelay: base, maxDelay: cap, maxRetries: maxRetries)
    }

    private static func readBackoff(_ section: ConfigSection, _ defaults: RetryPolicy) throws(ReliabilityConfigError) -> (Nanoseconds, Nanoseconds) {
        let base = try section.milliseconds("base_delay_ms", default: defaults.baseDelay, .positive)
        let baseMs = Int(base.value / 1_000_000)
        let cap = try section.milliseconds(
            "max_delay_ms", default: max(defaults.maxDelay, base), .atLeast(baseMs, because: "base_delay_ms is \(baseMs)"))
        return (base, cap)
    }

    private static func readBudget(_ section: ConfigSection, _ defaults: RetryBudget.Policy) throws(ReliabilityConfigError) -> RetryBudget.Policy {
        try section.allowOnly(["percent", "min_retries", "window_ms"])
        return RetryBudget.Policy(
            percent: try section.integer("percent", default: defaults.percent, .between(0, 100)),
            minRetries: try section.integer("min_retries", default: defaults.minRetries, .nonNegative),
            window: try section.milliseconds("window_ms", default: defaults.window, .positive))
    }

    private static func readReconnect(
        _ section: ConfigSection, _ defaults: ReconnectPolicy, venue: Venue
    ) throws(ReliabilityConfigError) -> ReconnectPolicy {
        try section.allowOnly([
            "base_delay_ms", "max_delay_ms", "connect_timeout_ms", "stable_after_ms", "rotate_after_ms", "overlap_ms",
        ])
        let (base, cap) = try readBackoff(section, defaults.backoff)
        let overlap = try section.milliseconds("overlap_ms", default: defaults.overlap, .positive)
        let overlapMs = Int(overlap.value / 1_000_000)
        let defaultRotation = defaults.rotateAfter.map { Int($0.value / 1_000_000) }
        var rotateAfter: Nanoseconds?
        if let ms = try section.optionalInteger("rotate_after_ms", default: defaultRotation) {
            let dayMs = 86_400_000
            let rule: ConfigRule =
                venue == .binance || venue == .binanceFutures
                ? .between(overlapMs + 1, dayMs - overlapMs - 1, because: "Binance cuts connections at 24 h; leave room for overlap_ms \(overlapMs)")
                : .atLeast(overlapMs + 1, because: "must exceed overlap_ms \(overlapMs)")
            try section.check(ms, rule, key: "rotate_after_ms")
            rotateAfter = .milliseconds(Int64(ms))
        }
        return ReconnectPolicy(
            backoff: RetryPolicy(baseDelay: base, maxDelay: cap, maxRetries: nil),
            connectTimeout: try section.milliseconds("connect_timeout_ms", default: defaults.connectTimeout, .positive),
            stableAfter: try section.milliseconds("stable_after_ms", default: defaults.stableAfter, .positive),
            rotateAfter: rotateAfter, overlap: overlap)
    }

    private static func readKeepalive(_ section: ConfigSection, _ defaults: KeepaliveMode) throws(ReliabilityConfigError) -> KeepaliveMode {
        switch defaults {
        case .clientPing(let pingAfter, let pongTimeout):
            try section.allowOnly(["ping_after_ms", "pong_timeout_ms"])
            // OKX drops a connection that received nothing for 30 s, so ping and pong must fit inside.
            let ping = try section.milliseconds("ping_after_ms", default: pingAfter, .between(1, 29_999, because: "OKX closes silent connections at 30 s"))
            let pingMs = Int(ping.value / 1_000_000)
            let pong = try section.milliseconds(
                "pong_timeout_ms", default: pongTimeout, .between(1, 30_000 - pingMs, because: "ping_after_ms + pong_timeout_ms must stay within OKX's 30 s"))
            return .clientPing(pingAfter: ping, pongTimeout: pong)
        case .serverPing(let timeout):
            try section.allowOnly(["server_ping_timeout_ms"])
            return .serverPing(timeout: try section.milliseconds("server_ping_timeout_ms", default: timeout, .positive))
        case .heartbeat(let interval, let timeout):
            try section.allowOnly(["heartbeat_interval_ms", "heartbeat_timeout_ms"])
            let beat = try section.milliseconds(
                "heartbeat_interval_ms", default: interval, .atLeast(10_000, because: "Deribit's minimum heartbeat interval is 10 s"))
            let beatMs = Int(beat.value / 1_000_000)
            let wait = try section.milliseconds(
                "heartbeat_timeout_ms", default: max(timeout, beat + beat), .atLeast(beatMs + 1, because: "heartbeat_interval_ms is \(beatMs)"))
            return .heartbeat(interval: beat, timeout: wait)
        }
    }
}
