import Books
import Exchanges
import Model
import Publishing
import Reliability

/// The collector for one venue feed as a single sans-IO component: venue adapter, per-instrument
/// book sync, reliability (reconnect supervision, watchdogs, rate limiting, breakers, retries) and
/// the publisher core. The live driver and the simulation driver run this same type.
///
/// Drivers call one input method per happening, passing the current instant, then drain
/// `effects` (what to do) and `events` (what happened, for the canonical output and the report).
/// When `nextDeadline` passes they call `tick(at:)`.
public struct CollectorStack {
    public let configuration: StackConfiguration
    public internal(set) var adapter: AnyVenueAdapter
    public internal(set) var books: [AnyBookSync] = []
    var bookIndex: [String: Int] = [:]
    /// Per book slot, the venue sequence of the last book published.
    var lastPublishedSequence: [Int64?] = []
    /// Per book slot, the encoder that copies unchanged level text from the slot's previous message.
    var bookEncoders: [IncrementalBookEncoder] = []
    public private(set) var publisher: PublisherCore
    var supervisor: ReconnectSupervisor
    var fetcher: SnapshotFetcher
    private var brokerBreaker: CircuitBreaker
    private var connections: [LiveConnection] = []
    private var seenSupervisorTransitions = 0
    var nextJSONRPCId: Int64 = 5_000_000
    /// In-flight REST requests by id, to route answers.
    private var requests: [RequestID: RestRequest] = [:]
    private var publisherTickDue: Instant?

    /// Effects to carry out, in order. Drivers take them with `takeEffects()`.
    public internal(set) var effects: [StackEffect] = []
    /// Events to log, in order. Drivers take them with `takeEvents()`.
    public private(set) var events: [TimedStackEvent] = []
    public internal(set) var counters = StackCounters()

    // Reused scratch buffers: the hot path allocates nothing per frame.
    private var outputs: [AdapterOutput] = []
    var bookEffects: [BookSyncEffect] = []
    private var publisherEffects: [PublisherCore.Effect] = []
    /// True while a frame is handled: only then may a message skip the core's effects (see `publish`).
    private var publishingAtOnce = false
    /// Where in `effects` the frame's first delivery sent at once went.
    private var firstFrameDelivery: Int?
    /// With `StackConfiguration.holdsFrameDeliveries`: the messages the last frame sent at once, in
    /// order, with window sequences `frameDeliveriesFirst`, `+ 1`, ... After the frame's effects a
    /// driver writes them (reading them here) and, when every write succeeded, calls
    /// `settleFrameDeliveries(at:)`; otherwise it takes them with `takeFrameDeliveries(into:)` and
    /// settles them as `.publish` effects (`brokerAcked` or `brokerFailed` per sequence). While
    /// they are held, the publisher core usually only counts them (`PublisherCore.sendUnstored`).
    public private(set) var frameDeliveries: [OutboundMessage] = []
    public private(set) var frameDeliveriesFirst: UInt64 = 0
    /// When the publisher core counts `frameDeliveries` without storing them
    /// (`PublisherCore.sendUnstored`): the frame's instant, their send time once stored.
    private var unstoredSentAt = Instant.zero
    /// The published book's levels, refilled for every book (swapped with the slot encoder's previous ones).
    var topBids: [BookLevel] = []
    var topAsks: [BookLevel] = []

    struct LiveConnection {
        var id: ConnectionID
        var keepalive: KeepaliveWatchdog
        var stale: StaleFeedWatchdog
        var feed: StaleFeedWatchdog.StreamHandle
    }

    public init(configuration: StackConfiguration) {
        self.configuration = configuration
        var random = SeededRandom(seed: configuration.seed)
        adapter = AnyVenueAdapter(subscription: configuration.subscription, catalog: configuration.catalog)
        publisher = PublisherCore(
            configuration: configuration.publisher,
            encoder: MessageEncoder(configuration: .init(orderbookDepth: configuration.books.publishedDepth)))
        let venue = configuration.venue.rawValue
        supervisor = ReconnectSupervisor(
            target: "\(venue).ws", stream: 0, policy: configuration.reliability.reconnect, random: random.fork(),
            breaker: configuration.reliability.websocketBreaker)
        fetcher = SnapshotFetcher(
            venue: configuration.reliability, target: "\(venue).rest.depth", timeout: configuration.restTimeout,
            random: random.fork())
        brokerBreaker = CircuitBreaker(target: "broker", policy: configuration.broker.breaker)
        for native in configuration.subscription.entries.filter({ $0.channel == .book }).flatMap(\.instruments) {
            if let instrument = configuration.catalog.instrument(native: native) { _ = bookSlot(for: instrument) }
        }
        outputs.reserveCapacity(16)
        bookEffects.reserveCapacity(8)
    }

