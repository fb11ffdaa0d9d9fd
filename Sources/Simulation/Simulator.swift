import ConfigSupport
import Books
import Exchanges
import Model
import Publishing
import Recording
import Reliability
import Stack

/// Knobs of a replay that are not part of the scenario's story.
public struct SimulationOptions {
    public var books: BookSyncConfiguration
    public var okxProtocol: OKXBookProtocol
    /// Keep the truth books and check invariants; off only for pure throughput measurements.
    public var oracle: Bool
    public var connectLatency: Nanoseconds
    public var restLatency: Nanoseconds
    public var ackLatency: Nanoseconds
    /// Interval of Binance's server pings and Deribit's heartbeats in the simulated exchange.
    public var serverPingInterval: Nanoseconds?
    /// Receives each line of the canonical output (NDJSON), in order.
    public var output: ((String) -> Void)?
    /// Receives each message as the simulated broker stores it, in stream order (the `--nats` sink).
    public var stored: ((OutboundMessage) -> Void)?
    /// Called now and then with frames done and total, for a progress display.
    public var progress: ((Int, Int) -> Void)?
    /// Wall-clock nanoseconds, for pacing and the report's throughput; never reaches the output.
    public var wallClock: () -> Int64
    /// CPU nanoseconds of the replaying thread, for the report's CPU throughput; never reaches the output.
    public var cpuClock: (() -> Int64)? = SimulationOptions.threadCPUNanoseconds

    /// `CLOCK_THREAD_CPUTIME_ID`: the time this thread ran, whatever else the machine did.
    public static func threadCPUNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public init(
        books: BookSyncConfiguration = .standard, okxProtocol: OKXBookProtocol = .auto, oracle: Bool = true,
        connectLatency: Nanoseconds = .milliseconds(1), restLatency: Nanoseconds = .milliseconds(20),
        ackLatency: Nanoseconds = .microseconds(200), serverPingInterval: Nanoseconds? = nil,
        output: ((String) -> Void)? = nil, progress: ((Int, Int) -> Void)? = nil, wallClock: @escaping () -> Int64
    ) {
        self.books = books
        self.okxProtocol = okxProtocol
        self.oracle = oracle
        self.connectLatency = connectLatency
        self.restLatency = restLatency
        self.ackLatency = ackLatency
        self.serverPingInterval = serverPingInterval
        self.output = output
        self.progress = progress
        self.wallClock = wallClock
    }
}

/// The single-threaded discrete-event simulation driver: virtual clock, seeded randomness, a
/// simulated exchange replaying the recording, fault injectors, a simulated broker and the oracle,
/// around the very `CollectorStack` the live driver runs.
public final class Simulator {
    enum Event {
        case deliver(ConnectionID, [UInt8], sourceNs: Int64)
        case connectResult(ConnectionID, ok: Bool)
        case serverClose(ConnectionID, code: Int?, reset: Bool)
        case restAnswer(RequestID, RestResponse, sourceNs: Int64)
        case brokerAck(sequence: UInt64, duplicate: Bool)
        case brokerNoResponders(sequence: UInt64)
        case faultStart(Int)
        case faultEnd(Int)
        case serverPing(ConnectionID)
        case tick
        case checkpoint
        case resyncCheck(fault: Int)
    }

    /// Schedules an event, counting the ones that are work in flight.
    func schedule(_ event: Event, at ns: Int64) {
        if event.isWork { outstanding += 1 }
        queue.schedule(event, at: Instant(nanoseconds: ns))
    }

    struct ServerConnection {
        var id: ConnectionID
        var open: Bool
        /// Frames are withheld from this connection (silent stall) until this instant.
        var stalledUntilNs: Int64 = .min
        /// Delivery time of the last frame, so delays and bandwidth caps keep frames in order.
        var lastDeliveryNs: Int64 = .min
        var heartbeatEnabled = false
    }

    let feed: RecordedFeed
    let scenario: Scenario
    let options: SimulationOptions
    var stack: CollectorStack
    var truth: BookReplay
    var broker: SimulatedBroker
    var queue = EventQueue<Event>()
    var random: SeededRandom
    var faults: [ActiveFault]
    var connections: [ServerConnection] = []
    var responseQueues: [String: [RecordedResponse]]
    var nowNs: Int64
    let originNs: Int64
    var clockOffsetNs: Int64 = 0
    var scheduledTickNs: Int64?
    /// Frames held back by a burst fault, released together.
    var burstHeld: [(ConnectionID, [UInt8], Int64)] = []
    /// Frames collected by a reorder fault, shuffled when the window is full.
    var reorderHeld: [(ConnectionID, [UInt8], Int64)] = []
    var reorderFault: Int?
    /// Book sequences the venue has restarted (`message.sequence_reset`), and whether one is armed.
    var restart: SequenceRestart
    var sequenceResetArmed = false

    // Oracle and report state.
    var report: ReplayReport
    var digest = SHA256()
    /// The canonical line being built, reused for every published message.
    var lineBuffer: [UInt8] = []
    var cpuStart: Int64?
    var sourceOfSequence: [UInt64: Int64] = [:]
    var emitOrder: [String: Int] = [:]
    var lastEmitIndexBySubject: [String: Int] = [:]
    var latenciesNs: [Int64] = []
    var invalidBooks: Set<String> = []
    var publishedFromInvalid = 0
    var outOfOrder = 0
    var currentSourceNs: Int64 = 0
    var framesDone = 0
    var effects: [StackEffect] = []
    var events: [TimedStackEvent] = []
    var everConnected = false
    /// A recording with the stack's own instants (`RecordedFeed.recordsStackInstants`): connections
    /// open at their `connect` records and REST answers come at their `rest_response` records.
    let followsRecordedInstants: Bool
    /// Connections waiting for their `connect` record (its index among the connect records).
    var connectsAwaitingRecord: [(index: Int, id: ConnectionID)] = []
    /// REST answers waiting for their `rest_response` record (URL and its index among that URL's responses).
    var answersAwaitingRecord: [(url: String, index: Int, id: RequestID, response: RecordedResponse)] = []
    var connectRecordsRead = 0
    var connectRecordsClaimed = 0
    var restRecordsRead: [String: Int] = [:]
    /// Recorded stream id -> the connection opened at that stream's `connect` record.
    var connectionOfStream: [UInt32: ConnectionID] = [:]
    var snapshotsSynthesized = 0
    var performingEffects = false
    /// Scheduled deliveries, connects, REST answers and broker answers not yet handled.
    var outstanding = 0

