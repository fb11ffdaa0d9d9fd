import Books
import Exchanges
import Model
import Publishing
import Recording
import Reliability
import Stack

/// A fault-free replay that drives `CollectorStack` straight from a recording into a message sink,
/// with nothing around it: no fault injectors, truth books, invariants or canonical output.
///
/// It is the collector's full path (zstd decompress, parse, normalize, book sync, encode, publisher
/// window with acks) and what the full-stack benchmark measures. It talks to the stack exactly as the
/// `Simulator` does when no fault is active: connect, establish, recorded REST snapshots FIFO per
/// URL, server pings, ticks at the stack's deadlines, and an ack for every delivery. Tests check that
/// it publishes the very messages, in the same order, as a fault-free `Simulator` run.
public struct DirectReplay {
    /// What one run did.
    public struct Result: Sendable, Equatable {
        /// Websocket frames read from the recording.
        public var frames = 0
        /// Messages written to the sink.
        public var published = 0
        /// Payload bytes written to the sink (subject and id excluded).
        public var payloadBytes = 0
        public var counters = StackCounters()
        /// The stack's publisher statistics at the end.
        public var publisher = PublisherCore.Stats()
        /// Stack events logged (connections, breaker transitions, publisher losses, ...).
        public var events = 0
    }

    public let feed: RecordedFeed
    public var books: BookSyncConfiguration
    public var okxProtocol: OKXBookProtocol
    public var connectLatency: Nanoseconds = .milliseconds(1)
    public var restLatency: Nanoseconds = .milliseconds(20)
    /// Acks go to the stack one call each instead of one call per batch (same outcome; for the tests).
    var acksOneByOne = false
    /// `StackConfiguration.publishesAtOnce` (same outcome; for the tests).
    var publishesAtOnce = true
    /// `StackConfiguration.holdsFrameDeliveries` (same outcome; for the tests).
    var holdsFrameDeliveries = true
    /// The stack's publisher configuration (for the tests: small windows mix the paths).
    var publisherConfiguration = PublisherCore.Configuration()

    public init(feed: RecordedFeed, books: BookSyncConfiguration = .standard, okxProtocol: OKXBookProtocol = .auto) {
        self.feed = feed
        self.books = books
        self.okxProtocol = okxProtocol
    }

    /// Timed work the simulated exchange owes the stack, in the order it falls due.
    enum Pending {
        case established(ConnectionID)
        case rest(RequestID, RestResponse)
        case ping(ConnectionID)
        case frame(ConnectionID, [UInt8])
    }

    /// Replays the whole recording into `sink`; every successful write is the message's ack.
    public func run<Sink: MessageSink>(into sink: inout Sink, seed: UInt64 = 1) throws(ReplayError) -> Result {
        let reader: RecordingReader
        do { reader = try RecordingReader(path: feed.path) } catch { throw .recording(error) }
        var random = SeededRandom(seed: seed)
        var configuration = StackConfiguration(
            subscription: feed.subscription, catalog: feed.catalog, books: books, okxBookProtocol: okxProtocol,
            publisher: publisherConfiguration, seed: random.next())
        configuration.publishesAtOnce = publishesAtOnce
        configuration.holdsFrameDeliveries = holdsFrameDeliveries
        var state = DriverState(
            stack: CollectorStack(configuration: configuration),
            responses: feed.responses, venue: feed.venue, connectLatency: connectLatency.value,
            restLatency: restLatency.value)
        state.acksOneByOne = acksOneByOne
        state.nowNs = max(feed.firstNs, feed.firstFrameNs - connectLatency.value - 1_000_000)
        state.stack.start(at: Instant(nanoseconds: state.nowNs))
        state.perform(into: &sink)
        do {
            while try reader.withNextRecord({ record in
                guard record.kind == .wsReceived else { return }
                let at = record.wallNs
                state.runDue(until: at, into: &sink)
                state.nowNs = max(state.nowNs, at)
                state.result.frames += 1
                guard let id = state.open.first else { return }
                state.stack.receive(frame: record.payload, on: id, at: Instant(nanoseconds: state.nowNs))
                state.perform(into: &sink)
            }) != nil {}
        } catch let error as RecordingError {
            throw .recording(error)
        } catch {
            throw .scenario("\(error)")
        }
        // Work already under way (REST answers, acks) still lands; timers past the end do not.
        state.runDue(until: feed.lastNs, into: &sink)
        state.result.counters = state.stack.counters
        state.result.publisher = state.stack.publisher.stats
        return state.result
    }

    /// The driver's mutable side, kept apart so the frame loop's closure captures one value.
    struct DriverState {
        var stack: CollectorStack
        var responses: [String: [RecordedResponse]]
        let venue: Venue
        let connectLatency: Int64
        let restLatency: Int64
        var nowNs: Int64 = 0
        var open: [ConnectionID] = []
        var heartbeatEnabled = false
        var pending: [(at: Int64, work: Pending)] = []
        var effects: [StackEffect] = []
        var deliveries: [OutboundMessage] = []
        var events: [TimedStackEvent] = []
        var acks: [UInt64] = []
        var ackFirst: UInt64 = 0
        var ackCount = 0
        var ackContiguous = true
        var acksOneByOne = false
        var result = Result()

