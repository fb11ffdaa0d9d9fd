import Model
import Testing

@testable import Reliability

@Suite struct RateLimiterTests {
    func at(_ ms: Int64) -> Instant { Instant.milliseconds(ms) }

    @Test func admitsUpToTheLimitThenWaitsExactlyUntilTheOldestWeightLeaves() {
        var limiter = RateLimiter(target: "binance.rest", policy: RateLimitPolicy(limit: 100, window: .seconds(1)))
        #expect(limiter.schedule(weight: 50, at: at(0)) == .sendNow)
        #expect(limiter.schedule(weight: 30, at: at(200)) == .sendNow)
        #expect(limiter.schedule(weight: 20, at: at(400)) == .sendNow)
        #expect(limiter.windowUsed(at: at(400)) == 100)
        // 40 more needs the 50 from t=0 to leave: at 1000 ms it no longer counts.
        #expect(limiter.schedule(weight: 40, at: at(500)) == .waitUntil(at(1000)))
        #expect(limiter.schedule(weight: 40, requestedAt: at(500), at: at(999)) == .waitUntil(at(1000)))
        #expect(limiter.schedule(weight: 40, requestedAt: at(500), at: at(1000)) == .sendNow)
        // 60 more needs both the 30 (t=200) and the 20 (t=400) gone.
        #expect(limiter.schedule(weight: 60, at: at(1000)) == .waitUntil(at(1400)))
        #expect(limiter.stats.maxWindowUsed == 100)
        #expect(limiter.stats.waited == .milliseconds(500))
        #expect(limiter.stats.delayed == 1)
        #expect(limiter.stats.admitted == 4)
    }

    @Test func aWeightAboveTheLimitIsRejectedNotQueuedForever() {
        var limiter = RateLimiter(target: "t", policy: RateLimitPolicy(limit: 100, window: .seconds(1)))
        #expect(limiter.schedule(weight: 101, at: at(0)) == .rejected(weight: 101, limit: 100))
        #expect(limiter.schedule(weight: -1, at: at(0)) == .rejected(weight: -1, limit: 100))
        #expect(limiter.stats.rejected == 2)
        #expect(limiter.schedule(weight: 100, at: at(0)) == .sendNow)
    }

    @Test func binanceDepthWeightsFollowTheDocumentedTables() {
        #expect([1, 100, 101, 500, 501, 1000, 1001, 5000].map(RequestWeights.binanceSpotDepth) == [5, 5, 25, 25, 50, 50, 250, 250])
        #expect([5, 10, 20, 50, 100, 500, 1000].map(RequestWeights.binanceFuturesDepth) == [2, 2, 2, 2, 5, 10, 20])
        #expect(RateLimitPolicy.binanceSpot.limit == 6000 && RateLimitPolicy.binanceSpot.window == .minutes(1))
        #expect(RateLimitPolicy.binanceFutures.limit == 2400)
        #expect(RateLimitPolicy.okxMarketBooks.limit == 40 && RateLimitPolicy.okxMarketBooks.window == .seconds(2))
        // 6000 per minute allows 120 depth snapshots of limit 1000 (weight 50), not 121.
        var limiter = RateLimiter(target: "binance.rest", policy: .binanceSpot)
        for second in Int64(0)..<120 {
            #expect(limiter.schedule(weight: RequestWeights.binanceSpotDepth(limit: 1000), at: at(second * 100)) == .sendNow)
        }
        #expect(limiter.schedule(weight: 50, at: at(12_000)) == .waitUntil(at(60_000)))
    }

    @Test func okxCountsRequestsAndDeribitCountsCredits() {
        var okx = RateLimiter(target: "okx.rest.market_books", policy: .okxMarketBooks)
        for index in Int64(0)..<40 {
            #expect(okx.schedule(weight: RequestWeights.okxRequest, at: at(index * 10)) == .sendNow)
        }
        #expect(okx.schedule(weight: RequestWeights.okxRequest, at: at(400)) == .waitUntil(at(2000)))
        // Deribit: 500 credits per public request, 10,000 per second, so 20 requests per second.
        var deribit = RateLimiter(target: "deribit.rest.public", policy: .deribit)
        for index in Int64(0)..<20 {
            #expect(deribit.schedule(weight: RequestWeights.deribitPublicRequest, at: at(index)) == .sendNow)
        }
        #expect(deribit.schedule(weight: RequestWeights.deribitPublicRequest, at: at(20)) == .waitUntil(at(1000)))
    }

