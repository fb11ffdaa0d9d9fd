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
/// publisher thread makes every blocking libnats call (connect handling, stream setup, async
/// publish, reclaiming pending messages); libnats' own threads run the C callbacks, which only
/// feed the core under the lock and wake the publisher thread. Every `Nats-Msg-Id` comes from
/// the message, so resends after a lost ack or a reconnect are dropped by the broker's dedup window.
public final class JetStreamPublisher: @unchecked Sendable {
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
            core: PublisherCore.Configuration = PublisherCore.Configuration(), encoder: MessageEncoder = MessageEncoder(),
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

    public let configuration: Configuration
    private let monitor = Monitor()
    private var core: PublisherCore
    private var outbox: [PublisherCore.Delivery] = []
    private var connectivity: [Bool] = []  // true = connected, false = disconnected, in callback order
    private var inFlightBySequence: [UInt: UInt64] = [:]  // natsMsg address -> window sequence
    private var closing = false
    private var threadDone = false
    private var log: @Sendable (LogEvent) -> Void
    private var connection: OpaquePointer?
    private var js: OpaquePointer?
    private var callbackContext: Unmanaged<CallbackContext>?
    private var scratch: [PublisherCore.Effect] = []

    public init(
        _ configuration: Configuration, spool: (any MessageSpool)? = nil, log: @escaping @Sendable (LogEvent) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.core = PublisherCore(configuration: configuration.core, encoder: configuration.encoder, spool: spool)
        self.log = log
    }

    deinit { close() }

    /// Starts the publisher thread and connects: waits (bounded) for a server that answers, else
    /// keeps retrying in the background while `publish` buffers.
    public func start() throws(NATSError) {
        let opts = try NATSOptionsFactory.make(configuration.connection)
        defer { natsOptions_Destroy(opts) }
        // The context outlives this object on purpose: libnats may still call back while closing.
        let context = Unmanaged.passRetained(CallbackContext(self))
        callbackContext = context
        let raw = context.toOpaque()
        try check("natsOptions_SetAllowReconnect", natsOptions_SetAllowReconnect(opts, true))
        try check("natsOptions_SetMaxReconnect", natsOptions_SetMaxReconnect(opts, -1))
        try check("natsOptions_SetCustomReconnectDelay", natsOptions_SetCustomReconnectDelay(opts, natsTransportReconnectDelay, raw))
        try check("natsOptions_SetDisconnectedCB", natsOptions_SetDisconnectedCB(opts, natsTransportDisconnected, raw))
        try check("natsOptions_SetReconnectedCB", natsOptions_SetReconnectedCB(opts, natsTransportConnected, raw))
        try check(
            "natsOptions_SetRetryOnFailedConnect", natsOptions_SetRetryOnFailedConnect(opts, true, natsTransportConnected, raw))

        var nc: OpaquePointer?
        let s = natsConnection_Connect(&nc, opts)
        guard s == NATS_OK || s == NATS_NOT_YET_CONNECTED, let nc else { throw NATSError("natsConnection_Connect", s) }
        connection = nc

        var jsOpts = jsOptions()
        jsOptions_Init(&jsOpts)
        jsOpts.PublishAsync.MaxPending = Int64(configuration.core.maxInFlight * 2 + 16)
        jsOpts.PublishAsync.AckHandler = natsTransportAck
        jsOpts.PublishAsync.AckHandlerClosure = raw
        var ctx: OpaquePointer?
        try check("natsConnection_JetStream", natsConnection_JetStream(&ctx, nc, &jsOpts))
        js = ctx

        if s == NATS_OK { connectivityChanged(true) }
        let thread = Thread { [self] in run() }
        thread.name = "marketprism-nats-publisher"
        thread.start()
        // Give a reachable server the time to connect and set up the stream, so the first
        // messages go straight out; an unreachable one is retried in the background.
        if s == NATS_OK {
            let deadline = monotonicNanoseconds() + configuration.connection.connectTimeout.value * 2
            monitor.lock()
            while !core.isConnected && monotonicNanoseconds() < deadline { monitor.waitRoom(nanoseconds: 10_000_000) }
            monitor.unlock()
        }
    }