    // MARK: - Inputs

    /// Starts connecting.
    public mutating func start(at now: Instant) {
        storeUnstoredDeliveries()
        publisher.handle(.connected, at: now, into: &publisherEffects)
        drainPublisher(at: now)
        runSupervisor(supervisor.start(at: now), at: now)
    }

    /// The websocket `id` is open.
    public mutating func connectionEstablished(_ id: ConnectionID, at now: Instant) {
        storeUnstoredDeliveries()
        runSupervisor(supervisor.established(id, at: now), at: now)
    }

    /// The websocket `id` failed to open or was closed by the peer or the network.
    public mutating func connectionLost(_ id: ConnectionID, cause: DisconnectCause, at now: Instant) {
        storeUnstoredDeliveries()
        let wasPrimary = supervisor.current == id
        dropConnection(id)
        runSupervisor(supervisor.lost(id, cause: cause, at: now), at: now)
        if wasPrimary && supervisor.current == nil { resetBooks(at: now) }
    }

    /// A websocket ping control frame arrived; the pong goes out at once.
    public mutating func receivedPing(_ id: ConnectionID, payload: [UInt8], at now: Instant) {
        storeUnstoredDeliveries()
        guard let c = connectionIndex(id) else { return }
        effects.append(.pong(id, payload))
        let out = connections[c].keepalive.received(.serverPing, at: now)
        runWatchdog(out, connection: id, at: now)
    }

    /// A websocket text frame arrived on `id`. The hot path.
    public mutating func receive(frame: UnsafeRawBufferPointer, on id: ConnectionID, at now: Instant) {
        storeUnstoredDeliveries()
        guard let c = connectionIndex(id) else {
            counters.framesOnClosedConnections += 1
            return
        }
        counters.frames += 1
        connections[c].stale.received(connections[c].feed, at: now)
        connections[c].keepalive.receivedData(at: now)  // `received(.data)`: never an effect
        let primary = supervisor.current == id
        publishingAtOnce = configuration.publishesAtOnce
        adapter.parse(frame: frame, receivedAt: now, into: &outputs)
        // Outputs are moved out of the scratch array, not copied (a copy retains every array and
        // string in the event), and the array is left empty for the next frame.
        // `removeLast`, not `popLast`: an optional of the ~280-byte output was one more copy.
        if outputs.count > 1 { outputs.reverse() }
        while !outputs.isEmpty {
            handle(outputs.removeLast(), on: id, primary: primary, at: now)
        }
        publishingAtOnce = false
        // Held deliveries go after every effect of the frame; core deliveries of the same frame come
        // after them, so then they all go back into `effects` in that order (the effects path).
        if !frameDeliveries.isEmpty && !publisherEffects.isEmpty { releaseFrameDeliveries() }
        let firstDelivery = firstFrameDelivery
        firstFrameDelivery = nil
        // One effect from the first delivery on is that delivery: nothing to reorder.
        if let firstDelivery, effects.count > firstDelivery &+ 1 { orderDeliveriesLast(from: firstDelivery) }
        // Deliveries sent at once count as the core effects they replace.
        if !publisherEffects.isEmpty || firstDelivery != nil || !frameDeliveries.isEmpty { drainPublisher(at: now) }
        pumpRest(at: now)
    }

    /// Moves the held deliveries of the last frame into `buffer` (cleared first); returns the window
    /// sequence of the first.
    public mutating func takeFrameDeliveries(into buffer: inout [OutboundMessage]) -> UInt64 {
        storeUnstoredDeliveries()
        if !buffer.isEmpty { buffer.removeAll(keepingCapacity: true) }
        swap(&buffer, &frameDeliveries)
        return frameDeliveriesFirst
    }

