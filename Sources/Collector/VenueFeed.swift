import Books
import CollectorControl
import Exchanges
import Foundation
import Live
import Logging
import Model
import Publishing
import Reliability
import Stack

/// The live driver of one `CollectorStack`: the same calls the simulator makes, on real threads.
///
/// Every input (a frame from a reader thread, a REST answer from the worker, a timer round) takes
/// the feed's lock, reads the wall clock inside it (so instants never go backwards in the order the
/// stack sees them, and the recorder writes exactly those instants), calls the stack, and carries
/// out its effects before letting go. The recorder is written under the same lock, in the same
/// order, which is what lets a replay of the recording reproduce the run.
final class VenueFeed: @unchecked Sendable {
    let configuration: VenueFeedConfiguration
    let venue: Venue
    private let lock = NSLock()
    private(set) var stack: CollectorStack
    private var effects: [StackEffect] = []
    private var events: [TimedStackEvent] = []
    private var acks: [UInt64] = []
    private var refused: [UInt64] = []
    private var lastNowNs: Int64 = 0
    private var sessions: [ConnectionID: WebSocketSession] = [:]
    private var rest: RestWorker!
    private let sink: LiveSink
    private let recorder: FeedRecorder?
    private let observers: BookObservers
    private let output: (@Sendable (String) -> Void)?
    private let logger: Logger
    private let socketOptions: CurlWebSocket.Options
    private let proxyPolicy: ProxyPolicy
    private var stopping = false
    /// Monotonic receive time of the frame being processed, for receive-to-publish latency.
    private var receiveMono: Int64?
    private var pendingLatencies: [Int64] = []
    private(set) var latency = LatencyHistogram()
    private var totals = FeedTotals()
    private var messageCounts = [Int](repeating: 0, count: MessageKind.allCases.count)
    private var lastFrameWallNs: Int64?
    private var currentURL = ""
    /// Per symbol: how often the book synced, how often again after the first time, the last break.
    private var bookNotes: [String: (syncs: Int, resyncs: Int, detail: String)] = [:]
    private var breakerStates: [String: String] = [:]
    private var bookTimes = PublishedBookTimes()
    private let metrics: FeedMetrics
    private let startedMono = LiveClock.monotonicNanoseconds()
    private var rateWindow: (mono: Int64, frames: Int, rate: Double) = (0, 0, 0)

    init(
        configuration: VenueFeedConfiguration, stack: StackConfiguration, sink: LiveSink, recorder: FeedRecorder?,
        observers: BookObservers, output: (@Sendable (String) -> Void)?, logger: Logger, environment: [String: String]
    ) throws(TransportError) {
        self.configuration = configuration
        venue = configuration.venue
        self.stack = CollectorStack(configuration: stack)
        self.sink = sink
        self.recorder = recorder
        self.observers = observers
        self.output = output
        var logger = logger
        logger[metadataKey: "exchange"] = "\(configuration.venue.rawValue)"
        self.logger = logger
        metrics = FeedMetrics(exchange: configuration.venue.rawValue)
        proxyPolicy = try ProxyPolicy(configured: configuration.proxy, environment: environment)
        var tls = Live.TLSOptions.systemTrust
        if let ca = configuration.caFile { tls = Live.TLSOptions(caFile: ca) }
        socketOptions = CurlWebSocket.Options(
            connectTimeoutMilliseconds: Int(stack.reliability.reconnect.connectTimeout.value / 1_000_000), tls: tls)
        let timeout = Int(stack.restTimeout.value / 1_000_000)
        rest = RestWorker(
            options: CurlRestClient.Options(timeoutMilliseconds: timeout, tls: tls, proxyPolicy: proxyPolicy),
            timeoutMilliseconds: timeout
        ) { [unowned self] job, result in restFinished(job, result) }
        effects.reserveCapacity(16)
        events.reserveCapacity(16)
    }

    // MARK: - Life

    func start() {
        rest.start(name: "marketprism-rest-\(venue.rawValue)")
        lock.lock()
        let now = clock()
        stack.start(at: now)
        process(at: now)
        lock.unlock()
    }

