#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNats
import Foundation
import Model
import Publishing

/// Publishes to NATS JetStream through libnats, driving a `PublisherCore`.
///
/// Threads: producers call `publish` (encoding happens on the caller's thread); one dedicated
/// publisher thread makes every blocking libnats call (connecting, stream setup, publishing);
/// libnats' own threads run the C callbacks, which only feed the core under the lock and wake the
/// publisher thread. Every `Nats-Msg-Id` comes from the message, so resends after a lost ack or a
/// reconnect are dropped by the broker's dedup window.
///
/// Async publishing is done here on the core connection, the same wire exchange as libnats'
/// `js_PublishMsgAsync` (a publish with a reply inbox, JetStream's ack on that inbox) without its
/// per-message bookkeeping: the core already holds every un-acked message for resending, the
/// window sequence rides in the reply subject (`AckInbox`), acks are read with a byte scanner
/// (`PublishAck`), and ack timeouts are the core's. libnats' pending map, per-message timer entry
/// and JSON parse cost more than everything else in the client (about 60k msg/s with them).
///
/// Reconnecting is done here, not by libnats: a lost connection is destroyed with whatever
/// libnats still buffered for it, and a fresh one is made with exponential backoff, forever.
/// libnats' own reconnect would flush its buffered publishes before the core's ordered resend
/// and put later messages ahead of earlier ones in the stream. Nothing in flight is held by
/// libnats, so a lost connection loses nothing: the core resends from its first un-acked message.
public final class JetStreamPublisher: EventPublisher, @unchecked Sendable {
    public struct Configuration: Sendable {
        public var connection: NATSConnectionOptions
        public var stream: StreamConfiguration
        public var core: PublisherCore.Configuration
        public var encoder: MessageEncoder
        /// While connected and the memory window is full, `publish` waits for acks instead of
        /// spooling (replay wants this; a live feed that must never block sets it false).
        public var backpressure: Bool
        /// How often the publisher thread checks ack timeouts and backoff.
        public var tickInterval: Nanoseconds

        public init(
            connection: NATSConnectionOptions, stream: StreamConfiguration = StreamConfiguration(),
            core: PublisherCore.Configuration = PublisherCore.Configuration(maxInFlight: 8_192, resumeInFlight: 4_096),
            encoder: MessageEncoder = MessageEncoder(),
            backpressure: Bool = true, tickInterval: Nanoseconds = .milliseconds(20)
        ) {
            self.connection = connection
            self.stream = stream
            self.core = core
            self.encoder = encoder
            self.backpressure = backpressure
            self.tickInterval = tickInterval
        }
    }

    /// What the publisher reports while it runs (losses, outages, spool use, stream setup errors).
    public enum LogEvent: Sendable {
        case core(PublisherCore.Effect)
        case streamSetupFailed(NATSError)
        case publishCallFailed(NATSError)
    }

