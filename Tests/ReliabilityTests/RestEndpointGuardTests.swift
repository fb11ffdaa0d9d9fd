import Model
import Testing

@testable import Reliability

@Suite struct RestEndpointGuardTests {
    func at(_ ms: Int64) -> Instant { Instant.milliseconds(ms) }

    func makeGuard() -> RestEndpointGuard {
        RestEndpointGuard(
            target: "binance.rest.depth",
            breaker: BreakerPolicy(failureThreshold: 5, window: .seconds(60), openTimeout: .seconds(30)),
            rateLimit: .binanceSpot,
            retry: RetryPolicy(baseDelay: .milliseconds(250), maxDelay: .seconds(30), maxRetries: 6),
            budget: .init(percent: 10, minRetries: 5, window: .seconds(10)))
    }

    @Test func a5xxBurstOpensTheBreakerWhichThenHoldsRequestsWithoutBurningWeight() {
        var guarded = makeGuard()
        var random = SeededRandom(seed: 4)
        for attempt in 0..<5 {
            let now = at(Int64(attempt) * 100)
            #expect(guarded.permit(weight: 50, attempt: attempt, requestedAt: now, at: now) == .send)
            #expect(guarded.completed(.response(status: 503), attempt: attempt, at: now, using: &random) != .succeeded)
        }
        #expect(guarded.breaker.state == .open)
        let admitted = guarded.limiter.stats.admitted
        #expect(guarded.permit(weight: 50, attempt: 0, requestedAt: at(500), at: at(500)) == .waitUntil(at(30_400)))
        #expect(guarded.limiter.stats.admitted == admitted)
        // After the open timeout exactly one probe goes out; the next request waits for its answer.
        #expect(guarded.permit(weight: 50, attempt: 0, requestedAt: at(500), at: at(30_400)) == .send)
        #expect(guarded.breaker.state == .halfOpen)
        #expect(guarded.permit(weight: 50, attempt: 0, requestedAt: at(500), at: at(30_401)) == .waitForProbe)
        #expect(guarded.completed(.response(status: 200, usedWeight: 300), attempt: 0, at: at(30_500), using: &random) == .succeeded)
        #expect(guarded.breaker.state == .closed)
        #expect(guarded.breaker.transitions.map(\.to) == [.open, .halfOpen, .closed])
        #expect(guarded.retries == 5)
    }

    @Test func a429HoldsEveryRequestAndTheRetryWaitsForRetryAfter() {
        var guarded = makeGuard()
        var random = SeededRandom(seed: 4)
        #expect(guarded.permit(weight: 50, attempt: 0, requestedAt: at(0), at: at(0)) == .send)
        let verdict = guarded.completed(.response(status: 429, retryAfter: .seconds(10), usedWeight: 6001), attempt: 0, at: at(100), using: &random)
        guard case .retryAt(let retryAt) = verdict else {
            Issue.record("expected a retry, got \(verdict)")
            return
        }
        #expect(retryAt >= at(10_100))
        #expect(guarded.permit(weight: 5, attempt: 0, requestedAt: at(200), at: at(200)) == .waitUntil(at(10_100)))
        #expect(guarded.breaker.state == .closed)
        #expect(guarded.limiter.stats.throttled == 1)
    }

    @Test func a418BanHoldsEvenFirstTriesUntilItLifts() {
        var guarded = makeGuard()
        var random = SeededRandom(seed: 4)
        #expect(guarded.permit(weight: 50, attempt: 0, requestedAt: at(0), at: at(0)) == .send)
        _ = guarded.completed(.response(status: 418, retryAfter: .seconds(120)), attempt: 0, at: at(50), using: &random)
        // The ban trips the breaker open at once; after its open timeout the limiter's ban still holds.
        #expect(guarded.breaker.state == .open)
        for ms in stride(from: Int64(100), to: 120_050, by: 10_007) {
            let expected = ms < 30_050 ? at(30_050) : at(120_050)
            #expect(guarded.permit(weight: 5, attempt: 0, requestedAt: at(100), at: at(ms)) == .waitUntil(expected))
        }
        #expect(guarded.permit(weight: 5, attempt: 0, requestedAt: at(100), at: at(120_050)) == .send)
        #expect(guarded.limiter.stats.bans == 1)
        #expect(guarded.limiter.stats.waited == .milliseconds(119_950))
    }

    @Test func clientErrorsAreNotRetriedAndDoNotTripTheBreaker() {
        var guarded = makeGuard()
        var random = SeededRandom(seed: 4)
        for attempt in 0..<10 {
            _ = guarded.permit(weight: 5, attempt: 0, requestedAt: at(Int64(attempt)), at: at(Int64(attempt)))
            #expect(guarded.completed(.response(status: 400), attempt: 0, at: at(Int64(attempt)), using: &random)
                == .gaveUp(.notRetryable(.status(400))))
        }
        #expect(guarded.breaker.state == .closed)
        #expect(guarded.retries == 0)
    }

    @Test func weightsAboveTheLimitAreRejected() {
        var guarded = makeGuard()
        #expect(guarded.permit(weight: 7000, attempt: 0, requestedAt: at(0), at: at(0)) == .rejected(weight: 7000, limit: 6000))
        #expect(guarded.limiter.stats.rejected == 1)
    }
}
