import Model
import Testing

@testable import Reliability

@Suite struct ReconnectSupervisorTests {
    let policy = ReconnectPolicy(
        backoff: RetryPolicy(baseDelay: .milliseconds(500), maxDelay: .seconds(60), maxRetries: nil),
        connectTimeout: .seconds(10), stableAfter: .seconds(60), rotateAfter: .hours(23) + .minutes(30), overlap: .seconds(30))

    func id(_ generation: Int) -> ConnectionID { ConnectionID(stream: 3, generation: generation) }
    func supervisor(breaker: BreakerPolicy? = nil, seed: UInt64 = 1) -> ReconnectSupervisor {
        ReconnectSupervisor(target: "binance.ws.s3", stream: 3, policy: policy, random: SeededRandom(seed: seed), breaker: breaker)
    }

    /// Connects generation 1 at zero and ticks to its rotation; returns the rotation instant.
    func startRotation(_ s: inout ReconnectSupervisor) -> Instant {
        _ = s.start(at: .zero)
        _ = s.established(id(1), at: .zero)
        let rotateAt = Instant.zero + .hours(23) + .minutes(30)
        #expect(s.tick(at: rotateAt) == [.connect(id(2)), .report(.rotationStarted(old: id(1), new: id(2)))])
        return rotateAt
    }

    /// Runs `tick` at the supervisor's deadline and returns what it did.
    func tickAtDeadline(_ s: inout ReconnectSupervisor) -> (Instant, [SupervisorEffect]) {
        let deadline = s.nextDeadline!
        return (deadline, s.tick(at: deadline))
    }

    @Test func firstConnectSubscribesWithoutResync() {
        var s = supervisor()
        #expect(s.start(at: .zero) == [.connect(id(1))])
        #expect(s.start(at: .zero) == [])
        #expect(s.established(id(1), at: .milliseconds(80)) == [.subscribe(id(1)), .report(.connected(id(1), reconnect: false))])
        #expect(s.current == id(1))
        #expect(s.nextDeadline == Instant.milliseconds(80) + policy.rotateAfter!)
    }