    /// The held deliveries as the `.publish` effects `publish` makes without holding, at the end of
    /// `effects` (where `orderDeliveriesLast` puts them).
    @inline(never)
    private mutating func releaseFrameDeliveries() {
        storeUnstoredDeliveries()
        if firstFrameDelivery == nil { firstFrameDelivery = effects.count }
        var sequence = frameDeliveriesFirst
        for message in frameDeliveries {
            effects.append(.publish(PublisherCore.Delivery(sequence: sequence, message: message, attempt: 1)))
            sequence &+= 1
        }
        frameDeliveries.removeAll(keepingCapacity: true)
    }

    public mutating func receive(frame: [UInt8], on id: ConnectionID, at now: Instant) {
        frame.withUnsafeBytes { receive(frame: $0, on: id, at: now) }
    }

    /// Every held delivery of the last frame was written and stored, in order: the same as
    /// `takeFrameDeliveries` followed by `brokerAcked(from:count:at:)` for all of them. Usually the
    /// publisher core only counted them (`PublisherCore.sendUnstored`), so nothing leaves its window.
    public mutating func settleFrameDeliveries(at now: Instant) {
        let count = frameDeliveries.count
        guard count > 0 else { return }
        if publisher.unstoredCount > 0 {
            // What `brokerAcked(from:count:)` does when the core acks the window's head in one step.
            publisher.settleUnstored(at: now)
            brokerBreaker.recordSuccesses(count, at: now)
            collectBrokerTransitions()
            drainPublisher(at: now)
        } else {
            brokerAcked(from: frameDeliveriesFirst, count: count, at: now)
        }
        while !frameDeliveries.isEmpty { frameDeliveries.removeLast() }
    }

    /// Held deliveries the core only counted become its window entries: every input but
    /// `settleFrameDeliveries` needs them there.
    @inline(__always)
    private mutating func storeUnstoredDeliveries() {
        if publisher.unstoredCount > 0 { storeUnstored() }
    }

    @inline(never)
    private mutating func storeUnstored() {
        publisher.storeUnstored(frameDeliveries, sentAt: unstoredSentAt)
    }

    /// A REST request finished with an HTTP response.
    public mutating func restCompleted(_ id: RequestID, response: RestResponse, at now: Instant) {
        storeUnstoredDeliveries()
        guard let request = requests.removeValue(forKey: id) else { return }
        let outcome = fetcher.completed(id, response, at: now)
        handleRestOutcome(outcome, request: request, at: now)
        collectFetcherTransitions(at: now)
        pumpRest(at: now)
    }

    /// A REST request failed without a response (timeout, connection error).
    public mutating func restFailed(_ id: RequestID, at now: Instant) {
        storeUnstoredDeliveries()
        guard let request = requests.removeValue(forKey: id) else { return }
        handleRestOutcome(fetcher.failedTransport(id, at: now), request: request, at: now)
        collectFetcherTransitions(at: now)
        pumpRest(at: now)
    }

    /// The broker stored message `sequence` (or had it already, `duplicate`).
    public mutating func brokerAcked(sequence: UInt64, duplicate: Bool, at now: Instant) {
        storeUnstoredDeliveries()
        acknowledge(sequence, duplicate: duplicate, at: now)
        drainPublisher(at: now)
    }

    /// The broker stored these messages, in this order: the same as `brokerAcked(sequence:)` for each,
    /// with the publisher's effects collected once unless an ack gives some (then they are collected
    /// right away, as one by one would). A driver that settles a batch of deliveries at once uses it.
    public mutating func brokerAcked(sequences: [UInt64], duplicate: Bool = false, at now: Instant) {
        storeUnstoredDeliveries()
        for sequence in sequences {
            acknowledge(sequence, duplicate: duplicate, at: now)
            if !publisherEffects.isEmpty { drainPublisher(at: now) }
        }
        // Without effects acks only shrink the window, so its final state sets the ack deadline as
        // the last single ack would.
        drainPublisher(at: now)
    }

    /// The broker stored messages `first`, `first + 1`, ... (`count` of them), in this order: the same
    /// as `brokerAcked(sequences:)` with those sequences, without the driver building the array.
    public mutating func brokerAcked(from first: UInt64, count: Int, at now: Instant) {
        storeUnstoredDeliveries()
        // The usual case (the window's oldest messages, nothing waiting) in one step.
        if publisher.acknowledgedHead(from: first, count: count, at: now) {
            brokerBreaker.recordSuccesses(count, at: now)
            collectBrokerTransitions()
            drainPublisher(at: now)
            return
        }
        var sequence = first
        for _ in 0..<count {
            acknowledge(sequence, duplicate: false, at: now)
            if !publisherEffects.isEmpty { drainPublisher(at: now) }
            sequence &+= 1
        }
        drainPublisher(at: now)
    }

