import NATSTransport
import Publishing

/// Turns what the JetStream publisher knows about the broker into outcomes for the stacks' broker
/// circuit breakers.
///
/// With the JetStream sink every message the publisher takes is acked at once for the stack (the
/// publisher owns resend, the memory bound and the spool), so the stack never sees the broker itself.
/// The timer thread polls `ConnectionHealth` and hands each difference to every feed: a lost
/// connection, a failed connect attempt (every reconnect round while the broker is down), a publish
/// that failed or timed out, or a loss is a failure; acks, or a link that is up, are successes.
/// The stack's breaker then opens, probes and closes on the broker's real story, and its
/// transitions reach /status, /health (`breaker_open`) and `marketprism_breaker_state`.
///
/// The stack's own publisher core is not told the link is down on purpose: it would then hold every
/// new message itself, in memory and without the spool, instead of the JetStream publisher whose
/// memory bound and disk spool the configuration sets.
struct BrokerLinkWatch {
    /// What one poll found.
    struct Outcomes: Equatable {
        /// One text per failure, oldest kind first (connections lost, connects failed, publishes failed, losses).
        var failures: [String] = []
        /// The broker answered (acks) or the link is up and a second has passed since the last success.
        var success = false
        /// The link is up now: successes go after the failures, else before them.
        var connected = false

        var isEmpty: Bool { failures.isEmpty && !success }
    }

    /// At most this many failures a poll reach the breakers (they open after a few anyway).
    static let maxFailuresPerPoll = 8
    /// A link that stays up without traffic still counts as working this often, so an open breaker
    /// can probe and close on an idle feed.
    static let idleSuccessInterval: Int64 = 1_000_000_000

    private var previous = ConnectionHealth()
    private var lastSuccessNs: Int64 = .min

    mutating func observe(_ now: ConnectionHealth, monotonicNs: Int64) -> Outcomes {
        var out = Outcomes()
        out.connected = now.connected
        let reason = now.lastError ?? "broker unreachable"
        func add(_ count: Int, _ text: String) {
            for _ in 0..<max(0, min(count, Self.maxFailuresPerPoll - out.failures.count)) { out.failures.append(text) }
        }
        add(now.connectionsLost - previous.connectionsLost, reason)
        add(now.connectAttemptsFailed - previous.connectAttemptsFailed, reason)
        add(now.publishFailures - previous.publishFailures, "publish failed or timed out")
        let lost = now.lost - previous.lost
        if lost > 0 { add(1, "\(lost) message(s) lost") }
        if now.connected
            && (now.acked > previous.acked || !previous.connected || monotonicNs - lastSuccessNs >= Self.idleSuccessInterval)
        {
            out.success = true
            lastSuccessNs = monotonicNs
        }
        previous = now
        return out
    }
}
