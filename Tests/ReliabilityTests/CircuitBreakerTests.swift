import Model
import Testing

@testable import Reliability

@Suite struct CircuitBreakerTests {
    let policy = BreakerPolicy(
        failureThreshold: 3, window: .seconds(10), openTimeout: .seconds(30), halfOpenProbes: 2, successesToClose: 2)

    func at(_ seconds: Int64) -> Instant { Instant(nanoseconds: 0) + .seconds(seconds) }

    @Test func opensAfterThresholdFailuresWithinTheWindow() {
        var breaker = CircuitBreaker(target: "binance.rest", policy: policy)
        breaker.recordFailure(at: at(0))
        breaker.recordFailure(at: at(5))
        #expect(breaker.state == .closed)
        breaker.recordFailure(at: at(9))
        #expect(breaker.state == .open)
        #expect(breaker.transitions == [BreakerTransition(at: at(9), from: .closed, to: .open, target: "binance.rest")])
        #expect(breaker.requestPermission(at: at(10)) == .rejected(retryAt: at(39)))
        #expect(breaker.nextDeadline == at(39))
        #expect(breaker.rejectedCount == 1)
    }

    @Test func failuresSpreadWiderThanTheWindowDoNotOpen() {
        var breaker = CircuitBreaker(target: "t", policy: policy)
        for second in stride(from: Int64(0), to: 100, by: 6) {
            breaker.recordFailure(at: at(second))
        }
        // At most two failures ever fall inside one 10 s window when they are 6 s apart.
        #expect(breaker.state == .closed)
        #expect(breaker.transitions.isEmpty)
        #expect(breaker.failureCount == 17)
    }

    @Test func halfOpenAdmitsOnlyTheConfiguredProbesAndClosesAfterEnoughSuccesses() {
        var breaker = CircuitBreaker(target: "t", policy: policy)
        for second in Int64(0)..<3 { breaker.recordFailure(at: at(second)) }
        #expect(breaker.state == .open)
        #expect(breaker.requestPermission(at: at(31)) == .rejected(retryAt: at(32)))
        #expect(breaker.requestPermission(at: at(32)) == .allowed)
        #expect(breaker.state == .halfOpen)
        #expect(breaker.requestPermission(at: at(32)) == .allowed)
        #expect(breaker.requestPermission(at: at(32)) == .rejected(retryAt: nil))
        breaker.recordSuccess(at: at(33))
        #expect(breaker.state == .halfOpen)
        // One probe slot is free again, but a third success is not needed: two close it.
        #expect(breaker.requestPermission(at: at(33)) == .allowed)
        breaker.recordSuccess(at: at(34))
        #expect(breaker.state == .closed)
        #expect(breaker.transitions.map(\.to) == [.open, .halfOpen, .closed])
        #expect(breaker.transitions.map(\.at) == [at(2), at(32), at(34)])
    }

    @Test func aFailedProbeReopensForAFullTimeout() {
        var breaker = CircuitBreaker(target: "t", policy: policy)
        for second in Int64(0)..<3 { breaker.recordFailure(at: at(second)) }
        breaker.tick(at: at(40))
        #expect(breaker.state == .halfOpen)
        #expect(breaker.requestPermission(at: at(41)) == .allowed)
        breaker.recordFailure(at: at(42))
        #expect(breaker.state == .open)
        #expect(breaker.requestPermission(at: at(71)) == .rejected(retryAt: at(72)))
        #expect(breaker.transitions.map(\.to) == [.open, .halfOpen, .open])
        #expect(breaker.transitions.allSatisfy { $0.isLegal })
    }

    @Test func lateOutcomesWhileOpenChangeNothing() {
        var breaker = CircuitBreaker(target: "t", policy: policy)
        for second in Int64(0)..<3 { breaker.recordFailure(at: at(second)) }
        breaker.recordSuccess(at: at(3))
        breaker.recordFailure(at: at(4))
        #expect(breaker.state == .open)
        #expect(breaker.transitions.count == 1)
    }

    @Test func takeTransitionsHandsOverTheLog() {
        var breaker = CircuitBreaker(target: "t", policy: policy)
        for second in Int64(0)..<3 { breaker.recordFailure(at: at(second)) }
        #expect(breaker.takeTransitions().count == 1)
        #expect(breaker.transitions.isEmpty)
        #expect(breaker.transitionCount == 1)
    }

    @Test func legalityTableIsExactlyTheFourEdges() {
        let states: [BreakerState] = [.closed, .open, .halfOpen]
        var legal: [String] = []
        for from in states {
            for to in states where BreakerTransition.isLegal(from: from, to: to) {
                legal.append("\(from.rawValue)->\(to.rawValue)")
            }
        }
        #expect(legal == ["closed->open", "open->half_open", "half_open->closed", "half_open->open"])
    }

    /// Random interleavings of time steps, requests and outcomes under random policies: every
    /// transition is legal, they chain, they never go back in time, the final state is the last `to`,
    /// and between two transitions no more probes are admitted while half-open than the policy allows.
    @Test(arguments: [UInt64(1), 7, 42, 1234, 99_999])
    func transitionsAreAlwaysLegal(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var edgesSeen = Set<String>()
        for _ in 0..<200 {
            let policy = BreakerPolicy(
                failureThreshold: Int(random.next() % 5) + 1, window: .milliseconds(Int64(random.next() % 5000) + 1),
                openTimeout: .milliseconds(Int64(random.next() % 3000) + 1), halfOpenProbes: Int(random.next() % 3) + 1,
                successesToClose: Int(random.next() % 3) + 1)
            var breaker = CircuitBreaker(target: "p", policy: policy)
            var now = Instant.zero
            var probesAdmitted = 0
            var probeOutcomes = 0
            for _ in 0..<300 {
                now = now + .milliseconds(Int64(random.next() % 700))
                let before = breaker.transitionCount
                var admitted = false
                var outcome = false
                switch random.next() % 4 {
                case 0, 1:
                    let admission = breaker.requestPermission(at: now)
                    admitted = admission.isAllowed
                    if breaker.state == .open { #expect(!admitted) }
                case 2:
                    breaker.recordSuccess(at: now)
                    outcome = true
                default:
                    breaker.recordFailure(at: now)
                    outcome = true
                }
                if breaker.transitions[before...].contains(where: { $0.to == .halfOpen }) {
                    probesAdmitted = 0
                    probeOutcomes = 0
                }
                if breaker.state == .halfOpen {
                    if admitted { probesAdmitted += 1 }
                    if outcome { probeOutcomes += 1 }
                    #expect(probesAdmitted <= policy.halfOpenProbes + probeOutcomes)
                }
            }
            let log = breaker.transitions
            #expect(log.allSatisfy { $0.isLegal })
            #expect(log.first.map { $0.from == .closed } ?? true)
            #expect(zip(log, log.dropFirst()).allSatisfy { $0.to == $1.from && $0.at <= $1.at })
            #expect((log.last?.to ?? .closed) == breaker.state)
            for transition in log { edgesSeen.insert("\(transition.from.rawValue)->\(transition.to.rawValue)") }
        }
        // The random walk really exercised every legal edge, so the checks above were not vacuous.
        #expect(edgesSeen.count == 4)
    }
}
