import Model
import Testing

@testable import Reliability

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(baseDelay: .milliseconds(100), maxDelay: .seconds(5), maxRetries: 4)

    @Test func ceilingDoublesUntilTheCapAndNeverOverflows() {
        #expect((0..<8).map { policy.ceiling(attempt: $0) } == [
            .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600),
            .milliseconds(3200), .seconds(5), .seconds(5),
        ])
        #expect(policy.ceiling(attempt: 62) == .seconds(5))
        #expect(policy.ceiling(attempt: 10_000) == .seconds(5))
        #expect(policy.ceiling(attempt: -3) == .milliseconds(100))
        let huge = RetryPolicy(baseDelay: Nanoseconds(Int64.max / 2), maxDelay: Nanoseconds(Int64.max), maxRetries: nil)
        #expect(huge.ceiling(attempt: 1) == Nanoseconds(Int64.max - 1))
        #expect(huge.ceiling(attempt: 2) == Nanoseconds(Int64.max))
    }

    /// Full jitter over random policies and attempts: every delay lies in [0, min(cap, base * 2^n)],
    /// and the draws really spread over that range (both halves are hit).
    @Test(arguments: [UInt64(5), 77, 31_337])
    func backoffDelaysStayInsidePolicyBounds(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        for _ in 0..<200 {
            let base = Int64(random.next() % 1_000_000_000) + 1
            let cap = base + Int64(random.next() % 100_000_000_000)
            let policy = RetryPolicy(baseDelay: Nanoseconds(base), maxDelay: Nanoseconds(cap), maxRetries: nil)
            var lowHalf = 0
            var highHalf = 0
            for attempt in 0..<40 {
                let ceiling = policy.ceiling(attempt: attempt)
                // Reference: double step by step, clamping each time (cap is far below overflow here).
                var expected = base
                for _ in 0..<attempt { expected = min(cap, expected * 2) }
                #expect(ceiling.value == expected)
                for _ in 0..<5 {
                    let delay = policy.delay(attempt: attempt, using: &random)
                    #expect(delay >= .zero && delay <= ceiling)
                    if delay.value * 2 < ceiling.value { lowHalf += 1 } else { highHalf += 1 }
                }
            }
            #expect(lowHalf > 20 && highHalf > 20)
        }
    }

    @Test func theSameSeedGivesTheSameDelays() {
        var first = SeededRandom(seed: 9)
        var second = SeededRandom(seed: 9)
        let a = (0..<20).map { policy.delay(attempt: $0, using: &first) }
        let b = (0..<20).map { policy.delay(attempt: $0, using: &second) }
        #expect(a == b)
        #expect(Set(a).count > 15)
    }

    @Test func decideHonoursClassificationAttemptsRetryAfterAndBudget() {
        var random = SeededRandom(seed: 1)
        var budget = RetryBudget(policy: .init(percent: 0, minRetries: 2, window: .seconds(10)))
        let now = Instant.zero
        #expect(
            policy.decide(after: .status(400), attempt: 0, budget: &budget, at: now, using: &random)
                == .giveUp(.notRetryable(.status(400))))
        #expect(policy.decide(after: .status(503), attempt: 4, budget: &budget, at: now, using: &random) == .giveUp(.attemptsExhausted(4)))
        // Neither refusal spent budget: two retries are still available.
        guard case .retry(let delay) = policy.decide(after: .status(429), attempt: 0, retryAfter: .seconds(3), budget: &budget, at: now, using: &random)
        else {
            Issue.record("429 should be retried")
            return
        }
        #expect(delay == .seconds(3))
        guard case .retry(let jittered) = policy.decide(after: .timeout, attempt: 2, budget: &budget, at: now, using: &random) else {
            Issue.record("timeout should be retried")
            return
        }
        #expect(jittered <= .milliseconds(400))
        #expect(policy.decide(after: .transport, attempt: 0, budget: &budget, at: now, using: &random) == .giveUp(.budgetExhausted))
        #expect(budget.granted == 2 && budget.denied == 1)
    }

    @Test func classification() {
        #expect(RequestFailure.status(500).isRetryable)
        #expect(RequestFailure.status(504).isRetryable)
        #expect(RequestFailure.status(429).isRetryable)
        #expect(RequestFailure.status(418).isRetryable)
        #expect(RequestFailure.status(408).isRetryable)
        #expect(!RequestFailure.status(404).isRetryable)
        #expect(!RequestFailure.status(451).isRetryable)
        #expect(RequestFailure.timeout.isRetryable && RequestFailure.transport.isRetryable)
    }
}

@Suite struct RetryBudgetTests {
    @Test func duringAnOutageRetriesStayNearTheBudgetInsteadOfMultiplyingLoad() {
        // 20 requests/s for 100 s, every one failing and wanting up to 5 retries.
        var budget = RetryBudget(policy: .init(percent: 10, minRetries: 5, window: .seconds(10)))
        var wanted = 0
        for tick in 0..<2000 {
            let now = Instant.milliseconds(Int64(tick) * 50)
            budget.recordRequest(at: now)
            for _ in 0..<5 {
                wanted += 1
                _ = budget.tryWithdraw(at: now)
            }
        }
        #expect(wanted == 10_000)
        // 10% of 2000 requests plus a floor of 5 per 10 s window: about 200 + 50, never thousands.
        #expect(budget.granted <= 2000 / 10 + 5 * 10 + 25)
        #expect(budget.granted >= 200)
        #expect(budget.denied == wanted - budget.granted)
    }

    /// Random streams of first tries and retry attempts: at every granted retry the window ending
    /// there holds at most `minRetries + requests * percent / 100` retries.
    @Test(arguments: [UInt64(8), 800, 8_000])
    func budgetCapsRetriesInEveryWindow(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var deniedSomewhere = false
        for _ in 0..<30 {
            let policy = RetryBudget.Policy(
                percent: Int(random.next() % 50), minRetries: Int(random.next() % 4),
                window: .milliseconds(Int64(random.next() % 3000) + 1))
            var budget = RetryBudget(policy: policy)
            var requests: [Instant] = []
            var retries: [Instant] = []
            var now = Instant.zero
            for _ in 0..<600 {
                now = now + .milliseconds(Int64(random.next() % 30))
                if random.next() % 3 == 0 {
                    budget.recordRequest(at: now)
                    requests.append(now)
                } else if budget.tryWithdraw(at: now) {
                    retries.append(now)
                    let inWindow = { (times: [Instant]) in times.filter { $0 > now + Nanoseconds(-policy.window.value) && $0 <= now }.count }
                    #expect(inWindow(retries) <= policy.minRetries + inWindow(requests) * policy.percent / 100)
                } else {
                    deniedSomewhere = true
                }
            }
            #expect(budget.granted == retries.count)
        }
        #expect(deniedSomewhere)
    }
}