    @Test func a429HoldsEveryRequestUntilRetryAfterEvenWithCapacityLeft() {
        var limiter = RateLimiter(target: "t", policy: RateLimitPolicy(limit: 1000, window: .minutes(1)))
        #expect(limiter.schedule(weight: 1, at: at(0)) == .sendNow)
        limiter.observe(status: 429, retryAfter: .seconds(7), usedWeight: nil, at: at(100))
        #expect(limiter.holdUntil == at(7100))
        #expect(!limiter.holdIsBan)
        #expect(limiter.schedule(weight: 1, at: at(200)) == .waitUntil(at(7100)))
        #expect(limiter.schedule(weight: 1, at: at(7099)) == .waitUntil(at(7100)))
        #expect(limiter.schedule(weight: 1, at: at(7100)) == .sendNow)
        #expect(limiter.holdUntil == nil)
        #expect(limiter.stats.throttled == 1)
        // Without Retry-After the policy default (the window) applies.
        limiter.observe(status: 429, retryAfter: nil, usedWeight: nil, at: at(8000))
        #expect(limiter.holdUntil == at(68_000))
    }

    @Test func a418BanHoldsEverythingUntilItLiftsAndIsNeverShortened() {
        var limiter = RateLimiter(target: "t", policy: RateLimitPolicy(limit: 1000, window: .minutes(1), defaultBan: .minutes(2)))
        limiter.observe(status: 418, retryAfter: .seconds(300), usedWeight: nil, at: at(0))
        #expect(limiter.holdIsBan)
        // A later 429 with a shorter Retry-After must not lift the ban early.
        limiter.observe(status: 429, retryAfter: .seconds(1), usedWeight: nil, at: at(1000))
        #expect(limiter.holdUntil == at(300_000))
        #expect(limiter.holdIsBan)
        for ms in stride(from: Int64(0), to: 300_000, by: 7_919) {
            #expect(limiter.schedule(weight: 1, at: at(ms)) == .waitUntil(at(300_000)))
        }
        #expect(limiter.schedule(weight: 1, requestedAt: at(0), at: at(300_000)) == .sendNow)
        #expect(limiter.stats.bans == 1)
        #expect(limiter.stats.waited == .seconds(300))
        // A ban without Retry-After lasts the default.
        limiter.observe(status: 418, retryAfter: nil, usedWeight: nil, at: at(400_000))
        #expect(limiter.holdUntil == at(520_000))
        #expect(limiter.holdIsBan)
    }

    @Test func aLaterBanAfterAnExpired429IsReportedAsABan() {
        var limiter = RateLimiter(target: "t", policy: RateLimitPolicy(limit: 10, window: .seconds(1)))
        limiter.observe(status: 418, retryAfter: .seconds(1), usedWeight: nil, at: at(0))
        limiter.observe(status: 429, retryAfter: .seconds(1), usedWeight: nil, at: at(5000))
        #expect(!limiter.holdIsBan)
        #expect(limiter.holdUntil == at(6000))
    }

    @Test func usedWeightHeaderRaisesOurCountButNeverLowersIt() {
        var limiter = RateLimiter(target: "binance.rest", policy: RateLimitPolicy(limit: 6000, window: .minutes(1)))
        #expect(limiter.schedule(weight: 50, at: at(0)) == .sendNow)
        // Another process on the same IP used 5900 more.
        limiter.observe(status: 200, retryAfter: nil, usedWeight: 5950, at: at(10))
        #expect(limiter.windowUsed(at: at(10)) == 5950)
        #expect(limiter.stats.correctedWeight == 5900)
        #expect(limiter.schedule(weight: 50, at: at(20)) == .sendNow)
        #expect(limiter.schedule(weight: 50, at: at(30)) == .waitUntil(at(60_000)))
        // A lower figure (Binance's calendar minute rolled over) is ignored: ours is stricter.
        limiter.observe(status: 200, retryAfter: nil, usedWeight: 3, at: at(40))
        #expect(limiter.windowUsed(at: at(40)) == 6000)
        // Corrections age out like real requests: the 50 at t=0 leaves at 60 s, the 5900 at 60.01 s.
        #expect(limiter.schedule(weight: 50, at: at(60_000)) == .sendNow)
        #expect(limiter.windowUsed(at: at(60_010)) == 100)
    }

