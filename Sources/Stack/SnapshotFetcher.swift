import Exchanges
import Model
import Reliability

/// Gets REST book snapshots through the venue's rate limiter, a circuit breaker and the retry policy.
///
/// Requests wait in FIFO order; only the head asks the limiter (its contract), so a 429 or 418 hold
/// stops the whole queue. Failures are retried with full-jitter backoff inside a retry budget; when
/// the policy gives up the request is not abandoned but started afresh after the policy's longest
/// delay, because a book without a snapshot stays invalid forever.
struct SnapshotFetcher: Sendable {
    struct Pending: Sendable {
        var instrument: Instrument
        var request: RestRequest
        var queuedAt: Instant
        var notBefore: Instant
        /// Retries already made.
        var attempt: Int
    }

    private(set) var limiter: RateLimiter
    private(set) var breaker: CircuitBreaker
    private(set) var budget: RetryBudget
    let retry: RetryPolicy
    let timeout: Nanoseconds
    private var random: SeededRandom
    private var queue: [Pending] = []
    private var inFlight: [RequestID: (pending: Pending, deadline: Instant)] = [:]
    /// In request-id order, so timeouts fire deterministically.
    private var inFlightOrder: [RequestID] = []
    private var nextRequestID = 1
    /// When the queue head may be tried again, as of the last `pump`.
    private var waitingUntil: Instant?
    private(set) var retries = 0
    private(set) var gaveUp = 0

    init(venue: VenueReliability, target: String, timeout: Nanoseconds, random: SeededRandom) {
        let policy = venue.rateLimits.first?.policy ?? RateLimitPolicy(limit: 1_000, window: .seconds(1))
        limiter = RateLimiter(target: target, policy: policy)
        breaker = CircuitBreaker(target: target, policy: venue.restBreaker)
        budget = RetryBudget(policy: venue.retryBudget)
        retry = venue.retry
        self.timeout = timeout
        self.random = random
    }

    var hasWork: Bool { !queue.isEmpty || !inFlight.isEmpty }

    /// Whether a snapshot for this instrument is already queued or in flight.
    func isPending(_ instrument: Instrument) -> Bool {
        queue.contains { $0.instrument == instrument } || inFlight.values.contains { $0.pending.instrument == instrument }
    }

    mutating func enqueue(_ request: RestRequest, for instrument: Instrument, at now: Instant) {
        guard !isPending(instrument) else { return }
        budget.recordRequest(at: now)
        queue.append(Pending(instrument: instrument, request: request, queuedAt: now, notBefore: now, attempt: 0))
    }

    /// Forgets queued requests (not in-flight ones, whose answers are then ignored by the caller).
    mutating func cancelQueued(for instrument: Instrument) {
        queue.removeAll { $0.instrument == instrument }
    }

    /// Sends what may be sent now; returns the requests to issue. The breaker is asked first without
    /// taking a probe slot, then the limiter charges, then the probe slot is taken: so a request that
    /// waits never holds a half-open probe and never charges weight it does not use.
    mutating func pump(at now: Instant, into out: inout [(RequestID, RestRequest)]) {
        waitingUntil = nil
        while let head = queue.first {
            guard head.notBefore <= now else {
                waitingUntil = head.notBefore
                return
            }
            if case .rejected(let retryAt) = breaker.peek(at: now) {
                waitingUntil = retryAt  // nil: only an in-flight probe's outcome can reopen the way
                return
            }
            switch limiter.schedule(weight: head.request.weight, requestedAt: head.queuedAt, at: now) {
            case .sendNow:
                _ = breaker.requestPermission(at: now)
                queue.removeFirst()
                let id = RequestID(nextRequestID)
                nextRequestID += 1
                inFlight[id] = (head, now + timeout)
                inFlightOrder.append(id)
                out.append((id, head.request))
            case .waitUntil(let t):
                waitingUntil = t
                return
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
        limiter.observe(status: response.status, retryAfter: response.retryAfter, usedWeight: response.usedWeight, at: now)
        if response.status == 200 {
            breaker.recordSuccess(at: now)
            return .snapshot(entry.instrument, body: response.body)
        }
        // 429 is the venue pacing us, not the venue failing; everything else counts against the breaker.
        if response.status != 429 { breaker.recordFailure(at: now) }
        return failed(entry, failure: .status(response.status), retryAfter: response.retryAfter, at: now)
    }

    mutating func failedTransport(_ id: RequestID, at now: Instant) -> Outcome {
        guard let entry = removeInFlight(id) else { return .unknown }
        breaker.recordFailure(at: now)
        return failed(entry, failure: .timeout, retryAfter: nil, at: now)
    }

    /// A snapshot body that did not parse is a failure of that request, retried like a 5xx.
    mutating func rejectBody(of instrument: Instrument, request: RestRequest, at now: Instant) -> Outcome {
        let entry = Pending(instrument: instrument, request: request, queuedAt: now, notBefore: now, attempt: 0)
        return failed(entry, failure: .status(502), retryAfter: nil, at: now)
    }

    private mutating func failed(_ entry: Pending, failure: RequestFailure, retryAfter: Nanoseconds?, at now: Instant)
        -> Outcome
    {
        var entry = entry
        let status: Int? = if case .status(let s) = failure { s } else { nil }
        switch retry.decide(after: failure, attempt: entry.attempt, retryAfter: retryAfter, budget: &budget, at: now,
                            using: &random) {
        case .retry(let delay):
            retries += 1
            entry.attempt += 1
            entry.notBefore = now + delay
            queue.append(entry)
            return .retrying(entry.instrument, status: status, attempt: entry.attempt)
        case .giveUp:
            gaveUp += 1
            entry.attempt = 0
            entry.queuedAt = now + retry.maxDelay
            entry.notBefore = now + retry.maxDelay
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
    mutating func expired(at now: Instant) -> [RequestID] {
        inFlightOrder.filter { inFlight[$0].map { $0.deadline <= now } ?? false }
    }

    var nextDeadline: Instant? {
        var next = waitingUntil
        for id in inFlightOrder {
            if let t = inFlight[id]?.deadline, next.map({ t < $0 }) ?? true { next = t }
        }
        return next
    }

    mutating func takeBreakerTransitions() -> [BreakerTransition] {
        breaker.takeTransitions()
    }
}
