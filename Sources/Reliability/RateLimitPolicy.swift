import Model

/// One sliding-window limit: at most `limit` weight in any span of `window`.
///
/// Exchanges publish their limits in different units (Binance weight per minute, OKX requests per
/// 2 s per endpoint, Deribit credits); all are expressed as weight per window here, with the
/// request's weight chosen by `RequestWeights`.
public struct RateLimitPolicy: Equatable, Sendable {
    public var limit: Int
    public var window: Nanoseconds
    /// Hold after a 429 that carried no Retry-After.
    public var defaultRetryAfter: Nanoseconds
    /// Hold after a 418 (IP ban) that carried no Retry-After.
    public var defaultBan: Nanoseconds

    public init(limit: Int, window: Nanoseconds, defaultRetryAfter: Nanoseconds? = nil, defaultBan: Nanoseconds = .minutes(2)) {
        self.limit = limit
        self.window = window
        self.defaultRetryAfter = defaultRetryAfter ?? window
        self.defaultBan = defaultBan
    }

    /// Binance spot REQUEST_WEIGHT: 6000 per minute (since 2023-08).
    public static let binanceSpot = RateLimitPolicy(limit: 6000, window: .minutes(1))
    /// Binance USD-M futures REQUEST_WEIGHT: 2400 per minute (verify via exchangeInfo.rateLimits at run time).
    public static let binanceFutures = RateLimitPolicy(limit: 2400, window: .minutes(1))
    /// OKX GET /api/v5/market/books: 40 requests per 2 s per IP (verify).
    public static let okxMarketBooks = RateLimitPolicy(limit: 40, window: .seconds(2))
    /// OKX other public market endpoints (open interest, funding rate): 20 requests per 2 s (verify).
    public static let okxPublic = RateLimitPolicy(limit: 20, window: .seconds(2))
    /// Deribit non-matching-engine credits: a 10,000 credit/s refill and 500 credits per request,
    /// i.e. 20 requests per second sustained. The 50,000-credit burst is deliberately not used, so
    /// a sliding window of 10,000 per second never overdraws the bucket (verify).
    public static let deribit = RateLimitPolicy(limit: 10_000, window: .seconds(1))
}

/// The weight each venue charges for the requests the collector makes.
public enum RequestWeights {
    /// Binance spot `GET /api/v3/depth`: 1-100: 5, 101-500: 25, 501-1000: 50, 1001-5000: 250.
    public static func binanceSpotDepth(limit: Int) -> Int {
        switch limit {
        case ...100: return 5
        case 101...500: return 25
        case 501...1000: return 50
        default: return 250
        }
    }

    /// Binance futures `GET /fapi/v1/depth`: 5-50: 2, 100: 5, 500: 10, 1000: 20. Limits between the
    /// documented values are charged as the next documented value up.
    public static func binanceFuturesDepth(limit: Int) -> Int {
        switch limit {
        case ...50: return 2
        case 51...100: return 5
        case 101...500: return 10
        default: return 20
        }
    }

    /// Binance futures `GET /fapi/v1/openInterest`.
    public static let binanceFuturesOpenInterest = 1
    /// OKX limits count requests, so every request weighs 1.
    public static let okxRequest = 1
    /// Deribit public (non-matching-engine) requests cost 500 credits.
    public static let deribitPublicRequest = 500
}