    /// One broker ack: a success for the broker's breaker, and the core's window moves on.
    private mutating func acknowledge(_ sequence: UInt64, duplicate: Bool, at now: Instant) {
        brokerBreaker.recordSuccess(at: now)
        collectBrokerTransitions()
        publisher.acknowledged(sequence: sequence, duplicate: duplicate, at: now, into: &publisherEffects)
    }

    /// Publishing message `sequence` failed; it and later ones will be resent with the same ids.
    public mutating func brokerFailed(sequence: UInt64, reason: PublisherCore.FailureReason, at now: Instant) {
        storeUnstoredDeliveries()
        brokerBreaker.recordFailure(at: now)
        collectBrokerTransitions()
        publisher.handle(.failed(sequence: sequence, reason: reason), at: now, into: &publisherEffects)
        drainPublisher(at: now)
    }

    /// The broker connection went up or down.
    public mutating func brokerConnectivity(up: Bool, at now: Instant) {
        storeUnstoredDeliveries()
        publisher.handle(up ? .connected : .disconnected, at: now, into: &publisherEffects)
        drainPublisher(at: now)
    }

    /// Time passed: run whatever deadline is due.
    public mutating func tick(at now: Instant) {
        storeUnstoredDeliveries()
        runSupervisor(supervisor.tick(at: now), at: now)
        var c = 0
        while c < connections.count {
            let id = connections[c].id
            let keep = connections[c].keepalive.tick(at: now)
            let stale = connections[c].stale.tick(at: now)
            collectTrips(c)
            runWatchdog(keep + stale, connection: id, at: now)
            c += 1
        }
        for id in fetcher.expired(at: now) {
            if requests.removeValue(forKey: id) != nil {
                handleRestOutcome(fetcher.failedTransport(id, at: now), request: nil, at: now)
            }
        }
        collectFetcherTransitions(at: now)
        pumpRest(at: now)
        if let due = publisherTickDue, due <= now {
            publisherTickDue = nil
            publisher.handle(.tick, at: now, into: &publisherEffects)
            drainPublisher(at: now)
        }
    }

    /// `nextDeadline`, read in place: a call of a getter that is not inlined passes the whole stack
    /// (several KB) by value, a copy per call; a mutating method gets its address.
    @inline(never)
    public mutating func nextDeadlineInPlace() -> Instant? {
        earliestDeadline(from: supervisor.nextDeadlineInPlace())
    }

    /// The earliest instant at which `tick` has work to do.
    public var nextDeadline: Instant? { earliestDeadline(from: supervisor.nextDeadline) }

    /// The earliest of `first` (the supervisor's deadline) and every other part's.
    @inline(__always)
    private func earliestDeadline(from first: Instant?) -> Instant? {
        var next = first
        func consider(_ t: Instant?) {
            if let t, next.map({ t < $0 }) ?? true { next = t }
        }
        for c in connections.indices {
            consider(connections[c].keepalive.nextDeadline)
            consider(connections[c].stale.nextDeadline)
        }
        consider(fetcher.nextDeadline)
        consider(publisherTickDue)
        return next
    }

    public mutating func takeEffects() -> [StackEffect] {
        defer { effects.removeAll(keepingCapacity: true) }
        return effects
    }