    /// Closes the connections (going away), stops the REST worker and waits for the readers.
    func stop(timeoutNanoseconds: Int64 = 3_000_000_000) {
        lock.lock()
        stopping = true
        let open = Array(sessions.values)
        for session in open {
            // A close handshake, so the venue sees a clean "going away" and the reader ends at once.
            session.closing = true
            session.socket?.outbox.enqueue(.close(code: 1001, reason: "collector stopping"))
        }
        lock.unlock()
        rest.stop()
        for s in open { _ = s.join(timeoutNanoseconds: timeoutNanoseconds) }
        lock.lock()
        recorder?.flush()
        lock.unlock()
    }

    /// Finishes the recording file (after `stop`).
    func closeRecorder() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        return recorder?.close() ?? []
    }

    // MARK: - Inputs from the threads

    func received(_ frame: UnsafeRawBufferPointer, binary: Bool, on session: WebSocketSession, monotonic: Int64) {
        lock.lock()
        let now = clock()
        totals.frames += 1
        totals.bytes += frame.count
        lastFrameWallNs = now.nanoseconds
        recorder?.received(frame, stream: session.recordStream, wallNs: now.nanoseconds, monoNs: monotonic, binary: binary)
        receiveMono = monotonic
        stack.receive(frame: frame, on: session.id, at: now)
        process(at: now)
        receiveMono = nil
        lock.unlock()
    }

    func receivedPing(_ payload: [UInt8], on session: WebSocketSession) {
        withStack { stack, now in stack.receivedPing(session.id, payload: payload, at: now) }
    }

    /// The socket is open; false when the stack no longer wants it (closed meanwhile, or stopping).
    func connected(_ session: WebSocketSession, socket: CurlWebSocket) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping, !session.closing else { return false }
        session.socket = socket
        let now = clock()
        recorder?.connected(url: session.url, stream: session.recordStream, wallNs: now.nanoseconds, monoNs: LiveClock.monotonicNanoseconds())
        currentURL = session.url
        logger.info("connected", metadata: ["connection": "\(session.id)", "url": "\(session.url)"])
        stack.connectionEstablished(session.id, at: now)
        process(at: now)
        return true
    }

    func connectFailed(_ session: WebSocketSession, error: TransportError) {
        lock.lock()
        sessions.removeValue(forKey: session.id)
        if !session.closing && !stopping {
            let now = clock()
            logger.warning("connect failed", metadata: ["connection": "\(session.id)", "error": "\(error)"])
            let cause: DisconnectCause
            if case .timeout = error { cause = .connectTimeout } else { cause = .refused }
            stack.connectionLost(session.id, cause: cause, at: now)
            process(at: now)
        }
        lock.unlock()
    }

    /// The connection ended; `cause` nil when we ended it.
    func ended(_ session: WebSocketSession, code: UInt16?, reason: String, cause: DisconnectCause?) {
        lock.lock()
        sessions.removeValue(forKey: session.id)
        session.socket = nil
        let now = clock()
        recorder?.disconnected(stream: session.recordStream, code: code, reason: reason, wallNs: now.nanoseconds,
                               monoNs: LiveClock.monotonicNanoseconds())
        if let cause, !session.closing, !stopping {
            logger.warning("connection lost", metadata: ["connection": "\(session.id)", "reason": "\(reason)"])
            stack.connectionLost(session.id, cause: cause, at: now)
            process(at: now)
        }
        lock.unlock()
    }

    func shouldStop(_ session: WebSocketSession) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping || session.closing
    }

    private func restFinished(_ job: RestWorker.Job, _ result: Result<Live.RestResponse, TransportError>) {
        lock.lock()
        defer { lock.unlock() }
        // An answer that arrives while stopping is neither used nor recorded: the two stay consistent.
        guard !stopping else { return }
        let now = clock()
        switch result {
        case .success(let response):
            recorder?.restResponse(url: job.stackURL, method: job.request.method, status: response.status, headers: response.headers,
                                   body: response.body, wallNs: now.nanoseconds, monoNs: LiveClock.monotonicNanoseconds())
            stack.restCompleted(job.id, response: Stack.RestResponse(response), at: now)
        case .failure(let error):
            logger.warning("REST request failed", metadata: ["url": "\(job.url)", "error": "\(error)"])
            stack.restFailed(job.id, at: now)
        }
        process(at: now)
    }

    /// A timer round: run the stack's deadline if due, cut the recorder's frame, publish metrics.
    func tick() {
        lock.lock()
        let now = clock()
        if let deadline = stack.nextDeadline, deadline <= now {
            stack.tick(at: now)
            process(at: now)
        }
        recorder?.tick(wallNs: now.nanoseconds)
        lock.unlock()
    }

    /// Once a second or so: counters and latency samples to the metrics backend (outside the lock).
    func publishMetrics() {
        lock.lock()
        let snapshot = currentTotals()
        let samples = pendingLatencies
        pendingLatencies.removeAll(keepingCapacity: true)
        lock.unlock()
        metrics.update(snapshot, latencies: samples)
    }

    /// The broker's outcomes since the last poll, for the stack's broker breaker (see `BrokerLinkWatch`).
    /// Sequence 0 names no message: the stack's publisher window starts at 1 and every message the
    /// sink took is already acked there, so only the breaker hears of these.
    func brokerOutcomes(_ outcomes: BrokerLinkWatch.Outcomes) {
        lock.lock()
        defer { lock.unlock() }
        guard !stopping else { return }
        let now = clock()
        if outcomes.success && !outcomes.connected { stack.brokerAcked(sequence: 0, duplicate: false, at: now) }
        for text in outcomes.failures { stack.brokerFailed(sequence: 0, reason: .rejected(text), at: now) }
        if outcomes.success && outcomes.connected { stack.brokerAcked(sequence: 0, duplicate: false, at: now) }
        process(at: now)
    }

    /// Changes the running subscription; the recording gets the change at the very instant the stack
    /// took it, before the venue frames it causes, so a replay of the recording can follow it.
    func changeSubscription(adding: [Subscription.Entry], removing: [Subscription.Entry]) -> SubscriptionChange {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        let change = stack.changeSubscription(adding: adding, removing: removing, at: now)
        if let recorder, !change.isEmpty {
            let mono = LiveClock.monotonicNanoseconds()
            recorder.subscriptionChanged(Subscription(venue: venue, entries: change.added), subscribed: true, wallNs: now.nanoseconds, monoNs: mono)
            recorder.subscriptionChanged(Subscription(venue: venue, entries: change.removed), subscribed: false, wallNs: now.nanoseconds, monoNs: mono)
        }
        process(at: now)
        return change
    }

    /// Runs `body` on the stack under the lock with the current instant, then carries out its effects.
    func withStack<T>(_ body: (inout CollectorStack, Instant) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        let now = clock()
        let result = body(&stack, now)
        process(at: now)
        return result
    }

    /// Reads the stack under the lock.
    func read<T>(_ body: (borrowing CollectorStack) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(stack)
    }

    // MARK: - Effects

    /// Wall time for the stack, never earlier than the last instant it was given.
    @inline(__always)
    private func clock() -> Instant {
        let ns = max(LiveClock.wallNanoseconds(), lastNowNs)
        lastNowNs = ns
        return Instant(nanoseconds: ns)
    }

    /// Carries out everything the stack asked for, feeding synchronous acks back until it is quiet.
    private func process(at now: Instant) {
        while true {
            stack.takeEffects(into: &effects)
            stack.takeEvents(into: &events)
            if effects.isEmpty && events.isEmpty { break }
            for effect in effects { perform(effect, at: now) }
            for e in events { note(e) }
            let acked = acks, failed = refused
            acks.removeAll(keepingCapacity: true)
            refused.removeAll(keepingCapacity: true)
            for sequence in acked { stack.brokerAcked(sequence: sequence, duplicate: false, at: now) }
            for sequence in failed { stack.brokerFailed(sequence: sequence, reason: .rejected("sink refused"), at: now) }
        }
    }

    @inline(__always)
    private func perform(_ effect: StackEffect, at now: Instant) {
        switch effect {
        case .publish(let delivery):
            if sink.publish(delivery.message) {
                acks.append(delivery.sequence)
                published(delivery.message)
            } else {
                refused.append(delivery.sequence)
            }
        case .send(let id, let frame):
            guard let session = sessions[id], let socket = session.socket else { return }
            recorder?.sent(frame, stream: session.recordStream, wallNs: now.nanoseconds, monoNs: LiveClock.monotonicNanoseconds())
            socket.outbox.enqueue(.text(String(decoding: frame, as: UTF8.self)))
        case .pong:
            break  // CurlWebSocket answers pings as it reads them.
        case .close(let id, let code):
            guard let session = sessions[id] else { return }
            session.closing = true
            session.socket?.outbox.enqueue(.close(code: UInt16(clamping: code), reason: ""))
        case .connect(let id, let url):
            guard !stopping else { return }
            let target = replacingOrigin(of: url, with: configuration.websocketOrigin)
            let session = WebSocketSession(id: id, url: target)
            sessions[id] = session
            var options = socketOptions
            options.proxy = (try? TransportURL(target)).flatMap { try? proxyPolicy.proxy(for: $0) }
            session.start(feed: self, options: options)
        case .request(let id, let url, let request):
            rest.enqueue(RestWorker.Job(id: id, url: replacingOrigin(of: url, with: configuration.restOrigin), stackURL: url, request: request))
        }
    }

    @inline(__always)
    private func published(_ message: OutboundMessage) {
        if let start = receiveMono {
            let ns = LiveClock.monotonicNanoseconds() - start
            latency.record(ns)
            if pendingLatencies.count < 100_000 { pendingLatencies.append(ns) }
        }
        let kind = MessageKind(message)
        messageCounts[kind.rawValue] &+= 1
        if let output {
            var line = "{\"subject\":\"\(message.subject)\",\"id\":\"\(message.id)\",\"data\":"
            line += String(decoding: message.payload, as: UTF8.self)
            line += "}"
            output(line)
        }
        if kind == .orderbook {
            bookTimes.note(message)
            if observers.isActive { notifyObservers(message) }
        }
    }

    private func notifyObservers(_ message: OutboundMessage) {
        let parts = message.subject.split(separator: ".")
        guard parts.count >= 4 else { return }
        let symbol = String(parts[2])
        guard let view = bookView(symbol: symbol, depth: stack.configuration.books.publishedDepth) else { return }
        observers.notify(view)
    }

    private func note(_ e: TimedStackEvent) {
        if let output { output("{\"event\":\(Self.quoted(e.event.canonical)),\"t\":\(e.at.nanoseconds)}") }
        switch e.event {
        case .bookInvalidated(let symbol, let reason):
            totals.gaps += 1
            bookNotes[symbol, default: (0, 0, "")].detail = "\(reason)"
            logger.warning("book invalidated", metadata: ["symbol": "\(symbol)", "reason": "\(reason)"])
        case .bookSynced(let symbol, _):
            // Every sync after the first is a resync: after a gap, or after a reconnect reset the book.
            var note = bookNotes[symbol, default: (0, 0, "")]
            if note.syncs > 0 {
                totals.resyncs += 1
                note.resyncs += 1
            }
            note.syncs += 1
            bookNotes[symbol] = note
            logger.debug("book synced", metadata: ["symbol": "\(symbol)"])
        case .connectionOpened(_, let reconnect):
            if reconnect { totals.reconnects += 1 }
        case .breakerTransition(let t):
            breakerStates[t.target] = t.to.rawValue
            logger.notice("breaker", metadata: ["target": "\(t.target)", "to": "\(t.to.rawValue)"])
        case .frameError(let text):
            totals.errors += 1
            logger.debug("frame error", metadata: ["error": "\(text)"])
        case .restRetry:
            totals.restRetries += 1
        case .publisherLoss(let count, let reason):
            logger.error("publisher lost messages", metadata: ["count": "\(count)", "reason": "\(reason)"])
        case .watchdogTrip(let trip):
            logger.warning("watchdog", metadata: ["target": "\(trip.target)", "reason": "\(trip.reason)"])
        default:
            break
        }
    }

    private static func quoted(_ s: String) -> String {
        String(decoding: JSONWriter.bytes(capacity: s.utf8.count + 2) { $0.string(s) }, as: UTF8.self)
    }

    // MARK: - Reading state (under the lock)

    private func currentTotals() -> FeedTotals {
        var t = totals
        for kind in MessageKind.allCases where messageCounts[kind.rawValue] > 0 {
            t.messagesByKind[kind.name] = messageCounts[kind.rawValue]
        }
        t.connected = sessions.values.contains { $0.socket != nil && !$0.closing }
        t.booksValid = 0
        t.booksInvalid = 0
        let subscribed = Set(stack.subscription.entries.filter { $0.channel == .book }.flatMap(\.instruments))
        for b in stack.books where subscribed.contains(b.instrument.native) {
            if b.isValid { t.booksValid += 1 } else { t.booksInvalid += 1 }
        }
        let limit = stack.reliabilityReport.rateLimit
        t.limiterUsed = limit.maxWindowUsed
        t.limiterLimit = limit.limit
        t.breakerStates = breakerStates
        return t
    }

    func bookView(symbol: String, depth: Int) -> OrderBookView? {
        guard let slot = stack.books.first(where: { $0.instrument.symbol == symbol || $0.instrument.native == symbol }),
            slot.isValid, let book = slot.book
        else { return nil }
        let top = book.top(max(0, depth))
        let times = bookTimes.times(native: slot.instrument.native)
        return OrderBookView(
            exchange: venue.rawValue, symbol: slot.instrument.symbol, sequence: slot.sequence, exchangeTimeNs: times?.exchangeNs,
            receiveTimeNs: times?.receiveNs,
            bids: top.bids.map { PriceLevelView(price: $0.price.description, quantity: $0.size.description) },
            asks: top.asks.map { PriceLevelView(price: $0.price.description, quantity: $0.size.description) })
    }

    func orderBook(symbol: String, depth: Int) -> OrderBookView? {
        lock.lock()
        defer { lock.unlock() }
        return bookView(symbol: symbol, depth: depth)
    }

    func status() -> VenueStatus {
        lock.lock()
        defer { lock.unlock() }
        let t = currentTotals()
        let mono = LiveClock.monotonicNanoseconds()
        if mono - rateWindow.mono >= 1_000_000_000 {
            let elapsed = Double(mono - (rateWindow.mono == 0 ? startedMono : rateWindow.mono)) / 1e9
            rateWindow = (mono, t.frames, elapsed > 0 ? Double(t.frames - rateWindow.frames) / elapsed : 0)
        }
        let subscribed = stack.subscription.entries.filter { $0.channel == .book }.flatMap(\.instruments)
        let books: [BookStatus] = stack.books.filter { subscribed.contains($0.instrument.native) }.map { b in
            let note = bookNotes[b.instrument.symbol]
            let state = b.isValid ? "valid" : (note?.detail.isEmpty ?? true) ? "syncing" : "invalid"
            return BookStatus(
                symbol: b.instrument.symbol, state: state, sequence: b.sequence, bidLevels: b.book?.bidCount ?? 0,
                askLevels: b.book?.askCount ?? 0, resyncs: note?.resyncs ?? 0, detail: b.isValid ? "" : note?.detail ?? "")
        }
        var subscriptions: [String: [String]] = [:]
        for e in stack.subscription.entries { subscriptions["\(e.channel)", default: []] += e.instruments }
        for k in subscriptions.keys { subscriptions[k]!.sort() }
        let limit = stack.reliabilityReport.rateLimit
        return VenueStatus(
            exchange: venue.rawValue, connected: t.connected, connectionURL: currentURL,
            reconnects: t.reconnects, framesReceived: t.frames, framesPerSecond: rateWindow.rate,
            messagesPublished: t.messagesByKind.values.reduce(0, +), gaps: t.gaps, resyncs: t.resyncs, books: books,
            breakers: breakerStates.keys.sorted().map { BreakerStatus(target: $0, state: breakerStates[$0]!) },
            limiters: [LimiterStatus(target: "\(venue.rawValue).rest", used: limit.maxWindowUsed, limit: limit.limit)],
            subscriptions: subscriptions)
    }

    /// Why this feed is not healthy; empty when it is.
    func healthReasons(nowWallNs: Int64) -> [HealthReason] {
        lock.lock()
        defer { lock.unlock() }
        var reasons: [HealthReason] = []
        let exchange = venue.rawValue
        let open = sessions.values.filter { $0.socket != nil && !$0.closing }.sorted { $0.id < $1.id }
        if open.isEmpty {
            reasons.append(HealthReason(exchange: exchange, stream: "websocket", problem: "disconnected", detail: currentURL))
        } else if let last = lastFrameWallNs, nowWallNs - last > stack.configuration.reliability.staleAfter.value {
            reasons.append(HealthReason(exchange: exchange, stream: "\(open[0].id)", problem: "stale_feed",
                                        detail: "no frame for \((nowWallNs - last) / 1_000_000) ms"))
        }
        let subscribed = stack.subscription.entries.filter { $0.channel == .book }.flatMap(\.instruments)
        for b in stack.books where subscribed.contains(b.instrument.native) && !b.isValid {
            reasons.append(HealthReason(exchange: exchange, stream: b.instrument.symbol, problem: "book_invalid",
                                        detail: bookNotes[b.instrument.symbol]?.detail ?? "\(b.state)"))
        }
        for target in breakerStates.keys.sorted() where breakerStates[target] == "open" {
            reasons.append(HealthReason(exchange: exchange, stream: target, problem: "breaker_open"))
        }
        return reasons
    }

    var recordingStatus: RecordingStatus? {
        lock.lock()
        defer { lock.unlock() }
        guard let recorder else { return nil }
        let directory = (recorder.path as NSString).deletingLastPathComponent
        return RecordingStatus(directory: directory, currentFile: recorder.currentFile, records: recorder.records,
                               bytesIn: Int(recorder.rawBytes), bytesOut: Int(recorder.bytesOut))
    }

    var recorderFailure: String? {
        lock.lock()
        defer { lock.unlock() }
        return recorder?.failure.map { "\($0)" }
    }

    var latencySnapshot: LatencyHistogram {
        lock.lock()
        defer { lock.unlock() }
        return latency
    }

    var frameTotals: (frames: Int, bytes: Int, gaps: Int) {
        lock.lock()
        defer { lock.unlock() }
        return (totals.frames, totals.bytes, totals.gaps)
    }
}

/// Who wants to hear of every published book (the API's /ws/orderbook).
final class BookObservers: @unchecked Sendable {
    private let lock = NSLock()
    private var handlers: [Int: @Sendable (OrderBookView) -> Void] = [:]
    private var next = 0
    private var active = false

    var isActive: Bool {
        lock.lock()
        defer { lock.unlock() }
        return active
    }

    func add(_ handler: @escaping @Sendable (OrderBookView) -> Void) -> Int {
        lock.lock()
        defer { lock.unlock() }
        next += 1
        handlers[next] = handler
        active = true
        return next
    }

    func remove(_ token: Int) {
        lock.lock()
        handlers.removeValue(forKey: token)
        active = !handlers.isEmpty
        lock.unlock()
    }

    func notify(_ view: OrderBookView) {
        lock.lock()
        let list = handlers.keys.sorted().map { handlers[$0]! }
        lock.unlock()
        for h in list { h(view) }
    }
}