    public init(feed: RecordedFeed, scenario: Scenario, options: SimulationOptions) {
        self.feed = feed
        self.scenario = scenario
        self.options = options
        random = SeededRandom(seed: scenario.seed)
        let derivedSeed = random.next()
        followsRecordedInstants = feed.recordsStackInstants && !feed.connectNs.isEmpty
        // The collector seeds its stack with the configured seed itself (default 1, as the scenario's):
        // its own recording replays with that very seed, so backoff jitter falls as it did.
        var stackConfig = StackConfiguration(
            subscription: feed.subscription, catalog: feed.catalog, books: options.books, okxBookProtocol: options.okxProtocol,
            seed: followsRecordedInstants ? scenario.seed : derivedSeed)
        scenario.collector.apply(to: &stackConfig)
        stack = CollectorStack(configuration: stackConfig)
        truth = BookReplay(feed: feed, configuration: options.books, okxProtocol: options.okxProtocol)
        broker = SimulatedBroker(ackLatency: options.ackLatency)
        originNs = feed.firstFrameNs
        if followsRecordedInstants, let connect = feed.connectNs.first {
            // The stack dialled before its connection opened at the first `connect` record.
            nowNs = max(feed.firstNs, connect - options.connectLatency.value)
        } else {
            // Connect just before the first recorded frame: REST calls recorded minutes earlier (instrument
            // lists) are answered from the recording anyway, and idling through them would only trip watchdogs.
            nowNs = max(feed.firstNs, feed.firstFrameNs - options.connectLatency.value - 1_000_000)
        }
        responseQueues = feed.responses
        restart = SequenceRestart(venue: feed.venue)
        faults = scenario.faults.map { ActiveFault(fault: $0, originNs: feed.firstFrameNs) }
        report = ReplayReport(scenario: scenario.name, recording: feed.path, seed: scenario.seed, speed: scenario.speed)
    }

    // MARK: - Run

    /// Replays the whole recording and returns the report.
    public func run() throws(ReplayError) -> ReplayReport {
        let reader: RecordingReader
        do { reader = try RecordingReader(path: feed.path) } catch { throw .recording(error) }
        let wallStart = options.wallClock()
        cpuStart = options.cpuClock?()
        for (i, f) in faults.enumerated() {
            queue.schedule(.faultStart(i), at: Instant(nanoseconds: f.startNs))
            if let end = f.endNs { queue.schedule(.faultEnd(i), at: Instant(nanoseconds: end)) }
        }
        if options.oracle && scenario.expectations.checkpointEvery > 0 {
            queue.schedule(.checkpoint, at: Instant(nanoseconds: originNs + scenario.expectations.checkpointEvery))
        }
        stack.start(at: stackNow)
        afterStackCall()

        var pending: PendingRecord? = try read(reader)
        var paceCounter = 0
        while true {
            let nextQueued = queue.nextTime?.nanoseconds
            if let record = pending, nextQueued.map({ record.wallNs <= $0 }) ?? true {
                nowNs = max(nowNs, record.wallNs)
                exchangeSends(record)
                pending = try read(reader)
                if pending == nil { recordsEnded() }
            } else if let (at, event) = queue.pop() {
                // Past the recording's end only the work it caused (deliveries, acks, resends, REST
                // answers) still runs: once that is done the exchange has nothing more to say, and
                // silence then is the end of the session, not a stalled feed.
                if pending == nil && (at.nanoseconds > feed.lastNs + drainAllowanceNs || isQuiescent) { break }
                nowNs = max(nowNs, at.nanoseconds)
                handle(event)
            } else {
                break
            }
            paceCounter &+= 1
            if paceCounter & 1023 == 0 { pace(wallStart: wallStart) }
        }
        if let tail = readerTail(reader) { report.recordingTail = tail }
        finish(wallStart: wallStart)
        return report
    }

    /// No frame, REST answer or ack on its way, and nothing waiting for an ack.
    var isQuiescent: Bool { outstanding == 0 && inPlace { $0.publisher.windowCount } == 0 }

    /// Reads the stack where it lies. A plain read of a struct held by a class copies it whole (every
    /// buffer retained and released), which the per-frame deadline check cannot afford.
    @inline(__always)
    func inPlace<T>(_ body: (inout CollectorStack) -> T) -> T { body(&stack) }

    /// How long after the last record the loop keeps running queued work (resends, resyncs).
    var drainAllowanceNs: Int64 { 60_000_000_000 }

    struct PendingRecord {
        var kind: RecordKind
        var wallNs: Int64
        var url: String?
        var status: UInt16?
        var payload: [UInt8]
        var stream: UInt32 = 0
        var method: String? = nil
    }

    private func read(_ reader: RecordingReader) throws(ReplayError) -> PendingRecord? {
        do {
            while let r = try reader.withNextRecord({ v -> PendingRecord? in
                switch v.kind {
                case .wsReceived:
                    return PendingRecord(kind: .wsReceived, wallNs: v.wallNs, url: nil, status: nil, payload: Array(v.payload), stream: v.stream)
                case .restResponse:
                    return PendingRecord(kind: .restResponse, wallNs: v.wallNs, url: v.url, status: v.status, payload: Array(v.payload))
                case .connect where followsRecordedInstants:
                    return PendingRecord(kind: .connect, wallNs: v.wallNs, url: nil, status: nil, payload: [], stream: v.stream)
                case .restRequest where followsRecordedInstants && v.url == RecordedFeed.subscriptionChangeURL:
                    return PendingRecord(kind: .restRequest, wallNs: v.wallNs, url: v.url, status: nil, payload: Array(v.payload),
                                         stream: v.stream, method: v.method)
                case .disconnect where followsRecordedInstants:
                    return PendingRecord(kind: .disconnect, wallNs: v.wallNs, url: nil, status: v.closeCode, payload: [], stream: v.stream)
                default:
                    return nil
                }
            }) {
                if let r { return r }
            }
            return nil
        } catch let error as RecordingError {
            throw .recording(error)
        } catch {
            throw .scenario("\(error)")
        }
    }