    @Test func aLostConnectionBacksOffThenReconnectsResubscribesAndResyncsBooks() {
        var s = supervisor()
        _ = s.start(at: .zero)
        _ = s.established(id(1), at: .zero)
        let lostAt = Instant.zero + .seconds(100)
        let effects = s.lost(id(1), cause: .closedByPeer(code: 1006), at: lostAt)
        #expect(effects.first == .report(.lost(id(1), .closedByPeer(code: 1006))))
        guard case .backingOff(let until) = s.state else {
            Issue.record("expected backing off, got \(s.state)")
            return
        }
        // The connection was stable, so this is attempt 1 with a delay of at most the base.
        #expect(until >= lostAt && until <= lostAt + .milliseconds(500))
        #expect(effects.contains(.report(.backingOff(attempt: 1, until: until))) || effects.contains(.connect(id(2))))
        if until > lostAt { #expect(s.tick(at: until) == [.connect(id(2))]) }
        #expect(s.established(id(2), at: until + .milliseconds(50)) == [
            .subscribe(id(2)), .resyncBooks(id(2)), .report(.connected(id(2), reconnect: true)),
        ])
        #expect(s.stats.reconnects == 1)
        #expect(s.stats.connectionsLost == 1)
    }

    /// A venue that refuses every connect for a long time: the supervisor never gives up, reports
    /// every attempt, and its delays grow to (and stay within) the cap.
    @Test func neverGivesUp() {
        var s = supervisor(seed: 42)
        var now = Instant.zero
        var effects = s.start(at: now)
        var attempts = 0
        var longest = Nanoseconds.zero
        while attempts < 500 {
            guard case .connect(let connection) = effects.last(where: { if case .connect = $0 { true } else { false } }) else {
                (now, effects) = tickAtDeadline(&s)
                continue
            }
            attempts += 1
            now = now + .milliseconds(20)
            effects = s.lost(connection, cause: .refused, at: now)
            guard case .backingOff(let until) = s.state else {
                continue  // zero delay: connected again within the same call
            }
            #expect(until - now <= policy.backoff.ceiling(attempt: s.consecutiveFailures - 1))
            longest = max(longest, until - now)
            #expect(effects.contains(.report(.backingOff(attempt: s.consecutiveFailures, until: until))))
        }
        #expect(s.stats.connectAttempts >= 500)
        #expect(s.stats.connectFailures >= 500)
        #expect(s.stats.maxConsecutiveFailures >= 500)
        #expect(longest > .seconds(30) && longest <= .seconds(60))
    }

    @Test func aConnectThatHangsTimesOutAndIsClosed() {
        var s = supervisor()
        _ = s.start(at: .zero)
        let effects = s.tick(at: .zero + .seconds(10))
        #expect(effects.first == .close(id(1), .connectTimeout))
        #expect(effects.contains(.report(.lost(id(1), .connectTimeout))))
        #expect(s.stats.connectFailures == 1)
        // If the late connection does open after all, it is closed as superseded.
        #expect(s.established(id(1), at: .zero + .seconds(11)).first == .close(id(1), .superseded))
    }

    @Test func proactiveRotationOverlapsBothConnectionsAndClosesTheOldOneAfterward() {
        var s = supervisor()
        _ = s.start(at: .zero)
        _ = s.established(id(1), at: .zero)
        let rotateAt = Instant.zero + .hours(23) + .minutes(30)
        #expect(s.nextDeadline == rotateAt)
        #expect(s.tick(at: rotateAt) == [.connect(id(2)), .report(.rotationStarted(old: id(1), new: id(2)))])
        // Until the replacement is up and has overlapped, data is still read from the old one.
        #expect(s.current == id(1))
        let upAt = rotateAt + .milliseconds(300)
        #expect(s.established(id(2), at: upAt) == [.subscribe(id(2))])
        #expect(s.state == .rotating(old: id(1), new: id(2), newConnectedAt: upAt))
        #expect(s.current == id(1))
        #expect(s.nextDeadline == upAt + .seconds(30))
        #expect(s.tick(at: upAt + .seconds(29)) == [])
        #expect(s.tick(at: upAt + .seconds(30)) == [.close(id(1), .rotated), .report(.rotationCompleted(old: id(1), new: id(2)))])
        #expect(s.current == id(2))
        #expect(s.stats.rotations == 1)
        #expect(s.stats.reconnects == 0)
        // The next rotation is due 23 h 30 min after the replacement came up, well before its 24 h cut.
        #expect(s.nextDeadline == upAt + .hours(23) + .minutes(30))
        // A late close report for the rotated-out connection changes nothing.
        #expect(s.lost(id(1), cause: .closedByPeer(code: 1000), at: upAt + .seconds(31)) == [])
        #expect(s.current == id(2))
    }

    @Test func aFailedRotationKeepsTheOldConnectionAndTriesAgain() {
        var s = supervisor()
        let rotateAt = startRotation(&s)
        let effects = s.lost(id(2), cause: .refused, at: rotateAt + .seconds(1))
        guard case .report(.rotationFailed(let old, let new, let retryAt)) = effects.last else {
            Issue.record("expected rotationFailed, got \(effects)")
            return
        }
        #expect(old == id(1) && new == id(2))
        #expect(s.current == id(1))
        #expect(s.nextDeadline == retryAt)
        #expect(s.tick(at: retryAt).first == .connect(id(3)))
        #expect(s.stats.rotationFailures == 1)
    }

    @Test func whenTheOldConnectionIsCutBeforeTheReplacementIsUpTheReplacementResyncs() {
        var s = supervisor()
        let rotateAt = startRotation(&s)
        _ = s.lost(id(1), cause: .closedByPeer(code: 1001), at: rotateAt + .seconds(1))
        #expect(s.current == nil)
        #expect(s.established(id(2), at: rotateAt + .seconds(2)) == [
            .subscribe(id(2)), .resyncBooks(id(2)), .report(.connected(id(2), reconnect: true)),
        ])
    }

    @Test func theOldConnectionCutDuringOverlapHandsOverWithoutResync() {
        var s = supervisor()
        let rotateAt = startRotation(&s)
        _ = s.established(id(2), at: rotateAt + .seconds(1))
        let effects = s.lost(id(1), cause: .closedByPeer(code: 1001), at: rotateAt + .seconds(5))
        #expect(effects == [.report(.lost(id(1), .closedByPeer(code: 1001))), .report(.rotationCompleted(old: id(1), new: id(2)))])
        #expect(s.current == id(2))
    }

    @Test func aWatchdogTripClosesAndReconnects() {
        var s = supervisor()
        _ = s.start(at: .zero)
        _ = s.established(id(1), at: .zero)
        let effects = s.requestReconnect(id(1), reason: .pongMissing, at: .zero + .seconds(5))
        #expect(effects.first == .close(id(1), .watchdog(.pongMissing)))
        #expect(effects.contains(.report(.lost(id(1), .watchdog(.pongMissing)))))
        #expect(s.current == nil)
        // Asking again for the same (already closed) connection does nothing.
        #expect(s.requestReconnect(id(1), reason: .pongMissing, at: .zero + .seconds(5)) == [])
    }

    @Test func anOpenConnectionBreakerSpacesAttemptsOut() {
        let breaker = BreakerPolicy(failureThreshold: 3, window: .minutes(5), openTimeout: .seconds(60))
        var s = supervisor(breaker: breaker, seed: 5)
        var now = Instant.zero
        var effects = s.start(at: now)
        var connectTimes: [Instant] = []
        var sawBreakerOpen = false
        for _ in 0..<200 {
            if case .connect(let connection)? = effects.first(where: { if case .connect = $0 { true } else { false } }) {
                connectTimes.append(now)
                effects = s.lost(connection, cause: .refused, at: now)
            } else {
                (now, effects) = tickAtDeadline(&s)
            }
            if effects.contains(where: { if case .report(.breakerOpen) = $0 { true } else { false } }) { sawBreakerOpen = true }
            if connectTimes.count >= 10 { break }
        }
        #expect(sawBreakerOpen)
        #expect(connectTimes.count == 10)
        #expect(s.breaker?.transitions.allSatisfy { $0.isLegal } == true)
        // After the first three failures the breaker allows one probe per open timeout.
        for (earlier, later) in zip(connectTimes.dropFirst(3), connectTimes.dropFirst(4)) {
            #expect(later - earlier >= .seconds(60))
        }
    }

    @Test func theSameSeedReplaysTheSameEffects() {
        func run(seed: UInt64) -> [SupervisorEffect] {
            var s = supervisor(seed: seed)
            var log = s.start(at: .zero)
            var now = Instant.zero
            for generation in 1...30 {
                now = now + .milliseconds(10)
                log += s.lost(id(generation), cause: .refused, at: now)
                if let deadline = s.nextDeadline, deadline > now {
                    now = deadline
                    log += s.tick(at: now)
                }
            }
            return log
        }
        #expect(run(seed: 11) == run(seed: 11))
        #expect(run(seed: 11) != run(seed: 12))
    }

    /// A random driver: connects that open or fail, connections that drop, watchdog trips, late and
    /// duplicate reports for dead ids, ticks at the deadline. Throughout, the supervisor always has
    /// something scheduled while it has no live connection (it never gives up), never runs more than
    /// two connections, issues fresh ids in order, subscribes only a connection that just opened,
    /// and its counters agree with the effects it emitted.
    @Test(arguments: [UInt64(2), 23, 404, 9001])
    func randomEventSequencesKeepTheSupervisorSane(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var rotations = 0
        var reconnects = 0
        var rotationFailures = 0
        for round in 0..<20 {
            var rotating = policy
            rotating.rotateAfter = .seconds(Int64(random.next() % 600) + 31)
            let breaker = round % 2 == 0 ? BreakerPolicy(failureThreshold: 3, window: .seconds(60), openTimeout: .seconds(20)) : nil
            var s = ReconnectSupervisor(target: "p", stream: 3, policy: rotating, random: random.fork(), breaker: breaker)
            var now = Instant.zero
            var pending: [ConnectionID] = []
            var open: [ConnectionID] = []
            var issued: [ConnectionID] = []
            var connects = 0
            var reconnectReports = 0
            func apply(_ effects: [SupervisorEffect], established: ConnectionID? = nil) {
                for effect in effects {
                    switch effect {
                    case .connect(let id):
                        #expect(issued.last.map { $0 < id } ?? true)
                        issued.append(id)
                        pending.append(id)
                        connects += 1
                    case .close(let id, _):
                        #expect(issued.contains(id))
                        pending.removeAll { $0 == id }
                        open.removeAll { $0 == id }
                    case .subscribe(let id), .resyncBooks(let id):
                        #expect(id == established)
                    case .report(.connected(_, let reconnect)):
                        if reconnect { reconnectReports += 1 }
                    case .report:
                        break
                    }
                }
            }
            apply(s.start(at: now))
            for _ in 0..<400 {
                now = now + .milliseconds(Int64(random.next() % 5000))
                switch random.next() % 6 {
                case 0, 1:
                    if let id = pending.randomElement(using: &random) {
                        pending.removeAll { $0 == id }
                        open.append(id)
                        apply(s.established(id, at: now), established: id)
                    }
                case 2:
                    if let id = (pending + open).randomElement(using: &random) {
                        pending.removeAll { $0 == id }
                        open.removeAll { $0 == id }
                        apply(s.lost(id, cause: .closedByPeer(code: 1006), at: now))
                    }
                case 3:
                    if let id = open.randomElement(using: &random) {
                        apply(s.requestReconnect(id, reason: .pongMissing, at: now))
                    }
                case 4:
                    // A late report about a connection that is already gone does no more than a tick would.
                    if let id = issued.first(where: { !pending.contains($0) && !open.contains($0) }) {
                        var ticked = s
                        let tickEffects = ticked.tick(at: now)
                        let effects = s.lost(id, cause: .transportError, at: now)
                        #expect(effects == tickEffects)
                        #expect(s.state == ticked.state)
                        apply(effects)
                    }
                default:
                    if let deadline = s.nextDeadline, deadline > now { now = deadline }
                    apply(s.tick(at: now))
                }
                if s.current == nil {
                    #expect(s.nextDeadline != nil)
                }
                switch s.state {
                case .idle: Issue.record("idle after start")
                case .rotating(let old, let new, _): #expect(old < new)
                default: break
                }
                #expect(s.stats.connectAttempts == connects)
                #expect(s.stats.reconnects == reconnectReports)
            }
            #expect(s.breaker?.transitions.allSatisfy { $0.isLegal } ?? true)
            #expect(issued.count > 20)
            rotations += s.stats.rotations
            reconnects += s.stats.reconnects
            rotationFailures += s.stats.rotationFailures
        }
        // The walk reached rotations (completed and failed) and reconnects, not just the happy path.
        #expect(rotations > 0 && rotationFailures > 0 && reconnects > 0)
    }
}
