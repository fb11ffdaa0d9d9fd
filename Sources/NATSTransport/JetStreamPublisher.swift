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
/// publisher thread makes every blocking libnats call (connecting, stream setup, async publish,
/// reclaiming pending messages); libnats' own threads run the C callbacks, which only feed the
/// core under the lock and wake the publisher thread. Every `Nats-Msg-Id` comes from the
/// message, so resends after a lost ack or a reconnect are dropped by the broker's dedup window.
///
/// Reconnecting is done here, not by libnats: a lost connection is destroyed with whatever
/// libnats still buffered for it, and a fresh one is made with exponential backoff, forever.
/// libnats' own reconnect would flush its buffered publishes before the core's ordered resend
/// and put later messages ahead of earlier ones in the stream.
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
    private var generation = 0
    private var contexts: [CallbackContext] = []
    private var options: OpaquePointer?
    private var inFlightBySequence: [UInt: UInt64] = [:]  // natsMsg address -> window sequence
    private var closing = false
    private var threadDone = false
    private var log: @Sendable (LogEvent) -> Void
    private var connection: OpaquePointer?
    private var js: OpaquePointer?
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
        } catch {
            natsOptions_Destroy(opts)
            throw error
        }
        options = opts
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

    func connectionLost(generation lost: Int) {
        monitor.lock()
        lostConnections.append(lost)
        monitor.signalWork()
        monitor.unlock()
    }

    func acknowledged(_ msg: OpaquePointer, stored: Bool, duplicate: Bool, failure: PublisherCore.FailureReason?) {
        monitor.lock()
        if let sequence = inFlightBySequence.removeValue(forKey: UInt(bitPattern: msg)) {
            if let failure {
                core.handle(.failed(sequence: sequence, reason: failure), at: now(), into: &scratch)
            } else if stored {
                core.handle(.ack(sequence: sequence, duplicate: duplicate), at: now(), into: &scratch)
            }
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
            for delivery in batch { send(delivery) }
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
            return false
        }
        var jsOpts = jsOptions()
        jsOptions_Init(&jsOpts)
        jsOpts.PublishAsync.MaxPending = Int64(configuration.core.maxInFlight * 2 + 16)
        jsOpts.PublishAsync.AckHandler = natsTransportAck
        jsOpts.PublishAsync.AckHandlerClosure = raw
        var ctx: OpaquePointer?
        guard natsConnection_JetStream(&ctx, nc, &jsOpts) == NATS_OK, let ctx else {
            natsConnection_Close(nc)
            natsConnection_Destroy(nc)
            return false
        }
        connection = nc
        js = ctx
        // JetStream may need a moment after a server restart: retry until it answers or the link drops.
        var attempt = 0
        while true {
            do {
                try StreamSetup.ensure(ctx, configuration.stream)
                break
            } catch {
                log(.streamSetupFailed(error))
                attempt += 1
                monitor.lock()
                let stop = closing || lostConnections.contains(generation)
                monitor.unlock()
                if stop || attempt >= 20 {
                    destroyConnection()
                    return false
                }
                usleep(UInt32(min(500_000, 25_000 * attempt)))
            }
        }
        monitor.lock()
        core.handle(.connected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
        return true
    }

    /// The connection is gone: take back libnats' in-flight async publishes (they get no error on
    /// a disconnect), throw the connection away with anything it still buffered, and let the core
    /// resend from the first un-acked message.
    private func dropConnection() {
        destroyConnection()
        monitor.lock()
        core.handle(.disconnected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
    }

    private func destroyConnection() {
        if let js {
            var pending = natsMsgList()
            if js_PublishAsyncGetPendingList(&pending, js) == NATS_OK {
                monitor.lock()
                for i in 0..<Int(pending.Count) {
                    if let m = pending.Msgs[i] { inFlightBySequence.removeValue(forKey: UInt(bitPattern: m)) }
                }
                monitor.unlock()
                natsMsgList_Destroy(&pending)
            }
        }
        if let connection { natsConnection_Close(connection) }
        if let js { jsCtx_Destroy(js) }
        if let connection { natsConnection_Destroy(connection) }
        js = nil
        connection = nil
    }

    private func send(_ delivery: PublisherCore.Delivery) {
        guard let js else { return }
        var msg: OpaquePointer?
        var opts = jsPubOptions()
        jsPubOptions_Init(&opts)
        opts.MaxWait = max(1, configuration.core.ackTimeout.value / 1_000_000)
        var original: OpaquePointer?
        let status: natsStatus = delivery.message.withParts { subject, id, payload in
            let created = payload.withMemoryRebound(to: CChar.self) {
                natsMsg_Create(&msg, subject, nil, $0.baseAddress, Int32($0.count))
            }
            guard created == NATS_OK, let m = msg else { return created }
            original = m
            monitor.lock()
            inFlightBySequence[UInt(bitPattern: m)] = delivery.sequence
            monitor.unlock()
            opts.MsgId = id
            return js_PublishMsgAsync(js, &msg, &opts)
        }
        guard let original else {
            fail(delivery.sequence, NATSError("natsMsg_Create", status))
            return
        }
        if status != NATS_OK {
            monitor.lock()
            let mine = inFlightBySequence.removeValue(forKey: UInt(bitPattern: original)) != nil
            monitor.unlock()
            if let msg { natsMsg_Destroy(msg) }
            if mine { fail(delivery.sequence, NATSError("js_PublishMsgAsync", status)) }
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
}
