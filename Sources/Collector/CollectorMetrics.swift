import Metrics

/// The collector's metrics through swift-metrics (the API bootstraps a Prometheus backend; without
/// one they cost nothing). Names carry the `marketprism_` prefix and an `exchange` dimension.
///
/// Counters are advanced from running totals once per timer round (`update`), not per frame, so
/// the hot path never touches a metrics backend; latency samples are handed over in batches.
final class FeedMetrics: @unchecked Sendable {
    let exchange: String
    private let frames: Counter
    private let bytes: Counter
    private let errors: Counter
    private let gaps: Counter
    private let resyncs: Counter
    private let reconnects: Counter
    private let restRetries: Counter
    private var messages: [String: Counter] = [:]
    private let latency: Timer
    private let connected: Gauge
    private let booksValid: Gauge
    private let booksInvalid: Gauge
    private let limiterUsed: Gauge
    private let limiterLimit: Gauge
    private var breakers: [String: Gauge] = [:]
    private var last = FeedTotals()

    init(exchange: String) {
        self.exchange = exchange
        let d = [("exchange", exchange)]
        frames = Counter(label: "marketprism_frames_total", dimensions: d)
        bytes = Counter(label: "marketprism_frame_bytes_total", dimensions: d)
        errors = Counter(label: "marketprism_errors_total", dimensions: d)
        gaps = Counter(label: "marketprism_gaps_total", dimensions: d)
        resyncs = Counter(label: "marketprism_resyncs_total", dimensions: d)
        reconnects = Counter(label: "marketprism_reconnects_total", dimensions: d)
        restRetries = Counter(label: "marketprism_rest_retries_total", dimensions: d)
        latency = Timer(label: "marketprism_publish_latency_seconds", dimensions: d, preferredDisplayUnit: .seconds)
        connected = Gauge(label: "marketprism_connected", dimensions: d)
        booksValid = Gauge(label: "marketprism_books_valid", dimensions: d)
        booksInvalid = Gauge(label: "marketprism_books_invalid", dimensions: d)
        limiterUsed = Gauge(label: "marketprism_rate_limiter_used", dimensions: d)
        limiterLimit = Gauge(label: "marketprism_rate_limiter_limit", dimensions: d)
    }

    /// Advances counters by what changed since the last call and sets the gauges.
    func update(_ now: FeedTotals, latencies: [Int64]) {
        frames.increment(by: max(0, now.frames - last.frames))
        bytes.increment(by: max(0, now.bytes - last.bytes))
        errors.increment(by: max(0, now.errors - last.errors))
        gaps.increment(by: max(0, now.gaps - last.gaps))
        resyncs.increment(by: max(0, now.resyncs - last.resyncs))
        reconnects.increment(by: max(0, now.reconnects - last.reconnects))
        restRetries.increment(by: max(0, now.restRetries - last.restRetries))
        for (kind, count) in now.messagesByKind.sorted(by: { $0.key < $1.key }) {
            let delta = count - (last.messagesByKind[kind] ?? 0)
            guard delta > 0 else { continue }
            if messages[kind] == nil {
                messages[kind] = Counter(label: "marketprism_messages_total", dimensions: [("exchange", exchange), ("type", kind)])
            }
            messages[kind]!.increment(by: delta)
        }
        for ns in latencies { latency.recordNanoseconds(ns) }
        connected.record(now.connected ? 1 : 0)
        booksValid.record(now.booksValid)
        booksInvalid.record(now.booksInvalid)
        limiterUsed.record(now.limiterUsed)
        limiterLimit.record(now.limiterLimit)
        for (target, state) in now.breakerStates.sorted(by: { $0.key < $1.key }) {
            if breakers[target] == nil {
                breakers[target] = Gauge(label: "marketprism_breaker_state", dimensions: [("exchange", exchange), ("target", target)])
            }
            // 0 closed, 1 half-open, 2 open: higher is worse, so alerts can use a threshold.
            breakers[target]!.record(state == "open" ? 2 : state == "half_open" ? 1 : 0)
        }
        last = now
    }
}

/// The publisher's gauges, one set for the whole collector (all feeds share the sink).
final class PublisherMetrics: @unchecked Sendable {
    private let inFlight = Gauge(label: "marketprism_publisher_in_flight")
    private let buffered = Gauge(label: "marketprism_publisher_buffered")
    private let spooled = Gauge(label: "marketprism_publisher_spooled")
    private let lost = Gauge(label: "marketprism_publisher_lost")
    private let published = Gauge(label: "marketprism_publisher_published")
    private let connected = Gauge(label: "marketprism_broker_connected")

    func update(_ s: PublisherStats, connected up: Bool) {
        inFlight.record(s.inFlight)
        buffered.record(s.buffered)
        spooled.record(s.spooled)
        lost.record(s.lost)
        published.record(s.published)
        connected.record(up ? 1 : 0)
    }
}

/// Running totals of one feed, read under its lock for metrics and status.
struct FeedTotals: Sendable {
    var frames = 0
    var bytes = 0
    var errors = 0
    var gaps = 0
    var resyncs = 0
    var reconnects = 0
    var restRetries = 0
    var messagesByKind: [String: Int] = [:]
    var connected = false
    var booksValid = 0
    var booksInvalid = 0
    var limiterUsed = 0
    var limiterLimit = 0
    var breakerStates: [String: String] = [:]
}