    private func readerTail(_ reader: RecordingReader) -> String? {
        if case .truncated(let offset, let bytes) = reader.tail { return "truncated at \(offset), \(bytes) bytes unreadable" }
        return nil
    }

    /// Paced replay sleeps so virtual time runs at most `speed` times wall time. Output never depends on it.
    private func pace(wallStart: Int64) {
        if let progress = options.progress { progress(framesDone, feed.receivedFrames) }
        guard case .multiple(let factor) = scenario.speed else { return }
        let virtualElapsed = Double(nowNs - originNs)
        let wallElapsed = Double(options.wallClock() - wallStart)
        let ahead = virtualElapsed / factor - wallElapsed
        if ahead > 1_000_000 { sleepNanoseconds(Int64(ahead)) }
    }

    // MARK: - The simulated exchange sends recorded traffic

    private func exchangeSends(_ record: PendingRecord) {
        switch record.kind {
        case .wsReceived:
            framesDone += 1
            if options.oracle {
                record.payload.withUnsafeBytes { truth.ingest(kind: .wsReceived, wallNs: record.wallNs, payload: $0, url: nil, status: nil) }
            }
            let frame = sequenceResetArmed || !restart.isEmpty ? restarted(record.payload) : record.payload
            if followsRecordedInstants, let id = connectionOfStream[record.stream] {
                // The stack's own recording: the frame came on that very connection.
                if connections.contains(where: { $0.id == id && $0.open }) {
                    route(frame, to: id, sourceNs: record.wallNs)
                    return
                }
                // Closed here. If the stack closed it, live it ignored what still came on it, and so it does
                // now; if a fault closed it, the venue sends on to the connections opened off the record.
                let recorded = Set(connectionOfStream.values)
                for c in connections.indices where connections[c].open && !recorded.contains(connections[c].id) {
                    route(frame, to: connections[c].id, sourceNs: record.wallNs)
                }
                return
            }
            for c in connections.indices where connections[c].open {
                route(frame, to: connections[c].id, sourceNs: record.wallNs)
            }
        case .restResponse:
            if options.oracle {
                record.payload.withUnsafeBytes {
                    truth.ingest(kind: .restResponse, wallNs: record.wallNs, payload: $0, url: record.url, status: record.status)
                }
            }
            if followsRecordedInstants { restRecordReached(url: record.url ?? "") }
        case .connect:
            connectRecordReached(stream: record.stream)
        case .disconnect:
            disconnectRecordReached(stream: record.stream, code: record.status)
        case .restRequest:
            subscriptionChangeRecordReached(method: record.method, body: record.payload)
        default:
            break
        }
    }

    // MARK: - The stack's own recording: inputs at their recorded records

    /// A `connect` record: the connection the stack dialled for it opens now, as it did when recorded.
    private func connectRecordReached(stream: UInt32) {
        let index = connectRecordsRead
        connectRecordsRead += 1
        guard let first = connectsAwaitingRecord.first, first.index == index else { return }
        connectsAwaitingRecord.removeFirst()
        connectionOfStream[stream] = first.id
        connectionOpened(first.id)
        afterStackCall()
    }

    /// Whether `id` opened at a `connect` record of the collector's own recording (so what the venue sent on
    /// it is in the recording).
    func isOnRecord(_ id: ConnectionID) -> Bool {
        followsRecordedInstants && connectionOfStream.values.contains(id)
    }

    /// A `disconnect` record followed by another `connect`: the venue ended the connection (closed it with
    /// the recorded code, or dropped it without one) and the collector dialled again. The last disconnect,
    /// with no connect after it, is the collector shutting down: the stack was not told, and is not now.
    /// A connection the stack closed itself is already closed here.
    private func disconnectRecordReached(stream: UInt32, code: UInt16?) {
        guard connectRecordsRead < feed.connectNs.count, let id = connectionOfStream[stream],
            let c = connections.firstIndex(where: { $0.id == id && $0.open })
        else { return }
        connections[c].open = false
        currentSourceNs = nowNs
        stack.connectionLost(id, cause: code.map { .closedByPeer(code: Int($0)) } ?? .transportError, at: stackNow)
        afterStackCall()
    }

    /// A subscription changed at run time (API or NATS command), at the instant the live stack took it:
    /// the body names the pairs, `POST` added them, `DELETE` removed them.
    private func subscriptionChangeRecordReached(method: String?, body: [UInt8]) {
        guard let delta = Subscription.fromJSON(String(decoding: body, as: UTF8.self)) else { return }
        currentSourceNs = nowNs
        _ = stack.changeSubscription(
            adding: method == "POST" ? delta.entries : [], removing: method == "DELETE" ? delta.entries : [], at: stackNow)
        afterStackCall()
    }

    /// A `rest_response` record: the request waiting for it is answered now, between the same frames as when recorded.
    private func restRecordReached(url: String) {
        let index = restRecordsRead[url, default: 0]
        restRecordsRead[url] = index + 1
        guard let k = answersAwaitingRecord.firstIndex(where: { $0.url == url && $0.index == index }) else { return }
        let waiting = answersAwaitingRecord.remove(at: k)
        currentSourceNs = nowNs
        stack.restCompleted(waiting.id, response: RecordedResponse.stackResponse(waiting.response), at: stackNow)
        afterStackCall()
    }

    /// Past the last record nothing more can arrive in recorded order: what still waits is answered as
    /// for any recording (only a replay that left the recorded path has such leftovers).
    private func recordsEnded() {
        for waiting in connectsAwaitingRecord {
            schedule(.connectResult(waiting.id, ok: true), at: nowNs + options.connectLatency.value)
        }
        for waiting in answersAwaitingRecord {
            schedule(.restAnswer(waiting.id, RecordedResponse.stackResponse(waiting.response), sourceNs: nowNs),
                     at: nowNs + options.restLatency.value)
        }
        connectsAwaitingRecord.removeAll()
        answersAwaitingRecord.removeAll()
    }