    public mutating func takeEvents() -> [TimedStackEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    /// Moves effects into `buffer` (cleared first) without allocating on the hot path.
    public mutating func takeEffects(into buffer: inout [StackEffect]) {
        // Emptying an empty array still costs a generic call per frame.
        if !buffer.isEmpty { buffer.removeAll(keepingCapacity: true) }
        swap(&buffer, &effects)
    }

    public mutating func takeEvents(into buffer: inout [TimedStackEvent]) {
        if !buffer.isEmpty { buffer.removeAll(keepingCapacity: true) }
        swap(&buffer, &events)
    }

    // MARK: - Reading state

    /// The book of an instrument by native name, if it is valid.
    public func validBook(native: String) -> OrderBook? {
        guard let i = bookIndex[native], books[i].isValid else { return nil }
        return books[i].book
    }

    public var reliabilityReport: ReliabilityReport {
        var transitions = supervisor.breaker?.transitions ?? []
        transitions += fetcherTransitionsLog + brokerTransitionsLog
        return ReliabilityReport(
            breakerTransitions: ReliabilityReport.ordered(transitions), rateLimit: fetcher.limiterStats,
            retries: fetcher.retries, reconnects: supervisor.stats.reconnects, watchdogTrips: counters.watchdogTrips)
    }

    private var fetcherTransitionsLog: [BreakerTransition] = []
    private var brokerTransitionsLog: [BreakerTransition] = []

    // MARK: - Frames

    @inline(__always)
    private mutating func handle(_ output: consuming AdapterOutput, on id: ConnectionID, primary: Bool, at now: Instant) {
        // One match on both levels: matching the event, then its case, copied the event once more.
        switch consume output {
        case .event(.book(let update)):
            applyBook(update, at: now)
        case .event(let event):
            // Encoded from the event itself: a `PublishableEvent` made of it moved it again.
            if primary, let message = publisher.encode(event) {
                counters.eventsPublished += 1
                publish(message, at: now)
            }
        case .subscribed:
            counters.subscribeAcks += 1
        case .subscribeError(let code, let message):
            log(.subscribeError(code: code, message: message), at: now)
        case .pong:
            if let c = connectionIndex(id) { runWatchdog(connections[c].keepalive.received(.pong, at: now), connection: id, at: now) }
        case .replyRequired(let frame):
            effects.append(.send(id, frame))
            if let c = connectionIndex(id) {
                // The adapter already built the answer; the watchdog only needs to know it was asked.
                _ = connections[c].keepalive.received(.testRequest, at: now)
            }
        case .heartbeat:
            if let c = connectionIndex(id) { _ = connections[c].keepalive.received(.heartbeat, at: now) }
        case .response, .notice:
            break
        case .error(let error):
            counters.frameErrors += 1
            log(.frameError("\(error)"), at: now)
        }
    }

    mutating func resubscribe(_ instrument: Instrument, at now: Instant) {
        guard let id = supervisor.current else { return }
        let frames: [[UInt8]]
        switch adapter {
        case .okx(let a): frames = a.bookResubscribeFrames(for: instrument)
        case .deribit(let a):
            frames = a.bookResubscribeFrames(for: instrument, requestId: nextJSONRPCId)
            nextJSONRPCId += 2
        case .binance, .binanceFutures: frames = []  // REST-snapshot venues resync without resubscribing.
        }
        for f in frames { effects.append(.send(id, f)) }
    }

    // MARK: - REST

    /// Runs after every input: the common "nothing to do" check stays inline at the caller.
    @inline(__always)
    private mutating func pumpRest(at now: Instant) {
        if fetcher.hasWork { pumpFetcher(at: now) }
    }

    @inline(never)
    private mutating func pumpFetcher(at now: Instant) {
        var out: [(RequestID, RestRequest)] = []
        fetcher.pump(at: now, into: &out)
        for (id, request) in out {
            requests[id] = request
            let url = configuration.restBaseURLOverride.map { $0 + request.pathAndQuery } ?? request.url
            effects.append(.request(id, url: url, request))
        }
    }

    private mutating func handleRestOutcome(_ outcome: SnapshotFetcher.Outcome, request: RestRequest?, at now: Instant) {
        switch outcome {
        case .snapshot(let instrument, let body):
            let parsed = body.withUnsafeBytes { adapter.parseSnapshot(body: $0, instrument: instrument, receivedAt: now) }
            let i = bookSlot(for: instrument)
            switch parsed {
            case .success(let snapshot):
                bookEffects.removeAll(keepingCapacity: true)
                books[i].handle(.snapshot(snapshot), at: now, into: &bookEffects)
                runBookEffects(slot: i, at: now)
                drainPublisher(at: now)
            case .failure(let error):
                counters.frameErrors += 1
                log(.frameError("snapshot \(instrument.native): \(error)"), at: now)
                if let request {
                    handleRestOutcome(fetcher.rejectBody(of: instrument, request: request, at: now), request: nil, at: now)
                }
            }
        case .retrying(let instrument, let status, let attempt):
            counters.restRetries += 1
            log(.restRetry(symbol: instrument.symbol, status: status, attempt: attempt), at: now)
        case .restarted(let instrument, let status):
            log(.restGaveUp(symbol: instrument.symbol, status: status), at: now)
        case .unknown:
            break
        }
    }

    private mutating func collectFetcherTransitions(at now: Instant) {
        for t in fetcher.takeBreakerTransitions() {
            fetcherTransitionsLog.append(t)
            log(.breakerTransition(t), at: t.at)
        }
    }

    /// Every ack records a success: the common empty log is checked inline.
    @inline(__always)
    private mutating func collectBrokerTransitions() {
        if !brokerBreaker.transitions.isEmpty { logBrokerTransitions() }
    }

    @inline(never)
    private mutating func logBrokerTransitions() {
        for t in brokerBreaker.takeTransitions() {
            brokerTransitionsLog.append(t)
            log(.breakerTransition(t), at: t.at)
        }
    }

    // MARK: - Publisher

    /// Publishes one message. While a frame is handled, a message the core sends at once (nothing
    /// waits, see `PublisherCore.sendAtOnce`) becomes a `.publish` effect straight away instead of
    /// a core effect converted later; `orderDeliveriesLast` then restores the order the conversion
    /// gives (other effects of the frame first, then its deliveries).
    mutating func publish(_ message: OutboundMessage, at now: Instant) {
        if publishingAtOnce && publisherEffects.isEmpty {
            if configuration.holdsFrameDeliveries {
                // The core counts the message and the stack holds it: no window entry until an input
                // needs one (`storeUnstoredDeliveries`); usually `settleFrameDeliveries` comes first.
                if frameDeliveries.count == publisher.unstoredCount,
                    let sequence = publisher.sendUnstored(size: message.size, at: now)
                {
                    if frameDeliveries.isEmpty {
                        frameDeliveriesFirst = sequence
                        unstoredSentAt = now
                    }
                    frameDeliveries.append(message)
                    return
                }
                storeUnstoredDeliveries()
                if let delivery = publisher.sendAtOnce(message, at: now) {
                    if frameDeliveries.isEmpty { frameDeliveriesFirst = delivery.sequence }
                    frameDeliveries.append(delivery.message)
                    return
                }
            } else if let delivery = publisher.sendAtOnce(message, at: now) {
                if firstFrameDelivery == nil { firstFrameDelivery = effects.count }
                effects.append(.publish(delivery))
                return
            }
        }
        storeUnstoredDeliveries()
        publisher.handle(.publishEncoded(message), at: now, into: &publisherEffects)
    }

    /// Moves the frame's deliveries (from `first` on) after the other effects the frame gave, both in
    /// their own order: where `drainPublisher` would have put them at the end of the frame.
    private mutating func orderDeliveriesLast(from first: Int) {
        var interleaved = false
        for i in first..<effects.count {
            if case .publish = effects[i] { continue }
            interleaved = true
            break
        }
        guard interleaved else { return }
        var others: [StackEffect] = []
        var deliveries: [StackEffect] = []
        for effect in effects[first...] {
            if case .publish = effect { deliveries.append(effect) } else { others.append(effect) }
        }
        effects.replaceSubrange(first..., with: others + deliveries)
    }

    private mutating func drainPublisher(at now: Instant) {
        if !publisherEffects.isEmpty { convertPublisherEffects(at: now) }
        if publisher.windowCount > 0 {
            if publisherTickDue == nil { publisherTickDue = now + configuration.publisher.ackTimeout }
        } else {
            publisherTickDue = nil
        }
    }

    private mutating func convertPublisherEffects(at now: Instant) {
        for effect in publisherEffects {
            switch effect {
            case .send(let delivery):
                effects.append(.publish(delivery))
            case .lost(let count, let reason):
                counters.publisherLost += count
                log(.publisherLoss(count: count, reason: "\(reason)"), at: now)
            case .notice(let notice):
                switch notice {
                case .outageBegan(_, let buffered): log(.brokerOutage(began: true, buffered: buffered), at: now)
                case .outageEnded(_, _, let buffered): log(.brokerOutage(began: false, buffered: buffered), at: now)
                case .spoolEngaged, .spoolDrained, .sendFailed, .spoolReadFailed: break
                }
            }
        }
        publisherEffects.removeAll(keepingCapacity: true)
    }

    // MARK: - Connections

    private func connectionIndex(_ id: ConnectionID) -> Int? {
        // At most two connections (during a rotation), so a scan beats a dictionary.
        if let first = connections.first, first.id == id { return 0 }
        return connections.firstIndex { $0.id == id }
    }

    private mutating func dropConnection(_ id: ConnectionID) {
        guard let c = connectionIndex(id) else { return }
        collectTrips(c)
        connections.remove(at: c)
    }

    private mutating func runSupervisor(_ out: [SupervisorEffect], at now: Instant) {
        for effect in out {
            switch effect {
            case .connect(let id):
                effects.append(.connect(id, url: configuration.websocketURLOverride ?? adapter.websocketURL))
            case .subscribe(let id):
                var stale = StaleFeedWatchdog(target: "\(configuration.venue.rawValue).\(id)")
                let feed = stale.watch(stream: "feed", staleAfter: configuration.reliability.staleAfter, at: now)
                var keepalive = KeepaliveWatchdog(
                    target: "\(configuration.venue.rawValue).\(id)", mode: configuration.reliability.keepalive)
                _ = keepalive.start(at: now)  // Deribit's set_heartbeat is among the adapter's connect frames.
                connections.append(LiveConnection(id: id, keepalive: keepalive, stale: stale, feed: feed))
                for frame in adapter.connectFrames() { effects.append(.send(id, frame)) }
            case .resyncBooks:
                resetBooks(at: now)
            case .close(let id, _):
                dropConnection(id)
                effects.append(.close(id, code: 1000))
            case .report(let report):
                switch report {
                case .connected(let id, let reconnect):
                    counters.connects += 1
                    log(.connectionOpened(id, reconnect: reconnect), at: now)
                case .lost(let id, let cause):
                    log(.connectionLost(id, cause: cause), at: now)
                case .backingOff(let attempt, let until):
                    log(.connectionBackoff(attempt: attempt, untilNs: until.nanoseconds), at: now)
                case .breakerOpen:
                    break
                case .rotationStarted(let old, let new):
                    log(.rotation(old: old, new: new, completed: false), at: now)
                case .rotationCompleted(let old, let new):
                    log(.rotation(old: old, new: new, completed: true), at: now)
                case .rotationFailed(let old, let new, _):
                    log(.rotation(old: old, new: new, completed: false), at: now)
                }
            }
        }
        let transitions = supervisor.breaker?.transitions ?? []
        while seenSupervisorTransitions < transitions.count {
            log(.breakerTransition(transitions[seenSupervisorTransitions]), at: now)
            seenSupervisorTransitions += 1
        }
    }

    /// Without a live connection no book can be trusted: every book starts over from nothing.
    private mutating func resetBooks(at now: Instant) {
        for i in books.indices {
            fetcher.cancelQueued(for: books[i].instrument)
            bookEffects.removeAll(keepingCapacity: true)
            books[i].handle(.reset, at: now, into: &bookEffects)
            runBookEffects(slot: i, at: now)
        }
    }

    private mutating func runWatchdog(_ out: [WatchdogEffect], connection id: ConnectionID, at now: Instant) {
        for effect in out {
            switch effect {
            case .sendPing:
                if case .okx = adapter { effects.append(.send(id, Array("ping".utf8))) }
            case .sendPong, .enableHeartbeat, .answerTestRequest:
                break  // Pongs go out in `receivedPing`; adapters build heartbeat frames and answers.
            case .reconnect(let reason):
                if let c = connectionIndex(id) { collectTrips(c) }
                let wasPrimary = supervisor.current == id
                runSupervisor(supervisor.requestReconnect(id, reason: reason, at: now), at: now)
                if wasPrimary && supervisor.current == nil { resetBooks(at: now) }
            }
        }
    }

    private mutating func collectTrips(_ c: Int) {
        for trip in connections[c].keepalive.takeTrips() + connections[c].stale.takeTrips() {
            counters.watchdogTrips += 1
            log(.watchdogTrip(trip), at: trip.at)
        }
    }

    @inline(__always)
    mutating func log(_ event: StackEvent, at now: Instant) {
        events.append(TimedStackEvent(at: now, event: event))
    }
}

/// Running totals of what the stack processed.
public struct StackCounters: Sendable, Equatable {
    public var frames = 0
    public var framesOnClosedConnections = 0
    public var frameErrors = 0
    public var subscribeAcks = 0
    public var eventsPublished = 0
    public var booksPublished = 0
    public var bookBreaks = 0
    public var snapshotsRequested = 0
    public var restRetries = 0
    public var connects = 0
    public var watchdogTrips = 0
    public var publisherLost = 0

    public init() {}
}
