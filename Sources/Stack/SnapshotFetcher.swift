import Exchanges
import Model
import Reliability

/// Gets REST book snapshots through the venue's rate limiter, a circuit breaker and the retry policy.
///
/// Requests wait in FIFO order and only the head asks for permission (the limiter's contract), so a
/// 429 or 418 hold stops the whole queue. This type adds to `RestEndpointGuard` what a guard cannot
/// know: the queue, in-flight requests and their timeouts.
struct SnapshotFetcher: Sendable {
    struct Pending: Sendable {
        var instrument: Instrument
        var request: RestRequest
        var queuedAt: Instant
        var notBefore: Instant
        /// Retries already made.
        var attempt: Int
    }

    /// Breaker, limiter, retry policy and budget, in the order that is safe (see `RestEndpointGuard`).
    private(set) var guardian: RestEndpointGuard
    let timeout: Nanoseconds
    private let restartDelay: Nanoseconds
    private var random: SeededRandom
    private var queue: [Pending] = []
    private var inFlight: [RequestID: (pending: Pending, deadline: Instant)] = [:]
    /// In request-id order, so timeouts fire deterministically.
    private var inFlightOrder: [RequestID] = []
    private var nextRequestID = 1
    /// When the queue head may be tried again, as of the last `pump`.
    private var waitingUntil: Instant?
    private(set) var gaveUp = 0
    private var transitionsTaken = 0

    init(venue: VenueReliability, target: String, timeout: Nanoseconds, random: SeededRandom) {
        let policy = venue.rateLimits.first?.policy ?? RateLimitPolicy(limit: 1_000, window: .seconds(1))
        guardian = RestEndpointGuard(
            target: target, breaker: venue.restBreaker, rateLimit: policy, retry: venue.retry, budget: venue.retryBudget)
        restartDelay = venue.retry.maxDelay
        self.timeout = timeout
        self.random = random
    }

    var limiterStats: RateLimitStats { guardian.limiter.stats }
    var retries: Int { guardian.retries }
    var hasWork: Bool { !queue.isEmpty || !inFlight.isEmpty }

    /// Whether a snapshot for this instrument is already queued or in flight.
    func isPending(_ instrument: Instrument) -> Bool {
        queue.contains { $0.instrument == instrument } || inFlight.values.contains { $0.pending.instrument == instrument }
    }

    mutating func enqueue(_ request: RestRequest, for instrument: Instrument, at now: Instant) {
        guard !isPending(instrument) else { return }
        queue.append(Pending(instrument: instrument, request: request, queuedAt: now, notBefore: now, attempt: 0))
    }

    /// Forgets queued requests (not in-flight ones, whose answers the book machine then ignores).
    mutating func cancelQueued(for instrument: Instrument) {
        queue.removeAll { $0.instrument == instrument }
    }

    /// Sends what may be sent now, in FIFO order; returns the requests to issue.
    mutating func pump(at now: Instant, into out: inout [(RequestID, RestRequest)]) {
        waitingUntil = nil
        while let head = queue.first {
            guard head.notBefore <= now else {
                waitingUntil = head.notBefore
                return
            }
            switch guardian.permit(weight: head.request.weight, attempt: head.attempt, requestedAt: head.queuedAt, at: now) {
            case .send:
                queue.removeFirst()
                let id = RequestID(nextRequestID)
                nextRequestID += 1
                inFlight[id] = (head, now + timeout)
                inFlightOrder.append(id)
                out.append((id, head.request))
            case .waitUntil(let t):
                waitingUntil = t
                return
            case .waitForProbe:
                return  // the in-flight probe's answer pumps again
            case .rejected:
                queue.removeFirst()
                gaveUp += 1
            }
        }
    }

    enum Outcome {
        case snapshot(Instrument, body: [UInt8])
        case retrying(Instrument, status: Int?, attempt: Int)
        case restarted(Instrument, status: Int?)
        case unknown
    }

    /// Feeds a response back; the caller parses a snapshot body.
    mutating func completed(_ id: RequestID, _ response: RestResponse, at now: Instant) -> Outcome {
        guard let entry = removeInFlight(id) else { return .unknown }
        let outcome = RestOutcome.response(status: response.status, retryAfter: response.retryAfter, usedWeight: response.usedWeight)
        let verdict = guardian.completed(outcome, attempt: entry.attempt, at: now, using: &random)
        if case .succeeded = verdict { return .snapshot(entry.instrument, body: response.body) }
        return requeue(entry, verdict: verdict, status: response.status, at: now)
    }

    mutating func failedTransport(_ id: RequestID, at now: Instant) -> Outcome {
        guard let entry = removeInFlight(id) else { return .unknown }
        let verdict = guardian.completed(.timeout, attempt: entry.attempt, at: now, using: &random)
        return requeue(entry, verdict: verdict, status: nil, at: now)
    }

    /// A snapshot body that did not parse: fetch again as a fresh request after the longest backoff.
    mutating func rejectBody(of instrument: Instrument, request: RestRequest, at now: Instant) -> Outcome {
        let entry = Pending(instrument: instrument, request: request, queuedAt: now, notBefore: now, attempt: 0)
        return requeue(entry, verdict: .gaveUp(.notRetryable(.status(200))), status: 200, at: now)
    }

    /// A retry waits its backoff; a request the policy gave up on starts afresh later, because a
    /// book without a snapshot would otherwise stay invalid forever.
    private mutating func requeue(_ entry: Pending, verdict: RestVerdict, status: Int?, at now: Instant) -> Outcome {
        var entry = entry
        switch verdict {
        case .succeeded:
            return .unknown
        case .retryAt(let at):
            entry.attempt += 1
            entry.notBefore = at
            queue.append(entry)
            return .retrying(entry.instrument, status: status, attempt: entry.attempt)
        case .gaveUp:
            gaveUp += 1
            entry.attempt = 0
            entry.queuedAt = now + restartDelay
            entry.notBefore = now + restartDelay
            queue.append(entry)
            return .restarted(entry.instrument, status: status)
        }
    }

    private mutating func removeInFlight(_ id: RequestID) -> Pending? {
        guard let entry = inFlight.removeValue(forKey: id) else { return nil }
        inFlightOrder.removeAll { $0 == id }
        return entry.pending
    }

    /// Requests whose answer is overdue, oldest first.
    func expired(at now: Instant) -> [RequestID] {
        inFlightOrder.filter { inFlight[$0].map { $0.deadline <= now } ?? false }
    }

    /// Inlined: the stack reads it after every input, and a call passed the whole fetcher by value.
    @inline(__always)
    var nextDeadline: Instant? {
        var next = waitingUntil
        for id in inFlightOrder {
            if let t = inFlight[id]?.deadline, next.map({ t < $0 }) ?? true { next = t }
        }
        return next
    }

    /// Breaker transitions not yet handed out.
    mutating func takeBreakerTransitions() -> [BreakerTransition] {
        let all = guardian.breaker.transitions
        defer { transitionsTaken = all.count }
        return Array(all[transitionsTaken...])
    }
}