    /// A book frame in the venue's current numbering: the first one after an armed
    /// `message.sequence_reset` restarts its instrument's sequence, later ones follow the new numbering.
    private func restarted(_ frame: [UInt8]) -> [UInt8] {
        guard isBookFrame(frame) else { return frame }
        for b in truth.books where names(frame, b.instrument.native) {
            let native = b.instrument.native
            var first = false
            if restart.shifts[native] == nil {
                for i in faults.indices where faults[i].fault.kind == .sequenceReset && faults[i].applies(at: nowNs)
                    && (faults[i].fault.instrument.map { $0 == native } ?? true)
                {
                    guard restart.begin(native, frame: frame) else { break }
                    first = true
                    faults[i].hit("restarted \(native)'s book sequence \(restart.shifts[native] ?? 0) lower")
                    // Only OKX announces a reset in a way that keeps the book valid; elsewhere the book must break.
                    if feed.venue != .okx { noteDamage(i, frame) }
                    break
                }
            }
            return restart.rewrite(native, frame: frame, first: first)
        }
        return frame
    }

    /// Passes one frame through the message and connection faults on its way to the collector.
    private func route(_ frame: [UInt8], to id: ConnectionID, sourceNs: Int64) {
        guard let c = connections.firstIndex(where: { $0.id == id }) else { return }
        var frame = frame
        var deliverAt = nowNs
        for i in faults.indices where faults[i].applies(at: nowNs) {
            let kind = faults[i].fault.kind
            guard Self.messageKinds.contains(kind) || kind == .connectionStall || kind == .bandwidthCap else { continue }
            guard matches(faults[i].fault, frame) else { continue }
            switch kind {
            case .connectionStall:
                if connections[c].stalledUntilNs > nowNs {
                    faults[i].hit("withheld frames from \(id)")
                    return
                }
            case .messageDrop:
                noteDamage(i, frame)
                faults[i].hit("dropped a frame")
                return
            case .sequenceGap:
                guard isBookDelta(frame) else { continue }
                noteDamage(i, frame)
                faults[i].hit("removed a book update")
                return
            case .messageDuplicate:
                faults[i].hit("delivered a frame twice")
                deliver(frame, to: id, at: deliverAt, sourceNs: sourceNs, connection: c)
            case .messageCorrupt:
                guard frame.count > 2 else { continue }
                noteDamage(i, frame)
                frame[frame.count / 2] = UInt8(ascii: "#")
                frame[0] = UInt8(ascii: "#")
                faults[i].hit("corrupted a frame")
            case .messageTruncate:
                guard frame.count > 2 else { continue }
                noteDamage(i, frame)
                frame.removeLast(frame.count / 2)
                faults[i].hit("truncated a frame")
            case .messageDelay:
                let delay = faults[i].fault.delay ?? 100_000_000
                let jitter = faults[i].fault.jitter.map { Int64(random.next() % UInt64(max(1, $0))) } ?? 0
                deliverAt = max(deliverAt, nowNs + delay + jitter)
                faults[i].hit("delayed a frame by \(DurationText.format(delay))")
            case .bandwidthCap:
                let rate = Int64(max(1, faults[i].fault.bytesPerSecond ?? 1_000))
                let start = max(nowNs, connections[c].lastDeliveryNs)
                deliverAt = max(deliverAt, start + Int64(frame.count) * 1_000_000_000 / rate)
                if deliverAt > nowNs { faults[i].hit("queued frames behind \(rate) B/s") }
            case .messageBurst:
                burstHeld.append((id, frame, sourceNs))
                faults[i].hit("held frames for a burst")
                return
            case .messageReorder:
                reorderFault = i
                reorderHeld.append((id, frame, sourceNs))
                let window = max(2, faults[i].fault.window ?? 3)
                if reorderHeld.count >= window { releaseReordered(i) }
                return
            default:
                continue
            }
        }
        deliver(frame, to: id, at: deliverAt, sourceNs: sourceNs, connection: c)
    }

    static let messageKinds: Set<FaultKind> = [
        .messageDrop, .messageDuplicate, .messageReorder, .messageDelay, .sequenceGap, .messageCorrupt,
        .messageTruncate, .messageBurst,
    ]

    private func releaseReordered(_ i: Int) {
        var held = reorderHeld
        let reorderHeldOriginal = reorderHeld
        reorderHeld.removeAll()
        // A seeded Fisher-Yates shuffle that never leaves the window in its original order.
        let original = held.map(\.2)
        repeat {
            for k in stride(from: held.count - 1, to: 0, by: -1) {
                held.swapAt(k, Int(random.next() % UInt64(k + 1)))
            }
        } while held.map(\.2) == original && Set(original).count > 1
        // Only a book whose own frames changed order is damaged; shuffling across books breaks nothing.
        for b in truth.books {
            let mine = { (list: [(ConnectionID, [UInt8], Int64)]) in
                list.filter { self.isBookFrame($0.1) && self.names($0.1, b.instrument.native) }.map(\.2)
            }
            let before = mine(reorderHeldOriginal), after = mine(held)
            if before != after, let frame = held.first(where: { isBookFrame($0.1) && names($0.1, b.instrument.native) })?.1 {
                noteDamage(i, frame)
            }
        }
        faults[i].hit("reordered \(held.count) frames")
        for (id, frame, source) in held {
            if let c = connections.firstIndex(where: { $0.id == id && $0.open }) {
                deliver(frame, to: id, at: nowNs, sourceNs: source, connection: c)
            }
        }
    }

    private func deliver(_ frame: [UInt8], to id: ConnectionID, at deliverAt: Int64, sourceNs: Int64, connection c: Int) {
        let at = max(deliverAt, connections[c].lastDeliveryNs)
        connections[c].lastDeliveryNs = at
        if at <= nowNs && !performingEffects {
            // The common case: no fault in the way, straight into the collector. (While the
            // collector's effects are being carried out, a reply waits its turn in the queue.)
            currentSourceNs = sourceNs
            stack.receive(frame: frame, on: id, at: stackNow)
            afterStackCall()
        } else {
            schedule(.deliver(id, frame, sourceNs: sourceNs), at: at)
        }
    }

    private func matches(_ fault: Fault, _ frame: [UInt8]) -> Bool {
        guard let name = fault.instrument else { return true }
        return names(frame, name)
    }

    /// Whether a frame names an instrument: as a whole JSON string, so `BTC-USDT` does not match
    /// `BTC-USDT-SWAP` (Binance streams name it lower-case in `stream`, upper-case in `s`).
    private func names(_ frame: [UInt8], _ native: String) -> Bool {
        frame.contains(subsequence: Array("\"\(native)\"".utf8)) || frame.contains(subsequence: Array("book.\(native).".utf8))
    }