        init(stack: CollectorStack, responses: [String: [RecordedResponse]], venue: Venue, connectLatency: Int64, restLatency: Int64) {
            self.stack = stack
            self.responses = responses
            self.venue = venue
            self.connectLatency = connectLatency
            self.restLatency = restLatency
            effects.reserveCapacity(64)
            events.reserveCapacity(16)
            acks.reserveCapacity(64)
            deliveries.reserveCapacity(16)
        }

        var now: Instant { Instant(nanoseconds: nowNs) }

        mutating func schedule(_ work: Pending, at ns: Int64) {
            // Few entries at a time: a stable insertion keeps same-time work in the order it was scheduled.
            var i = pending.count
            while i > 0 && pending[i - 1].at > ns { i -= 1 }
            pending.insert((ns, work), at: i)
        }

        /// Runs pending work and stack deadlines due at or before `limit`, in time order.
        @inline(__always)
        mutating func runDue(until limit: Int64, into sink: inout some MessageSink) {
            while true {
                let work = pending.first.map(\.at)
                let deadline = stack.nextDeadlineInPlace()?.nanoseconds
                let next = min(work ?? .max, deadline ?? .max)
                guard next <= limit else { return }
                nowNs = max(nowNs, next)
                if let work, work == next {
                    let item = pending.removeFirst().work
                    handle(item)
                } else {
                    stack.tick(at: now)
                }
                perform(into: &sink)
            }
        }

        mutating func handle(_ work: Pending) {
            switch work {
            case .established(let id):
                open.append(id)
                stack.connectionEstablished(id, at: now)
                if let interval = pingInterval { schedule(.ping(id), at: nowNs + interval) }
            case .rest(let id, let response):
                stack.restCompleted(id, response: response, at: now)
            case .ping(let id):
                guard open.contains(id) else { return }
                if venue == .deribit {
                    if heartbeatEnabled { stack.receive(frame: DirectReplay.testRequest, on: id, at: now) }
                } else {
                    stack.receivedPing(id, payload: [], at: now)
                }
                if let interval = pingInterval { schedule(.ping(id), at: nowNs + interval) }
            case .frame(let id, let frame):
                guard open.contains(id) else { return }
                stack.receive(frame: frame, on: id, at: now)
            }
        }

        /// The server pings of the venue (as the Simulator sends them).
        var pingInterval: Int64? {
            switch venue {
            case .binance: return Nanoseconds.seconds(20).value
            case .binanceFutures: return Nanoseconds.minutes(3).value
            case .deribit: return Nanoseconds.seconds(15).value
            case .okx: return nil
            }
        }

        /// Carries out what the stack asked for; deliveries go to the sink and are acked at once.
        mutating func perform(into sink: inout some MessageSink) {
            while true {
                // The stack's buffers are read in place first: most calls would take nothing.
                if !stack.events.isEmpty {
                    stack.takeEvents(into: &events)
                    result.events &+= events.count
                }
                let held = !stack.frameDeliveries.isEmpty
                if stack.effects.isEmpty {
                    if !held { return }
                } else {
                    stack.takeEffects(into: &effects)
                }
                ackCount = 0
                if !effects.isEmpty {
                    // Read in place from a local array (a `for` loop copied each effect, then destroyed it).
                    var batch: [StackEffect] = []
                    swap(&batch, &effects)
                    batch.withUnsafeBufferPointer { batch in
                        var i = 0
                        while i < batch.count {
                            carryOut(batch.baseAddress.unsafelyUnwrapped + i, into: &sink)
                            i &+= 1
                        }
                    }
                    swap(&batch, &effects)
                    // Emptied here, not by the next `takeEffects`: `removeAll` is a generic call per frame.
                    while !effects.isEmpty { effects.removeLast() }
                }
                // The frame's deliveries come after its other effects, as their `.publish` effects would.
                if held { writeFrameDeliveries(into: &sink) }
                if ackCount == 0 { continue }
                if acksOneByOne {
                    for sequence in acks { stack.brokerAcked(sequence: sequence, duplicate: false, at: now) }
                } else if ackContiguous {
                    stack.brokerAcked(from: ackFirst, count: ackCount, at: now)
                } else {
                    stack.brokerAcked(sequences: acks, at: now)
                }
            }
        }

        @inline(__always)
        mutating func carryOut(_ effect: UnsafePointer<StackEffect>, into sink: inout some MessageSink) {
            switch effect.pointee {
            case .publish(let delivery):
                deliver(delivery.message, sequence: delivery.sequence, into: &sink)
            case .connect(let id, _):
                schedule(.established(id), at: nowNs + connectLatency)
            case .request(let id, let url, let request):
                serveRest(id, url: url, request: request)
            case .send(let id, let frame):
                exchangeReceives(frame, on: id)
            case .close(let id, _):
                open.removeAll { $0 == id }
            case .pong:
                break
            }
        }