    // MARK: - Producer side

    public func publish(_ event: PublishableEvent) {
        publish(encoded: configuration.encoder.encode(event))
    }

    public func publish(encoded message: OutboundMessage) {
        monitor.lock()
        if configuration.backpressure {
            while core.isConnected && core.windowCount >= configuration.core.memoryLimitMessages && !closing {
                monitor.waitRoom(nanoseconds: 50_000_000)
            }
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
        let wasStarted = connection != nil && !closing
        closing = true
        monitor.signalWork()
        monitor.broadcastRoom()
        while wasStarted && !threadDone { monitor.waitRoom(nanoseconds: 10_000_000) }
        monitor.unlock()
        guard wasStarted else { return }
        callbackContext?.takeUnretainedValue().detach()
        if let connection { natsConnection_Close(connection) }
        if let js { jsCtx_Destroy(js) }
        if let connection { natsConnection_Destroy(connection) }
        js = nil
        connection = nil
    }

    // MARK: - Callback side (libnats threads)

    func connectivityChanged(_ connected: Bool) {
        monitor.lock()
        connectivity.append(connected)
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

    var reconnectWait: (base: Int64, max: Int64) {
        (configuration.connection.reconnectWait.value / 1_000_000, configuration.connection.maxReconnectWait.value / 1_000_000)
    }

    // MARK: - Publisher thread

    private func run() {
        var batch: [PublisherCore.Delivery] = []
        var lastTick = monotonicNanoseconds()
        monitor.lock()
        while !closing {
            if outbox.isEmpty && connectivity.isEmpty {
                monitor.waitWork(nanoseconds: configuration.tickInterval.value)
            }
            if closing { break }
            let changes = connectivity
            connectivity.removeAll()
            monitor.unlock()
            for connected in changes {
                if connected { becameConnected() } else { becameDisconnected() }
            }
            monitor.lock()
            if monotonicNanoseconds() - lastTick >= configuration.tickInterval.value {
                lastTick = monotonicNanoseconds()
                core.handle(.tick, at: now(), into: &scratch)
                absorbLocked()
            }
            swap(&batch, &outbox)
            monitor.unlock()
            for delivery in batch { send(delivery) }
            batch.removeAll(keepingCapacity: true)
            monitor.lock()
        }
        threadDone = true
        monitor.broadcastRoom()
        monitor.unlock()
    }

    private func becameConnected() {
        guard let js else { return }
        // JetStream may need a moment after a server restart: retry until it answers or the link drops again.
        var attempt = 0
        while true {
            do {
                try StreamSetup.ensure(js, configuration.stream)
                break
            } catch {
                log(.streamSetupFailed(error))
                attempt += 1
                monitor.lock()
                let stop = closing || connectivity.contains(false)
                monitor.unlock()
                if stop { return }
                usleep(UInt32(min(1_000_000, 50_000 * attempt)))
            }
        }
        monitor.lock()
        core.handle(.connected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
    }

    private func becameDisconnected() {
        // In-flight async publishes get no error on a disconnect: take them back from libnats
        // (their acks, if any arrive later, are dropped) and let the core resend them in order.
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
        monitor.lock()
        core.handle(.disconnected, at: now(), into: &scratch)
        absorbLocked()
        monitor.unlock()
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

    /// Moves the effects in `scratch` to the outbox and the log; called with the lock held.
    private func absorbLocked() {
        guard !scratch.isEmpty else {
            monitor.broadcastRoom()
            return
        }
        var wake = false
        for effect in scratch {
            switch effect {
            case .send(let d):
                outbox.append(d)
                wake = true
            case .lost, .notice:
                log(.core(effect))
            }
        }
        scratch.removeAll(keepingCapacity: true)
        if wake { monitor.signalWork() }
        monitor.broadcastRoom()
    }

    private func now() -> Instant { Instant(nanoseconds: monotonicNanoseconds()) }
}