    /// Whether a frame carries book data, by the venues' channel markers (cheap, no parse).
    private func isBookFrame(_ frame: [UInt8]) -> Bool {
        switch feed.venue {
        case .binance, .binanceFutures: return frame.contains(subsequence: Marker.binanceDepth)
        case .okx: return frame.contains(subsequence: Marker.okxBooks) && frame.contains(subsequence: Marker.okxAction)
        case .deribit: return frame.contains(subsequence: Marker.deribitBook)
        }
    }

    /// Byte patterns that identify venue book frames without parsing them.
    enum Marker {
        static let binanceDepth = Array("depthUpdate".utf8)
        static let okxBooks = Array("\"channel\":\"books".utf8)
        static let okxAction = Array("\"action\":".utf8)
        static let okxUpdate = Array("\"action\":\"update\"".utf8)
        static let deribitBook = Array("\"channel\":\"book.".utf8)
        static let deribitChange = Array("\"type\":\"change\"".utf8)
    }

    /// A book frame that changes a book rather than replacing it.
    private func isBookDelta(_ frame: [UInt8]) -> Bool {
        guard isBookFrame(frame) else { return false }
        switch feed.venue {
        case .binance, .binanceFutures: return true
        case .okx: return frame.contains(subsequence: Marker.okxUpdate)
        case .deribit: return frame.contains(subsequence: Marker.deribitChange)
        }
    }

    private func noteDamage(_ i: Int, _ frame: [UInt8]) {
        guard isBookFrame(frame) else { return }
        for b in truth.books where names(frame, b.instrument.native) {
            if !faults[i].damagedBooks.contains(b.instrument.symbol) { faults[i].damagedBooks.append(b.instrument.symbol) }
        }
    }

    // MARK: - Events