    @Test func timeRunningBackwardsIsClampedNotTrusted() {
        var limiter = RateLimiter(target: "t", policy: RateLimitPolicy(limit: 2, window: .seconds(1)))
        #expect(limiter.schedule(weight: 2, at: at(5000)) == .sendNow)
        #expect(limiter.schedule(weight: 1, at: at(100)) == .waitUntil(at(6000)))
    }

    @Test func responseHeadersParse() {
        #expect(ResponseHeaders.retryAfter("120") == .seconds(120))
        #expect(ResponseHeaders.retryAfter(" 7 ") == .seconds(7))
        #expect(ResponseHeaders.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == nil)
        #expect(ResponseHeaders.retryAfter("") == nil)
        #expect(ResponseHeaders.retryAfter("1 2") == nil)
        #expect(ResponseHeaders.retryAfter("99999999999999999999") == nil)
        #expect(ResponseHeaders.usedWeight("1234") == 1234)
        #expect(ResponseHeaders.usedWeight("-5") == nil)
    }

    /// A FIFO driver over random arrivals, weights, header corrections and 429/418 responses.
    /// Brute force over the admitted schedule: no window of the policy's length ever holds more than
    /// the limit; every `waitUntil` lies ahead; and the limiter's own max equals the true maximum.
    @Test(arguments: [UInt64(3), 17, 2024, 65_537])
    func neverAdmitsMoreThanTheLimitInAnyWindow(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var windowsChecked = 0
        var delays = 0
        for _ in 0..<40 {
            let limit = Int(random.next() % 300) + 1
            let window = Nanoseconds.milliseconds(Int64(random.next() % 2000) + 1)
            var limiter = RateLimiter(target: "p", policy: RateLimitPolicy(limit: limit, window: window, defaultBan: .milliseconds(500)))
            var arrivals: [(weight: Int, at: Instant)] = []
            var clock = Instant.zero
            for _ in 0..<400 {
                clock = clock + .milliseconds(Int64(random.next() % 40))
                arrivals.append((Int(random.next() % UInt64(limit)) + 1, clock))
            }
            var queue: [(weight: Int, requestedAt: Instant)] = []
            var admitted: [(at: Instant, weight: Int)] = []
            var now = Instant.zero
            var next = 0
            while true {
                var headWait: Instant?
                while let head = queue.first {
                    switch limiter.schedule(weight: head.weight, requestedAt: head.requestedAt, at: now) {
                    case .sendNow:
                        admitted.append((now, head.weight))
                        queue.removeFirst()
                    case .waitUntil(let until):
                        #expect(until > now)
                        delays += 1
                        headWait = until
                    case .rejected:
                        Issue.record("weight \(head.weight) <= limit \(limit) was rejected")
                        queue.removeFirst()
                    }
                    if headWait != nil { break }
                }
                if next < arrivals.count, headWait.map({ arrivals[next].at <= $0 }) ?? true {
                    now = max(now, arrivals[next].at)
                    queue.append((arrivals[next].weight, arrivals[next].at))
                    next += 1
                    switch random.next() % 50 {
                    case 0: limiter.observe(status: 429, retryAfter: .milliseconds(Int64(random.next() % 300)), usedWeight: nil, at: now)
                    case 1: limiter.observe(status: 418, retryAfter: nil, usedWeight: nil, at: now)
                    case 2, 3: limiter.observe(status: 200, retryAfter: nil, usedWeight: Int(random.next() % UInt64(limit * 2)), at: now)
                    default: break
                    }
                } else if let headWait {
                    now = headWait
                } else {
                    break
                }
            }
            var trueMax = 0
            for (index, start) in admitted.enumerated() {
                var sum = 0
                for later in admitted[index...] where later.at < start.at + window { sum += later.weight }
                #expect(sum <= limit)
                trueMax = max(trueMax, sum)
                windowsChecked += 1
            }
            #expect(limiter.stats.maxWindowUsed <= limit)
            #expect(limiter.stats.maxWindowUsed >= trueMax)
            #expect(limiter.stats.admitted == admitted.count)
            #expect(admitted.count == 400)
        }
        #expect(windowsChecked == 40 * 400)
        #expect(delays > 100)
    }
}