        /// The deliveries the stack held for the last frame (`StackConfiguration.holdsFrameDeliveries`),
        /// carried out as their `.publish` effects would be: each written, a failed write reported
        /// (writes never call the stack, so reporting after the frame's last write changes nothing),
        /// the rest acked. When all were stored and are the batch's only acks, the stack settles them
        /// in one step, its publisher core never having stored them.
        @inline(__always)
        mutating func writeFrameDeliveries(into sink: inout some MessageSink) {
            let first = stack.frameDeliveriesFirst
            var published = 0
            var payloadBytes = 0
            // Held deliveries whose write failed, in order (rare: an empty array allocates nothing).
            var failed: [(sequence: UInt64, error: SinkError)] = []
            // Read in place; the closure touches only locals (the stack is not copied, nor its array).
            stack.frameDeliveries.withUnsafeBufferPointer { held in
                var i = 0
                while i < held.count {
                    do throws(SinkError) {
                        try sink.write(held[i])
                        published &+= 1
                        payloadBytes &+= held[i].payloadCount
                    } catch {
                        failed.append((first &+ UInt64(i), error))
                    }
                    i &+= 1
                }
            }
            result.published &+= published
            result.payloadBytes &+= payloadBytes
            if failed.isEmpty && !acksOneByOne && ackCount == 0 {
                stack.settleFrameDeliveries(at: now)
                return
            }
            // Acked in the batch like any delivery; failures reported in order.
            _ = stack.takeFrameDeliveries(into: &deliveries)
            var next = failed.startIndex
            for i in 0..<deliveries.count {
                let sequence = first &+ UInt64(i)
                if next < failed.endIndex && failed[next].sequence == sequence { next += 1 } else { noteAck(sequence) }
            }
            for (sequence, error) in failed {
                stack.brokerFailed(sequence: sequence, reason: .rejected("\(error)"), at: now)
            }
            while !deliveries.isEmpty { deliveries.removeLast() }
        }

        /// Writes one delivery; a successful write is its ack.
        @inline(__always)
        mutating func deliver(_ message: OutboundMessage, sequence: UInt64, into sink: inout some MessageSink) {
            do {
                try sink.write(message)
                result.published += 1
                result.payloadBytes += message.payloadCount
                noteAck(sequence)
            } catch {
                // A failed write is a failed publish: the core resends it with the same id.
                stack.brokerFailed(sequence: sequence, reason: .rejected("\(error)"), at: now)
            }
        }

        /// Acks of one batch of effects: usually a run of consecutive sequences, kept as its first and
        /// count; the array is only filled when the run breaks (a resend) or acks go one by one.
        @inline(__always)
        mutating func noteAck(_ sequence: UInt64) {
            if ackCount == 0 {
                ackFirst = sequence
                ackContiguous = !acksOneByOne
                if !acks.isEmpty { acks.removeAll(keepingCapacity: true) }
            } else if ackContiguous && sequence != ackFirst &+ UInt64(ackCount) {
                ackContiguous = false
                for k in 0..<ackCount { acks.append(ackFirst &+ UInt64(k)) }
            }
            if !ackContiguous { acks.append(sequence) }
            ackCount += 1
        }

        mutating func exchangeReceives(_ frame: [UInt8], on id: ConnectionID) {
            if frame == DirectReplay.ping {
                schedule(.frame(id, DirectReplay.pong), at: nowNs)
            } else if venue == .deribit && frame.contains(subsequence: DirectReplay.setHeartbeat) {
                heartbeatEnabled = true
            }
        }

        /// Recorded responses first (FIFO per URL) while they are not from the future; else 503.
        mutating func serveRest(_ id: RequestID, url: String, request: RestRequest) {
            let answerAt = nowNs + restLatency
            let recordedURL = responses[url] != nil ? url : request.url
            if var fifo = responses[recordedURL], let head = fifo.first, head.atNs <= nowNs + 1_000_000_000 {
                fifo.removeFirst()
                responses[recordedURL] = fifo
                schedule(.rest(id, RecordedResponse.stackResponse(head)), at: max(answerAt, head.atNs))
            } else {
                schedule(.rest(id, RestResponse(status: 503, body: Array("{}".utf8))), at: answerAt)
            }
        }
    }

    static let ping = Array("ping".utf8)
    static let pong = Array("pong".utf8)
    static let setHeartbeat = Array("public/set_heartbeat".utf8)
    static let testRequest = Array(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#.utf8)
}

extension RecordedResponse {
    /// The recorded answer as the stack takes it, with the headers that steer rate limiting.
    static func stackResponse(_ head: RecordedResponse) -> RestResponse {
        let headers = head.headers
        return RestResponse(
            status: head.status,
            retryAfter: headers.first { $0.name.lowercased() == "retry-after" }.flatMap { Int64($0.value) }.map { .seconds($0) },
            usedWeight: headers.first { $0.name.lowercased() == "x-mbx-used-weight-1m" }.flatMap { Int($0.value) },
            body: head.body)
    }
}