    private func handle(_ event: Event) {
        if event.isWork { outstanding -= 1 }
        switch event {
        case .deliver(let id, let frame, let source):
            guard connections.contains(where: { $0.id == id && $0.open }) else { return }
            currentSourceNs = source
            stack.receive(frame: frame, on: id, at: stackNow)
        case .connectResult(let id, let ok):
            if ok {
                connectionOpened(id)
            } else {
                currentSourceNs = nowNs
                stack.connectionLost(id, cause: .refused, at: stackNow)
            }
        case .serverClose(let id, let code, let reset):
            guard let c = connections.firstIndex(where: { $0.id == id && $0.open }) else { return }
            connections[c].open = false
            stack.connectionLost(id, cause: reset ? .transportError : .closedByPeer(code: code), at: stackNow)
        case .restAnswer(let id, let response, let source):
            currentSourceNs = source
            stack.restCompleted(id, response: response, at: stackNow)
        case .brokerAck(let sequence, let duplicate):
            currentSourceNs = nowNs
            stack.brokerAcked(sequence: sequence, duplicate: duplicate, at: stackNow)
        case .brokerNoResponders(let sequence):
            stack.brokerFailed(sequence: sequence, reason: .noResponders, at: stackNow)
        case .faultStart(let i):
            startFault(i)
        case .faultEnd(let i):
            endFault(i)
        case .serverPing(let id):
            guard let c = connections.firstIndex(where: { $0.id == id && $0.open }) else { return }
            if withholdsKeepalive() {
                markWithheld("withheld a server ping")
            } else if feed.venue == .deribit {
                if connections[c].heartbeatEnabled && !isOnRecord(id) {
                    route(Array(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#.utf8), to: id, sourceNs: nowNs)
                }
            } else {
                stack.receivedPing(id, payload: [], at: stackNow)
            }
            if let interval = options.serverPingInterval ?? defaultPingInterval {
                queue.schedule(.serverPing(id), at: Instant(nanoseconds: nowNs + interval.value))
            }
        case .tick:
            scheduledTickNs = nil
            stack.tick(at: stackNow)
        case .checkpoint:
            checkpoint(final: false)
            queue.schedule(.checkpoint, at: Instant(nanoseconds: nowNs + scenario.expectations.checkpointEvery))
        case .resyncCheck(let i):
            checkResync(after: i)
        }
        afterStackCall()
    }

    private func connectionOpened(_ id: ConnectionID) {
        currentSourceNs = nowNs
        connections.append(ServerConnection(id: id, open: true))
        stack.connectionEstablished(id, at: stackNow)
        if let interval = options.serverPingInterval ?? defaultPingInterval {
            queue.schedule(.serverPing(id), at: Instant(nanoseconds: nowNs + interval.value))
        }
        everConnected = true
    }

    /// Binance pings every 20 s (spot) or 3 min (futures); Deribit sends heartbeats at the interval we asked for.
    private var defaultPingInterval: Nanoseconds? {
        switch feed.venue {
        case .binance: return .seconds(20)
        case .binanceFutures: return .minutes(3)
        case .deribit: return .seconds(15)
        case .okx: return nil
        }
    }

    private func withholdsKeepalive() -> Bool {
        faults.contains { $0.fault.kind == .pongWithheld && $0.applies(at: nowNs) }
    }

    private func markWithheld(_ what: String) {
        for i in faults.indices where faults[i].fault.kind == .pongWithheld && faults[i].applies(at: nowNs) { faults[i].hit(what) }
    }

    /// The collector's view of time: the virtual clock plus any clock fault's offset.
    var stackNow: Instant { Instant(nanoseconds: nowNs + clockOffsetNs) }

    // MARK: - Effects of the collector

    private func afterStackCall() {
        stack.takeEvents(into: &events)
        stack.takeEffects(into: &effects)
        // Order matters for the invariant "nothing published from an invalid book": a call can
        // resync then publish, or publish then break, never break then publish.
        for e in events { if case .bookSynced(let symbol, _) = e.event { invalidBooks.remove(symbol) } }
        performingEffects = true
        for effect in effects { perform(effect) }
        performingEffects = false
        for e in events {
            if case .bookInvalidated(let symbol, _) = e.event {
                invalidBooks.insert(symbol)
                report.noteInvalidation(symbol, atNs: nowNs)
            }
            logEvent(e)
        }
        if let deadline = inPlace({ $0.nextDeadline }) {
            let simDeadline = max(nowNs, deadline.nanoseconds - clockOffsetNs)
            if scheduledTickNs.map({ simDeadline < $0 }) ?? true {
                scheduledTickNs = simDeadline
                queue.schedule(.tick, at: Instant(nanoseconds: simDeadline))
            }
        }
    }

    private func perform(_ effect: StackEffect) {
        switch effect {
        case .connect(let id, _):
            report.connectAttempts += 1
            var refused = false
            var delay = options.connectLatency.value
            for i in faults.indices where faults[i].applies(at: nowNs) {
                switch faults[i].fault.kind {
                case .connectRefuse:
                    faults[i].hit("refused a connection")
                    refused = true
                case .connectDelay:
                    delay += faults[i].fault.delay ?? 5_000_000_000
                    faults[i].hit("delayed a connection")
                default: break
                }
            }
            if followsRecordedInstants && !refused && delay == options.connectLatency.value
                && connectRecordsClaimed < feed.connectNs.count && connectRecordsClaimed >= connectRecordsRead
            {
                // Opens at its `connect` record, still ahead.
                connectsAwaitingRecord.append((connectRecordsClaimed, id))
                connectRecordsClaimed += 1
                return
            }
            schedule(.connectResult(id, ok: !refused), at: nowNs + delay)
        case .send(let id, let frame):
            exchangeReceives(frame, on: id)
        case .pong:
            break
        case .close(let id, _):
            if let c = connections.firstIndex(where: { $0.id == id }) { connections[c].open = false }
        case .request(let id, let url, let request):
            serveRest(id, url: url, request: request)
        case .publish(let delivery):
            publish(delivery)
        }
    }

    /// What the exchange does with a frame the collector sent: keepalives and (re)subscriptions.
    private func exchangeReceives(_ frame: [UInt8], on id: ConnectionID) {
        guard let c = connections.firstIndex(where: { $0.id == id && $0.open }) else { return }
        // On a connection of the collector's own recording the venue's answers (pongs, acks, the book it
        // sent after a resubscription) are recorded frames: it says nothing more of its own.
        if isOnRecord(id) { return }
        if frame == Array("ping".utf8) {
            if withholdsKeepalive() {
                markWithheld("withheld a pong")
            } else {
                route(Array("pong".utf8), to: id, sourceNs: nowNs)
            }
            return
        }
        if frame.contains(subsequence: Array("public/set_heartbeat".utf8)) { connections[c].heartbeatEnabled = true }
        let subscribes = frame.contains(subsequence: Array("\"op\":\"subscribe\"".utf8))
            || frame.contains(subsequence: Array("public/subscribe".utf8))
        guard subscribes, truth.feed.venue == .okx || truth.feed.venue == .deribit else { return }
        // A (re)subscription to a book the exchange knows: answer with a fresh full book from the truth.
        for b in truth.books where b.isValid {
            let native = b.instrument.native
            let named = feed.venue == .okx
                ? frame.contains(subsequence: Array("\"channel\":\"books\",\"instId\":\"\(native)\"".utf8))
                : frame.contains(subsequence: Array("book.\(native).".utf8))
            guard named, let book = b.book, let sequence = b.sequence else { continue }
            let last = truth.lastUpdate[native]
            guard let snapshot = SnapshotSynthesis.streamSnapshot(
                venue: feed.venue, instrument: b.instrument, book: book, sequence: restart.exchangeSequence(native, sequence),
                sequenced: last?.sequence.previous != nil, exchangeTimeNs: nowNs)
            else { continue }
            snapshotsSynthesized += 1
            route(snapshot, to: id, sourceNs: nowNs)
        }
    }

    private func serveRest(_ id: RequestID, url: String, request: RestRequest) {
        report.restRequests += 1
        let answerAt = nowNs + options.restLatency.value
        for i in faults.indices where faults[i].applies(at: nowNs) {
            let f = faults[i].fault
            let status: Int
            switch f.kind {
            case .rest429: status = 429
            case .rest418: status = 418
            case .rest5xx: status = f.code ?? 503
            case .restTimeout:
                faults[i].hit("left a request unanswered")
                return
            case .staleSnapshot, .snapshotNoOverlap:
                guard case .bookSnapshot(let instrument) = request.purpose,
                    let body = staleSnapshot(instrument, noOverlap: f.kind == .snapshotNoOverlap)
                else { continue }
                faults[i].hit(f.kind == .staleSnapshot ? "served a stale snapshot" : "served a snapshot with no overlap")
                schedule(.restAnswer(id, RestResponse(status: 200, body: body), sourceNs: nowNs), at: answerAt)
                return
            default:
                continue
            }
            faults[i].hit("answered HTTP \(status)")
            let retryAfter = f.delay.map { Nanoseconds($0) } ?? (status == 429 || status == 418 ? .seconds(1) : nil)
            schedule(.restAnswer(id, RestResponse(status: status, retryAfter: retryAfter, body: Array("{\"code\":-1003}".utf8)),
                                 sourceNs: nowNs), at: answerAt)
            return
        }
        // Recorded responses first (FIFO per URL) while they are not from the future; else the truth.
        let recordedURL = responseQueues[url] != nil ? url : request.url
        // A recorded snapshot speaks the old numbering of a restarted sequence: only the truth can answer.
        let restartedBook: Bool
        if case .bookSnapshot(let instrument) = request.purpose { restartedBook = restart.shifts[instrument.native] != nil } else { restartedBook = false }
        if !restartedBook, var fifo = responseQueues[recordedURL], let head = fifo.first, head.atNs <= nowNs + 1_000_000_000 {
            fifo.removeFirst()
            responseQueues[recordedURL] = fifo
            report.restFromRecording += 1
            let index = (feed.responses[recordedURL]?.count ?? 0) - fifo.count - 1
            if followsRecordedInstants && index >= restRecordsRead[recordedURL, default: 0] {
                // The stack's own recording: answered at its `rest_response` record, still ahead.
                answersAwaitingRecord.append((recordedURL, index, id, head))
                return
            }
            let response = RecordedResponse.stackResponse(head)
            schedule(.restAnswer(id, response, sourceNs: nowNs), at: max(answerAt, head.atNs))
            return
        }
        guard case .bookSnapshot(let instrument) = request.purpose, let sync = truth.sync(native: instrument.native),
            sync.isValid, let book = sync.book, let sequence = sync.sequence,
            let body = SnapshotSynthesis.restSnapshot(
                venue: feed.venue, instrument: instrument, book: book,
                sequence: restart.exchangeSequence(instrument.native, sequence), exchangeTimeNs: nowNs)
        else {
            schedule(.restAnswer(id, RestResponse(status: 503, body: Array("{}".utf8)), sourceNs: nowNs), at: answerAt)
            return
        }
        snapshotsSynthesized += 1
        schedule(.restAnswer(id, RestResponse(status: 200, body: body), sourceNs: nowNs), at: answerAt)
    }

    /// A snapshot older than what the collector has buffered: the truth book at an id far behind.
    private func staleSnapshot(_ instrument: Instrument, noOverlap: Bool) -> [UInt8]? {
        guard let sync = truth.sync(native: instrument.native), let book = sync.book, let truthSequence = sync.sequence else { return nil }
        let sequence = restart.exchangeSequence(instrument.native, truthSequence)
        let behind = noOverlap ? sequence - 1_000_000 : sequence - 1_000
        return SnapshotSynthesis.restSnapshot(
            venue: feed.venue, instrument: instrument, book: book, sequence: max(1, behind), exchangeTimeNs: nowNs)
    }

    private func publish(_ delivery: PublisherCore.Delivery) {
        if sourceOfSequence[delivery.sequence] == nil {
            sourceOfSequence[delivery.sequence] = currentSourceNs
            let index = emitOrder.count
            if emitOrder[delivery.message.id] == nil { emitOrder[delivery.message.id] = index }
            if invalidBooks.contains(where: { delivery.message.subject.hasSuffix(".\($0).orderbook") }) { publishedFromInvalid += 1 }
        }
        var copies = 1
        for i in faults.indices where faults[i].fault.kind == .duplicatePublish && faults[i].applies(at: nowNs) {
            faults[i].hit("the broker received a publish twice")
            copies = 2
        }
        for _ in 0..<copies {
            let storedBefore = broker.stored.count
            switch broker.receive(delivery.message, at: Instant(nanoseconds: nowNs)) {
            case .ack(let duplicate, let latency):
                schedule(.brokerAck(sequence: delivery.sequence, duplicate: duplicate), at: nowNs + latency.value)
            case .noResponders:
                markBroker(.noResponders, "a publish found no responders")
                schedule(.brokerNoResponders(sequence: delivery.sequence), at: nowNs)
            case .silence:
                markBroker(.brokerDown, "a publish went unanswered")
                markBroker(.brokerRestart, "a publish was lost in the restart")
            }
            if broker.stored.count > storedBefore { stored(broker.stored[broker.stored.count - 1], sequence: delivery.sequence) }
        }
    }

    private func markBroker(_ kind: FaultKind, _ what: String) {
        for i in faults.indices where faults[i].fault.kind == kind && faults[i].applies(at: nowNs) { faults[i].hit(what) }
    }

    /// A message reached the stream: it joins the canonical output.
    private func stored(_ s: SimulatedBroker.Stored, sequence: UInt64) {
        let source = sourceOfSequence.removeValue(forKey: sequence) ?? s.atNs
        latenciesNs.append(max(0, s.atNs - source))
        let subject = s.message.subject
        report.publishedBySubjectKind[subjectKind(subject), default: 0] += 1
        if let index = emitOrder[s.message.id] {
            if let last = lastEmitIndexBySubject[subject], index < last { outOfOrder += 1 }
            lastEmitIndexBySubject[subject] = index
        }
        options.stored?(s.message)
        // `{"subject":"S","id":"I","data":P}` straight from the message's bytes (subject and id go in
        // unescaped: the encoder never puts a quote, backslash or control byte in them).
        let storage = s.message.storage
        let payloadStart = s.message.payload.startIndex
        let subjectEnd = storage.firstIndex(of: 0) ?? 0
        lineBuffer.removeAll(keepingCapacity: true)
        lineBuffer.append(contentsOf: Self.subjectPrefix)
        lineBuffer.append(contentsOf: storage[0..<subjectEnd])
        lineBuffer.append(contentsOf: Self.idPrefix)
        lineBuffer.append(contentsOf: storage[(subjectEnd + 1)..<(payloadStart - 1)])
        lineBuffer.append(contentsOf: Self.dataPrefix)
        lineBuffer.append(contentsOf: storage[payloadStart...])
        lineBuffer.append(UInt8(ascii: "}"))
        lineBuffer.append(UInt8(ascii: "\n"))
        emit(bytes: lineBuffer)
    }

    static let subjectPrefix = Array(#"{"subject":""#.utf8)
    static let idPrefix = Array(#"","id":""#.utf8)
    static let dataPrefix = Array(#"","data":"#.utf8)

    private func logEvent(_ e: TimedStackEvent) {
        report.count(e.event)
        emit("{\"event\":\"\(jsonEscaped(e.event.canonical))\",\"t\":\(e.at.nanoseconds)}")
    }

    /// One canonical line given as bytes ending in its newline (the published messages: no String on
    /// the way unless the output is wanted).
    private func emit(bytes line: [UInt8]) {
        line.withUnsafeBytes { digest.update($0) }
        if let output = options.output { output(String(decoding: line.dropLast(), as: UTF8.self)) }
    }

    private func emit(_ line: String) {
        digest.update(line.utf8)
        digest.update(CollectionOfOne(UInt8(ascii: "\n")))
        options.output?(line)
    }

    /// `liquidation`, `kline`, or the subject's last token (`trade`, `orderbook`, ...).
    private func subjectKind(_ subject: String) -> String {
        if subject.hasPrefix("market.liquidation.") { return "liquidation" }
        let bytes = subject.utf8
        guard let lastDot = bytes.lastIndex(of: UInt8(ascii: ".")) else { return subject }
        let last = Substring(subject.utf8[bytes.index(after: lastDot)...])
        if last.isEmpty { return String(subject.split(separator: ".").last ?? Substring(subject)) }
        let head = subject.utf8[..<lastDot]
        if let previousDot = head.lastIndex(of: UInt8(ascii: ".")),
            Substring(head[head.index(after: previousDot)...]) == "kline",
            subject.utf8.count(where: { $0 == UInt8(ascii: ".") }) >= 4
        {
            return "kline"
        }
        return String(last)
    }

    // MARK: - Faults

    private func startFault(_ i: Int) {
        faults[i].armed = true
        let f = faults[i].fault
        switch f.kind {
        case .connectionClose, .connectionReset, .forcedCut:
            // The 24 h cut ends only the connection that reached its age; a close or reset ends all.
            let victims = f.kind == .forcedCut ? Array(connections.filter(\.open).prefix(1)) : connections.filter(\.open)
            for c in victims {
                schedule(.serverClose(c.id, code: f.kind == .connectionReset ? nil : (f.code ?? 1001), reset: f.kind == .connectionReset),
                         at: nowNs)
                faults[i].hit(f.kind == .connectionReset ? "reset \(c.id)" : "closed \(c.id)")
            }
        case .connectionStall:
            let until = faults[i].endNs ?? .max
            for c in connections.indices where connections[c].open { connections[c].stalledUntilNs = until }
        case .brokerDown, .brokerRestart:
            broker.isDown = true
            currentSourceNs = nowNs
            stack.brokerConnectivity(up: false, at: stackNow)
            faults[i].hit(f.kind == .brokerDown ? "took the broker down" : "restarted the broker")
        case .slowAcks:
            broker.ackDelay = Nanoseconds(f.delay ?? 1_000_000_000)
            faults[i].hit("slowed acks to \(DurationText.format(f.delay ?? 1_000_000_000))")
        case .noResponders:
            broker.noResponders = true
        case .clockSkew, .clockStep:
            clockOffsetNs += f.delay ?? 0
            faults[i].hit("moved the collector's clock by \(f.delay ?? 0)ns")
        case .sequenceReset:
            sequenceResetArmed = true
        default:
            break
        }
        afterStackCall()
    }

    private func endFault(_ i: Int) {
        let f = faults[i].fault
        switch f.kind {
        case .brokerDown, .brokerRestart:
            if !faults.contains(where: { ($0.fault.kind == .brokerDown || $0.fault.kind == .brokerRestart) && $0.applies(at: nowNs) && $0.startNs != faults[i].startNs }) {
                broker.isDown = false
                stack.brokerConnectivity(up: true, at: stackNow)
            }
        case .slowAcks:
            broker.ackDelay = .zero
        case .noResponders:
            broker.noResponders = false
        case .clockSkew:
            clockOffsetNs -= f.delay ?? 0
        case .messageBurst:
            let held = burstHeld
            burstHeld.removeAll()
            for (id, frame, source) in held {
                if let c = connections.firstIndex(where: { $0.id == id && $0.open }) {
                    deliver(frame, to: id, at: nowNs, sourceNs: source, connection: c)
                }
            }
        case .messageReorder:
            if !reorderHeld.isEmpty { releaseReordered(i) }
        default:
            break
        }
        if options.oracle {
            queue.schedule(.resyncCheck(fault: i), at: Instant(nanoseconds: nowNs + scenario.expectations.resyncWithin))
        }
        afterStackCall()
    }

    // MARK: - Oracle

    /// Compares every collector book with the truth where both stand at the same venue sequence.
    private func checkpoint(final: Bool) {
        guard options.oracle else { return }
        for b in truth.books {
            guard b.isValid, let truthBook = b.book else { continue }
            let native = b.instrument.native
            guard let collectorBook = stack.validBook(native: native) else { continue }
            if let seq = stack.books.first(where: { $0.instrument.native == native })?.sequence, seq != b.sequence,
                restart.recordedSequence(native, seq) != b.sequence
            {
                report.checkpointsSkipped += 1
                continue
            }
            report.checkpoints += 1
            if collectorBook.isCrossed { report.crossedBooks.append("\(b.instrument.symbol) at \(nowNs)") }
            if collectorBook != truthBook {
                report.bookMismatches.append("\(b.instrument.symbol) at \(nowNs)\(final ? " (end)" : "")")
            }
        }
    }

    private func checkResync(after i: Int) {
        // Past the recording's end the exchange has nothing left to resync from: not a failure.
        guard nowNs <= feed.lastNs else {
            report.resyncChecksSkipped += 1
            return
        }
        for b in truth.books where b.isValid {
            if stack.validBook(native: b.instrument.native) == nil {
                report.resyncFailures.append("\(b.instrument.symbol) still invalid \(DurationText.format(scenario.expectations.resyncWithin)) after \(faults[i].fault.kind.rawValue) healed")
            }
        }
    }

    private func finish(wallStart: Int64) {
        // The run loop already let in-flight work settle; nothing more happens after the session.
        checkpoint(final: true)
        let wallEnd = options.wallClock()
        let cpuSeconds = cpuStart.flatMap { start in options.cpuClock.map { Double(max(1, $0() - start)) / 1e9 } }
        report.complete(
            simulator: self, wallSeconds: Double(max(1, wallEnd - wallStart)) / 1e9, cpuSeconds: cpuSeconds,
            digest: digest.finalizeHex())
    }
}

extension Array where Element == UInt8 {
    /// Naive substring search; the simulation uses it off the hot path only.
    func contains(subsequence needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return needle.isEmpty }
        let first = needle[0]
        var i = 0
        let last = count - needle.count
        while i <= last {
            if self[i] == first {
                var k = 1
                while k < needle.count && self[i + k] == needle[k] { k += 1 }
                if k == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// The text of `s` as the inside of a JSON string (Publishing's writer does the escaping).
func jsonEscaped(_ s: String) -> String {
    let quoted = JSONWriter.bytes(capacity: s.utf8.count + 2) { $0.string(s) }
    return String(decoding: quoted.dropFirst().dropLast(), as: UTF8.self)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pacing sleeps the driver thread; the core never sleeps.
func sleepNanoseconds(_ ns: Int64) {
    var request = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
    var remaining = timespec()
    while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

extension Simulator.Event {
    /// Events that carry work begun before the recording ended (as opposed to timers and checks).
    var isWork: Bool {
        switch self {
        case .deliver, .connectResult, .serverClose, .restAnswer, .brokerAck, .brokerNoResponders: return true
        case .faultStart, .faultEnd, .serverPing, .tick, .checkpoint, .resyncCheck: return false
        }
    }
}