    /// The default log: losses, outages, spool use and setup errors as lines on stderr (a loss is
    /// never silent); per-message send failures are left to the stats.
    public static let standardErrorLog: @Sendable (LogEvent) -> Void = { event in
        let line: String
        switch event {
        case .core(.lost(let count, let reason)): line = "publisher: LOST \(count) message(s): \(reason)"
        case .core(.notice(.outageBegan(_, let buffered))): line = "publisher: broker unreachable, buffering (\(buffered) held)"
        case .core(.notice(.outageEnded(_, let duration, let buffered))):
            line = "publisher: broker back after \(duration.milliseconds) ms, draining \(buffered) message(s)"
        case .core(.notice(.spoolEngaged)): line = "publisher: memory buffer full, spooling"
        case .core(.notice(.spoolDrained)): line = "publisher: spool drained"
        case .core(.notice(.spoolReadFailed(let error))): line = "publisher: spool read failed: \(error)"
        case .streamSetupFailed(let error): line = "publisher: stream setup failed: \(error)"
        case .core, .publishCallFailed: return
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public let configuration: Configuration
    private let monitor = Monitor()
    private var core: PublisherCore
    private var outbox: [PublisherCore.Delivery] = []
    /// Generations of connections libnats reported lost, for the publisher thread to drop.
    private var lostConnections: [Int] = []
    /// The link's story so far (under the monitor).
    private var link = ConnectionHealth()
    private var generation = 0
    private var contexts: [CallbackContext] = []
    private var options: OpaquePointer?
    private var closing = false
    private var threadDone = false
    private var log: @Sendable (LogEvent) -> Void
    // The current connection, its ack subscription and reply subjects: publisher thread only.
    private var connection: OpaquePointer?
    private var ackSubscription: OpaquePointer?
    private var inbox: AckInbox?
    private var scratch: [PublisherCore.Effect] = []
    /// Losses not yet logged: reported at most once per tick so a long outage logs a count, not a flood.
    private var unloggedLoss: (count: Int, reason: PublisherCore.LossReason)?
    /// Who sleeps on the monitor, so wake-ups (futex calls) happen only when someone can proceed.
    private var waitingForConnect = 0
    private var waitingProducers = 0
    private var waitingFlush = 0
    private var publisherIdle = false

    public init(
        _ configuration: Configuration, spool: (any MessageSpool)? = nil,
        log: @escaping @Sendable (LogEvent) -> Void = JetStreamPublisher.standardErrorLog
    ) {
        self.configuration = configuration
        self.core = PublisherCore(configuration: configuration.core, encoder: configuration.encoder, spool: spool)
        self.log = log
    }

    deinit { close() }

    /// Starts the publisher thread, which connects (retrying forever with backoff). Waits a bounded
    /// time for a reachable server to connect and set up the stream, so the first messages go
    /// straight out; without one, `publish` buffers while the thread keeps trying.
    public func start() throws(NATSError) {
        let opts = try NATSOptionsFactory.make(configuration.connection)
        do throws(NATSError) {
            try check("natsOptions_SetAllowReconnect", natsOptions_SetAllowReconnect(opts, false))
            try check("natsOptions_SetPingInterval", natsOptions_SetPingInterval(opts, 5_000))
            try check("natsOptions_SetMaxPingsOut", natsOptions_SetMaxPingsOut(opts, 3))
            try check("natsOptions_SetIOBufSize", natsOptions_SetIOBufSize(opts, Self.ioBufferBytes))
        } catch {
            natsOptions_Destroy(opts)
            throw error
        }
        options = opts
        monitor.lock()
        link.downSinceMonotonicNs = monotonicNanoseconds()
        monitor.unlock()
        let thread = Thread { [self] in run() }
        thread.name = "marketprism-nats-publisher"
        thread.start()
        let deadline = monotonicNanoseconds() + configuration.connection.connectTimeout.value + 2_000_000_000
        monitor.lock()
        waitingForConnect += 1
        while !core.isConnected && monotonicNanoseconds() < deadline { monitor.waitRoom(nanoseconds: 10_000_000) }
        waitingForConnect -= 1
        monitor.unlock()
    }

    // MARK: - Producer side

    public func publish(_ event: PublishableEvent) {
        publish(encoded: configuration.encoder.encode(event))
    }

    /// `EventPublisher`: the live publisher keeps time with its own monotonic clock.
    public func publish(_ event: PublishableEvent, at now: Instant) {
        publish(event)
    }

    public func publish(encoded message: OutboundMessage) {
        monitor.lock()
        if configuration.backpressure {
            waitingProducers += 1
            while core.isConnected && core.windowCount >= configuration.core.memoryLimitMessages && !closing {
                monitor.waitRoom(nanoseconds: 50_000_000)
            }
            waitingProducers -= 1
        }
        core.handle(.publishEncoded(message), at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
    }

    /// Waits until every accepted message is acked or lost, or the timeout passes; true if all are settled.
    @discardableResult
    public func flush(timeout: Nanoseconds) -> Bool {
        let deadline = monotonicNanoseconds() + timeout.value
        monitor.lock()
        defer { monitor.unlock() }
        waitingFlush += 1
        defer { waitingFlush -= 1 }
        while core.stats.buffered > 0 {
            let left = deadline - monotonicNanoseconds()
            if left <= 0 { return false }
            monitor.waitRoom(nanoseconds: min(left, 50_000_000))
        }
        return true
    }

    public var stats: PublisherCore.Stats {
        monitor.lock()
        defer { monitor.unlock() }
        return core.stats
    }

    public var isConnected: Bool {
        monitor.lock()
        defer { monitor.unlock() }
        return core.isConnected
    }

    /// The broker link as the publisher sees it now (one lock; cheap enough to poll every few ms).
    public var health: ConnectionHealth {
        monitor.lock()
        defer { monitor.unlock() }
        var h = link
        h.connected = core.isConnected
        let stats = core.stats
        h.acked = stats.acked
        h.publishFailures = stats.failures
        h.lost = stats.lost
        h.buffered = stats.buffered
        return h
    }

    /// Stops the publisher thread and closes the connection; un-acked messages stay counted as buffered.
    public func close() {
        monitor.lock()
        let wasStarted = options != nil && !closing
        closing = true
        monitor.signalWork()
        monitor.broadcastRoom()
        while wasStarted && !threadDone { monitor.waitRoom(nanoseconds: 10_000_000) }
        monitor.unlock()
        guard wasStarted else { return }
        for context in contexts { context.detach() }
        destroyConnection()
        if let options { natsOptions_Destroy(options) }
        options = nil
    }

    // MARK: - Callback side (libnats threads)

    func connectionLost(generation lost: Int, reason: String?) {
        monitor.lock()
        if lost == generation, let reason { link.lastError = reason }
        lostConnections.append(lost)
        monitor.signalWork()
        monitor.unlock()
    }

    /// JetStream stored these messages (or already had them): one lock for a burst of acks. An
    /// ack is true whichever connection it came on.
    func acknowledged(_ acks: [AckedSequence]) {
        monitor.lock()
        let at = now()
        for ack in acks { core.handle(.ack(sequence: ack.sequence, duplicate: ack.duplicate), at: at, into: &scratch) }
        absorbLocked()
        monitor.unlock()
    }

    /// JetStream refused message `sequence`, or nobody answered for the stream. A failure from an
    /// older connection is stale (that message has been resent since) and ignored.
    func failed(sequence: UInt64, generation answeredOn: Int, reason: PublisherCore.FailureReason) {
        monitor.lock()
        if answeredOn == generation {
            core.handle(.failed(sequence: sequence, reason: reason), at: now(), into: &scratch)
            absorbLocked()
        }
        monitor.unlock()
    }

    // MARK: - Publisher thread

    private func run() {
        var batch: [PublisherCore.Delivery] = []
        var lastTick = monotonicNanoseconds()
        var failedAttempts = 0
        var nextAttempt = Int64.min
        monitor.lock()
        while !closing {
            if outbox.isEmpty && lostConnections.isEmpty && connection != nil {
                publisherIdle = true
                monitor.waitWork(nanoseconds: configuration.tickInterval.value)
                publisherIdle = false
            }
            if closing { break }
            let lost = lostConnections
            lostConnections.removeAll()
            monitor.unlock()
            if connection != nil, lost.contains(generation) { dropConnection() }
            if connection == nil {
                if monotonicNanoseconds() >= nextAttempt {
                    if connect() {
                        failedAttempts = 0
                    } else {
                        failedAttempts += 1
                        nextAttempt = monotonicNanoseconds() + reconnectDelay(failedAttempts)
                    }
                }
                if connection == nil {
                    monitor.lock()
                    monitor.waitWork(nanoseconds: min(configuration.tickInterval.value, max(1, nextAttempt - monotonicNanoseconds())))
                    monitor.unlock()
                }
            }
            monitor.lock()
            if monotonicNanoseconds() - lastTick >= configuration.tickInterval.value {
                lastTick = monotonicNanoseconds()
                core.handle(.tick, at: now(), into: &scratch)
                absorbLocked()
                logLossLocked()
            }
            swap(&batch, &outbox)
            monitor.unlock()
            send(batch)
            batch.removeAll(keepingCapacity: true)
            monitor.lock()
        }
        logLossLocked()
        threadDone = true
        monitor.broadcastRoom()
        monitor.unlock()
    }

    /// The pause before connect attempt `n + 1`: `reconnectWait` doubling up to `maxReconnectWait`.
    private func reconnectDelay(_ failures: Int) -> Int64 {
        let cap = configuration.connection.maxReconnectWait.value
        var delay = max(1_000_000, configuration.connection.reconnectWait.value)
        for _ in 1..<min(max(failures, 1), 30) where delay < cap { delay *= 2 }
        return min(delay, cap)
    }

    /// One connect attempt with stream setup; on success the core is told it is connected.
    private func connect() -> Bool {
        guard let options else { return false }
        // Fresh callback closures per connection (libnats copies the options at connect), so a
        // late callback about an old connection cannot drop this one. Kept alive forever on purpose.
        monitor.lock()
        generation += 1
        let context = CallbackContext(self, generation: generation)
        monitor.unlock()
        _ = Unmanaged.passRetained(context)
        contexts.append(context)
        let raw = Unmanaged.passUnretained(context).toOpaque()
        natsOptions_SetDisconnectedCB(options, natsTransportDisconnected, raw)
        natsOptions_SetClosedCB(options, natsTransportDisconnected, raw)
        var nc: OpaquePointer?
        let s = natsConnection_Connect(&nc, options)
        guard s == NATS_OK, let nc else {
            if let nc { natsConnection_Destroy(nc) }
            noteConnectFailed("\(NATSError("natsConnection_Connect", s))")
            return false
        }
        connection = nc
        // JetStream may need a moment after a server restart: retry until it answers or the link drops.
        var attempt = 0
        while true {
            do {
                try setUpStream(nc)
                break
            } catch {
                log(.streamSetupFailed(error))
                attempt += 1
                monitor.lock()
                let stop = closing || lostConnections.contains(generation)
                monitor.unlock()
                if stop || attempt >= 20 {
                    destroyConnection()
                    noteConnectFailed("\(error)")
                    return false
                }
                usleep(UInt32(min(500_000, 25_000 * attempt)))
            }
        }
        // Acks come to a wildcard inbox of this connection; subscribed before the first publish,
        // so the server knows it before any ack is due.
        guard let inbox = AckInbox() else {
            destroyConnection()
            noteConnectFailed("no ack inbox")
            return false
        }
        var sub: OpaquePointer?
        let subscribed = natsConnection_Subscribe(&sub, nc, inbox.wildcard, natsTransportAckReply, raw)
        guard subscribed == NATS_OK, let sub else {
            destroyConnection()
            noteConnectFailed("\(NATSError("natsConnection_Subscribe", subscribed))")
            return false
        }
        // Never drop acks as a slow consumer: a dropped ack costs a timeout and a resend.
        natsSubscription_SetPendingLimits(sub, -1, -1)
        ackSubscription = sub
        self.inbox = inbox
        monitor.lock()
        link.downSinceMonotonicNs = nil
        core.handle(.connected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
        return true
    }

    private func noteConnectFailed(_ reason: String) {
        monitor.lock()
        link.connectAttemptsFailed += 1
        link.lastError = reason
        monitor.unlock()
    }

    /// Stream setup through a JetStream context that lives only for the setup calls.
    private func setUpStream(_ nc: OpaquePointer) throws(NATSError) {
        var ctx: OpaquePointer?
        try check("natsConnection_JetStream", natsConnection_JetStream(&ctx, nc, nil))
        defer { jsCtx_Destroy(ctx) }
        guard let ctx else { throw NATSError("natsConnection_JetStream", NATS_NO_MEMORY) }
        try StreamSetup.ensure(ctx, configuration.stream)
    }

    /// The connection is gone: throw it away with anything libnats still buffered for it, and let
    /// the core resend from the first un-acked message (libnats holds no message of ours).
    private func dropConnection() {
        destroyConnection()
        monitor.lock()
        link.connectionsLost += 1
        if link.lastError == nil { link.lastError = "connection lost" }
        link.downSinceMonotonicNs = monotonicNanoseconds()
        core.handle(.disconnected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
    }

    private func destroyConnection() {
        if let connection { natsConnection_Close(connection) }
        if let ackSubscription { natsSubscription_Destroy(ackSubscription) }
        if let connection { natsConnection_Destroy(connection) }
        ackSubscription = nil
        inbox = nil
        connection = nil
    }

    /// Publishes a batch with the message's id header and a reply inbox naming its window
    /// sequence; no lock is taken unless a publish call fails.
    private func send(_ batch: [PublisherCore.Delivery]) {
        guard let connection, let inbox, !batch.isEmpty else { return }
        for delivery in batch {
            let reply = inbox.reply(for: delivery.sequence)
            let status: natsStatus = delivery.message.withParts { subject, id, payload in
                var msg: OpaquePointer?
                var s = payload.withMemoryRebound(to: CChar.self) {
                    natsMsg_Create(&msg, subject, reply, $0.baseAddress, Int32($0.count))
                }
                guard s == NATS_OK, let msg else { return s }
                defer { natsMsg_Destroy(msg) }
                s = natsMsgHeader_Set(msg, "Nats-Msg-Id", id)
                return s == NATS_OK ? natsConnection_PublishMsg(connection, msg) : s
            }
            if status != NATS_OK {
                // Go-back-N: everything after this message is resent after it anyway.
                fail(delivery.sequence, NATSError("natsConnection_PublishMsg", status))
                return
            }
        }
    }

    private func fail(_ sequence: UInt64, _ error: NATSError) {
        log(.publishCallFailed(error))
        monitor.lock()
        core.handle(.failed(sequence: sequence, reason: .rejected(error.statusText)), at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
    }

    /// Moves the effects in `scratch` to the outbox and the log, and wakes whoever can now
    /// proceed; called with the lock held.
    private func absorbLocked() {
        var wake = false
        for effect in scratch {
            switch effect {
            case .send(let d):
                outbox.append(d)
                wake = true
            case .lost(let n, let reason):
                unloggedLoss = ((unloggedLoss?.count ?? 0) + n, reason)
            case .notice:
                log(.core(effect))
            }
        }
        scratch.removeAll(keepingCapacity: true)
        if wake && publisherIdle { monitor.signalWork() }
        if (waitingFlush > 0 && core.stats.buffered == 0)
            || (waitingProducers > 0 && (core.windowCount < configuration.core.memoryLimitMessages || !core.isConnected))
            || (waitingForConnect > 0 && core.isConnected)
        {
            monitor.broadcastRoom()
        }
    }

    private func logLossLocked() {
        if let loss = unloggedLoss {
            unloggedLoss = nil
            log(.core(.lost(count: loss.count, reason: loss.reason)))
        }
    }

    private func now() -> Instant { Instant(nanoseconds: monotonicNanoseconds()) }

    /// libnats' socket read/write buffers: a full in-flight window of small messages is written
    /// in a few large writes instead of many 32 KiB ones.
    static let ioBufferBytes: Int32 = 1 << 20
}
