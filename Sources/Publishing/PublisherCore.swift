import Model

/// The publisher's state machine: buffering, in-flight window, acks, ordered resend and loss accounting.
///
/// Sans-IO: a driver feeds inputs with the current instant and carries out the returned effects
/// (sending to NATS, a file, or the simulated broker). Every accepted message gets a window
/// sequence number, contiguous and increasing, which the driver hands back with `.ack`/`.failed`.
/// A resend keeps the message's `Nats-Msg-Id`, so the broker drops copies that did land.
///
/// Order: messages are sent in acceptance order; on a failure or disconnect the core goes back to
/// the first un-acked message and resends everything after it in order (go-back-N), so with a
/// dedup window the stream holds each message once, in order.
///
/// Bounds: a memory window (messages and bytes), then the spool, then loss: counted in `stats`,
/// reported as a `.lost` effect, never silent.
public struct PublisherCore {
    public struct Configuration: Hashable, Sendable {
        /// Sent-but-unacknowledged messages at most.
        public var maxInFlight: Int
        /// Once the in-flight window is full, sending resumes when acks bring it down to this many:
        /// sends then go out in batches, not one per ack (fewer thread wake-ups in the live driver).
        public var resumeInFlight: Int
        /// Messages held in memory (in flight plus waiting) before the spool is used.
        public var memoryLimitMessages: Int
        /// Bytes held in memory before the spool is used.
        public var memoryLimitBytes: Int
        /// An un-acked message older than this is resent (the live driver also sets libnats' MaxWait).
        public var ackTimeout: Nanoseconds
        /// Pause after a failure before resending; doubles per consecutive failure up to `maxRetryBackoff`.
        public var retryBackoff: Nanoseconds
        public var maxRetryBackoff: Nanoseconds

        public init(
            maxInFlight: Int = 4096, memoryLimitMessages: Int = 1_000_000, memoryLimitBytes: Int = 512 << 20,
            ackTimeout: Nanoseconds = .seconds(5), retryBackoff: Nanoseconds = .milliseconds(50),
            maxRetryBackoff: Nanoseconds = .seconds(2), resumeInFlight: Int? = nil
        ) {
            self.maxInFlight = max(1, maxInFlight)
            self.resumeInFlight = min(max(0, resumeInFlight ?? maxInFlight - 1), self.maxInFlight - 1)
            self.memoryLimitMessages = max(self.maxInFlight, memoryLimitMessages)
            self.memoryLimitBytes = max(1, memoryLimitBytes)
            self.ackTimeout = ackTimeout
            self.retryBackoff = retryBackoff
            self.maxRetryBackoff = maxRetryBackoff
        }
    }

    public enum Input {
        /// Encode and publish an event.
        case publish(PublishableEvent)
        /// Publish an already encoded message.
        case publishEncoded(OutboundMessage)
        /// The broker stored (or, with `duplicate`, had already stored) message `sequence`.
        case ack(sequence: UInt64, duplicate: Bool)
        /// Sending or storing message `sequence` failed; it and everything after it are resent.
        case failed(sequence: UInt64, reason: FailureReason)
        case connected
        case disconnected
        /// Time passed: ack timeouts and retry backoff are checked.
        case tick
    }

    public enum FailureReason: Hashable, Sendable {
        case timeout
        case noResponders
        /// The broker or client reported an error (status text or JetStream error code).
        case rejected(String)
    }

    public enum Effect: Hashable, Sendable {
        case send(Delivery)
        /// `count` messages were dropped because a bound was hit.
        case lost(count: Int, reason: LossReason)
        case notice(Notice)
    }

    public struct Delivery: Hashable, Sendable {
        public var sequence: UInt64
        public var message: OutboundMessage
        /// 1 for the first send, 2 for the first resend, ...
        public var attempt: Int

        public init(sequence: UInt64, message: OutboundMessage, attempt: Int) {
            self.sequence = sequence
            self.message = message
            self.attempt = attempt
        }
    }

    public enum LossReason: Hashable, Sendable {
        /// Memory is full and there is no spool.
        case memoryFull
        /// Memory and the spool are full.
        case spoolFull
        /// The spool failed to write or read.
        case spoolFailed(SpoolError)
    }

    /// State changes worth logging.
    public enum Notice: Hashable, Sendable {
        case outageBegan(at: Instant, buffered: Int)
        case outageEnded(at: Instant, duration: Nanoseconds, buffered: Int)
        case spoolEngaged(at: Instant)
        case spoolDrained(at: Instant)
        case sendFailed(sequence: UInt64, reason: FailureReason)
        /// Reading the spool failed without losing messages (they stay spooled; retried on the next pump).
        case spoolReadFailed(SpoolError)
    }

    public struct Stats: Hashable, Sendable {
        public init() {}

        /// Messages accepted by `publish` (lost ones included).
        public var published = 0
        /// Send attempts, first sends and resends.
        public var sent = 0
        public var acked = 0
        /// Acks the broker flagged as duplicates (a resend or another collector got there first).
        public var duplicates = 0
        public var resent = 0
        public var failures = 0
        public var lost = 0
        public var spooled = 0
        /// Messages waiting or in flight now (memory plus spool).
        public var buffered = 0
        public var bufferedMax = 0
        public var outages = 0
        public var outageTime = Nanoseconds.zero
    }

    struct Entry {
        var message: OutboundMessage
        var sentAt: Instant
        var attempts: Int
        var acked: Bool
    }

    public let configuration: Configuration
    public let encoder: MessageEncoder
    /// `encoder` with the subject, id and identity bytes of recent instruments kept.
    private var cachingEncoder: CachingMessageEncoder
    public private(set) var stats = Stats()
    public private(set) var isConnected = false

    private var spool: (any MessageSpool)?
    private var window = RingBuffer<Entry>(capacity: 1024)
    /// Window sequence number of `window[0]`.
    private var headSequence: UInt64 = 1
    /// `window[0..<sendCursor]` have been sent in the current pass.
    private var sendCursor = 0
    /// Un-acked entries in `window[0..<sendCursor]`.
    private var inFlight = 0
    private var windowBytes = 0
    private var holdUntil = Instant(nanoseconds: .min)
    private var consecutiveFailures = 0
    private var outageStart: Instant?
    /// The window filled and has not yet drained to `resumeInFlight`.
    private var windowLatched = false

    public init(configuration: Configuration = Configuration(), encoder: MessageEncoder = MessageEncoder(),
                spool: (any MessageSpool)? = nil) {
        self.configuration = configuration
        self.encoder = encoder
        self.cachingEncoder = CachingMessageEncoder(encoder: encoder)
        self.spool = spool
    }

    /// Messages held in memory (in flight plus waiting). Stored, not computed from the window: a
    /// getter called from another module took a copy of the whole core (~350 bytes) per call.
    public private(set) var windowCount = 0
    public var spoolCount: Int { spool?.count ?? 0 }

    /// Convenience for tests and the simulation: returns the effects of one input.
    public mutating func handle(_ input: Input, at now: Instant) -> [Effect] {
        var effects: [Effect] = []
        handle(input, at: now, into: &effects)
        return effects
    }

    /// Appends the effects of one input to `effects` (the hot path reuses one array).
    public mutating func handle(_ input: Input, at now: Instant, into effects: inout [Effect]) {
        assert(unstoredCount == 0, "unstored messages stored or settled first")
        switch input {
        case .publish(let event):
            accept(cachingEncoder.encode(event), at: now, into: &effects)
        case .publishEncoded(let message):
            accept(message, at: now, into: &effects)
        case .ack(let sequence, let duplicate):
            acknowledge(sequence, duplicate: duplicate)
        case .failed(let sequence, let reason):
            fail(sequence, reason: reason, at: now, into: &effects)
        case .connected:
            if !isConnected {
                isConnected = true
                consecutiveFailures = 0
                holdUntil = Instant(nanoseconds: .min)
                if let start = outageStart {
                    let duration = now - start
                    stats.outageTime = stats.outageTime + duration
                    outageStart = nil
                    effects.append(.notice(.outageEnded(at: now, duration: duration, buffered: stats.buffered)))
                }
            }
        case .disconnected:
            if isConnected || outageStart == nil {
                isConnected = false
                stats.outages += 1
                outageStart = now
                effects.append(.notice(.outageBegan(at: now, buffered: stats.buffered)))
            }
            // Whatever was in flight may or may not have landed: all of it goes again, same ids.
            sendCursor = 0
            inFlight = 0
        case .tick:
            checkTimeout(at: now, into: &effects)
        }
        pump(at: now, into: &effects)
    }

    /// The message `encoder.encode(event)` gives (through the core's header cache).
    public mutating func encode(_ event: PublishableEvent) -> OutboundMessage {
        cachingEncoder.encode(event)
    }

    /// `encode(PublishableEvent(event))` for a market event, nil for `.book` (not published as such).
    @inline(__always)
    public mutating func encode(_ event: MarketEvent) -> OutboundMessage? {
        cachingEncoder.encode(event)
    }

    /// `handle(.ack(sequence:duplicate:), at:into:)` without wrapping the input: drivers ack every message.
    @inline(__always)
    public mutating func acknowledged(sequence: UInt64, duplicate: Bool, at now: Instant, into effects: inout [Effect]) {
        assert(unstoredCount == 0, "unstored messages stored or settled first")
        acknowledge(sequence, duplicate: duplicate)
        pump(at: now, into: &effects)
    }

    /// `acknowledged(sequence:duplicate: false, ...)` for `first`, `first + 1`, ... (`count` of them) in
    /// that order, when that gives no effect; false (and nothing changed) otherwise, for the caller to
    /// ack them one by one. It does when they are the oldest messages in the window, all sent and
    /// un-acked, with nothing left to send and no spool: each ack then only pops messages.
    @inline(__always)
    public mutating func acknowledgedHead(from first: UInt64, count: Int, at now: Instant) -> Bool {
        assert(unstoredCount == 0, "unstored messages stored or settled first")
        guard count > 0, first == headSequence, count <= sendCursor, sendCursor == window.count, spool == nil
        else { return false }
        for i in 0..<count where window[i].acked { return false }
        for _ in 0..<count {
            let e = window.removeFirst()
            windowBytes -= e.message.size
        }
        headSequence &+= UInt64(count)
        sendCursor -= count
        inFlight -= count
        stats.acked += count
        consecutiveFailures = 0
        popAckedHead()  // messages acked earlier out of order go too, as `acknowledge` does
        // What `pump` after each ack does with nothing left to send: unlatch once low enough.
        if windowLatched, isConnected, now >= holdUntil, inFlight <= configuration.resumeInFlight {
            windowLatched = false
        }
        return true
    }

    // MARK: - Synchronous delivery

    /// The window sequence the next accepted message gets.
    public var nextSequence: UInt64 { headSequence &+ UInt64(window.count &+ unstoredCount) }

    /// Whether a message accepted now would be sent at once as the only one in flight: connected, not
    /// backing off, nothing in the window or the spool. A driver whose sink stores synchronously may
    /// then write the message itself and call `deliveredAtOnce()` instead of going through
    /// `.publishEncoded`, the `.send` effect and `.ack`: the state and stats end exactly as that round
    /// trip leaves them, without building, appending and switching over the effects.
    @inline(__always)
    public func sendsAtOnce(at now: Instant) -> Bool {
        isConnected && window.isEmpty && unstoredCount == 0 && now >= holdUntil && (spool?.count ?? 0) == 0
    }

    /// Records a message that was accepted, sent once and acknowledged in one step; only valid right
    /// after `sendsAtOnce(at:)` answered true. (If writing it failed, hand it to `.publishEncoded`
    /// instead, drop the `.send` effect that gives, and report `.failed`: see `SinkPublisher`.)
    @inline(__always)
    public mutating func deliveredAtOnce() {
        stats.published &+= 1
        stats.sent &+= 1
        stats.acked &+= 1
        if stats.bufferedMax < 1 { stats.bufferedMax = 1 }
        stats.buffered = 0
        consecutiveFailures = 0
        windowLatched = false
        headSequence &+= 1
    }

    /// Accepts a message and sends it, returning its delivery, when that is all `.publishEncoded` would
    /// do: connected, not backing off, no spool in use, everything accepted before already sent, room
    /// in memory and in the in-flight window. The state and stats end as after `.publishEncoded` and
    /// its single `.send` effect; nil (and nothing changed) otherwise, for the caller to take that path.
    @inline(__always)
    public mutating func sendAtOnce(_ message: OutboundMessage, at now: Instant) -> Delivery? {
        let size = message.size
        guard isConnected, now >= holdUntil, sendCursor == window.count, inFlight < configuration.maxInFlight,
            !windowLatched || inFlight <= configuration.resumeInFlight, window.count < configuration.memoryLimitMessages,
            windowBytes + size <= configuration.memoryLimitBytes || window.isEmpty, (spool?.count ?? 0) == 0
        else { return nil }
        stats.published += 1
        windowBytes += size
        window.append(Entry(message: message, sentAt: now, attempts: 1, acked: false))
        windowCount = window.count
        updateBuffered()
        windowLatched = false
        sendCursor += 1
        stats.sent += 1
        inFlight += 1
        if inFlight >= configuration.maxInFlight { windowLatched = true }
        return Delivery(sequence: headSequence &+ UInt64(window.count &- 1), message: message, attempt: 1)
    }

    // MARK: - Unstored deliveries

    /// Messages `sendUnstored` accepted and sent that the window counts (sequences, bytes, in-flight
    /// and buffered figures) but does not hold: they are the window's oldest, `headSequence` on.
    public private(set) var unstoredCount = 0

    /// `sendAtOnce` for a driver that keeps the message itself until it learns how writing it went:
    /// the same checks and the same state and stats, but the window stores only the message's count
    /// and `size` (no entry to build now and pop at the ack). Only while the window holds nothing
    /// else and there is no spool; nil (and nothing changed) otherwise. Before any other input, the
    /// driver hands the messages over (`storeUnstored`) or reports them all stored (`settleUnstored`).
    @inline(__always)
    public mutating func sendUnstored(size: Int, at now: Instant) -> UInt64? {
        guard spool == nil, window.isEmpty, isConnected, now >= holdUntil, sendCursor == unstoredCount,
            inFlight < configuration.maxInFlight, !windowLatched || inFlight <= configuration.resumeInFlight,
            unstoredCount < configuration.memoryLimitMessages,
            windowBytes + size <= configuration.memoryLimitBytes || unstoredCount == 0
        else { return nil }
        stats.published += 1
        windowBytes += size
        unstoredCount += 1
        windowCount = unstoredCount
        stats.buffered = unstoredCount
        if stats.buffered > stats.bufferedMax { stats.bufferedMax = stats.buffered }
        windowLatched = false
        sendCursor += 1
        stats.sent += 1
        inFlight += 1
        if inFlight >= configuration.maxInFlight { windowLatched = true }
        return headSequence &+ UInt64(unstoredCount &- 1)
    }

    /// The unstored messages, in order, become ordinary window entries (sent once, un-acked), as
    /// `sendAtOnce` would have left them.
    public mutating func storeUnstored(_ messages: some Collection<OutboundMessage>, sentAt now: Instant) {
        precondition(messages.count == unstoredCount && window.isEmpty, "the unstored messages, all of them")
        for message in messages { window.append(Entry(message: message, sentAt: now, attempts: 1, acked: false)) }
        unstoredCount = 0
    }

    /// The broker stored every unstored message: what `acknowledgedHead(from:count:at:)` does for them
    /// (it always can: they are the window's oldest, all sent, nothing else waits, no spool).
    @inline(__always)
    public mutating func settleUnstored(at now: Instant) {
        let count = unstoredCount
        unstoredCount = 0
        windowBytes = 0
        headSequence &+= UInt64(count)
        sendCursor = 0
        inFlight = 0
        stats.acked += count
        consecutiveFailures = 0
        windowCount = 0
        stats.buffered = 0
        if windowLatched, isConnected, now >= holdUntil { windowLatched = false }  // 0 in flight <= resumeInFlight
    }

    // MARK: - Accepting

    private mutating func accept(_ message: OutboundMessage, at now: Instant, into effects: inout [Effect]) {
        stats.published += 1
        let size = message.size
        let spoolBusy = (spool?.count ?? 0) > 0
        if !spoolBusy && window.count < configuration.memoryLimitMessages
            && (windowBytes + size <= configuration.memoryLimitBytes || window.isEmpty)
        {
            enqueue(message)
        } else if let spool {
            do {
                let wasEmpty = spool.count == 0
                try spool.append(message)
                stats.spooled += 1
                if wasEmpty { effects.append(.notice(.spoolEngaged(at: now))) }
            } catch {
                let reason: LossReason
                if case .full = error { reason = .spoolFull } else { reason = .spoolFailed(error) }
                stats.lost += 1
                effects.append(.lost(count: 1, reason: reason))
            }
        } else {
            stats.lost += 1
            effects.append(.lost(count: 1, reason: .memoryFull))
        }
        updateBuffered()
    }

    private mutating func enqueue(_ message: OutboundMessage) {
        windowBytes += message.size
        window.append(Entry(message: message, sentAt: .zero, attempts: 0, acked: false))
        windowCount = window.count
    }

    private mutating func updateBuffered() {
        stats.buffered = window.count + (spool?.count ?? 0)
        if stats.buffered > stats.bufferedMax { stats.bufferedMax = stats.buffered }
    }

    // MARK: - Acks and failures

    private mutating func acknowledge(_ sequence: UInt64, duplicate: Bool) {
        guard sequence >= headSequence, sequence - headSequence < UInt64(window.count) else { return }
        let index = Int(sequence - headSequence)
        guard !window[index].acked else { return }
        window[index].acked = true
        if index < sendCursor { inFlight -= 1 }
        stats.acked += 1
        if duplicate { stats.duplicates += 1 }
        consecutiveFailures = 0
        popAckedHead()
    }

    /// Drops acked messages from the front of the window.
    @inline(__always)
    private mutating func popAckedHead() {
        while !window.isEmpty && window[0].acked {
            let e = window.removeFirst()
            windowBytes -= e.message.size
            headSequence += 1
            if sendCursor > 0 { sendCursor -= 1 }
        }
        windowCount = window.count
        updateBuffered()
    }

    private mutating func fail(_ sequence: UInt64, reason: FailureReason, at now: Instant, into effects: inout [Effect]) {
        guard sequence >= headSequence, sequence - headSequence < UInt64(window.count) else { return }
        let index = Int(sequence - headSequence)
        guard !window[index].acked, index < sendCursor else { return }
        stats.failures += 1
        effects.append(.notice(.sendFailed(sequence: sequence, reason: reason)))
        goBack(to: index)
        consecutiveFailures += 1
        var pause = configuration.retryBackoff
        for _ in 1..<min(consecutiveFailures, 20) where pause < configuration.maxRetryBackoff { pause = pause * 2 }
        holdUntil = now + min(pause, configuration.maxRetryBackoff)
    }

    private mutating func goBack(to index: Int) {
        sendCursor = index
        var n = 0
        for i in 0..<index where !window[i].acked { n += 1 }
        inFlight = n
    }

    private mutating func checkTimeout(at now: Instant, into effects: inout [Effect]) {
        guard isConnected, sendCursor > 0, !window.isEmpty else { return }
        // window[0] is never acked (acked heads are popped), so it is the oldest in flight.
        if now - window[0].sentAt >= configuration.ackTimeout {
            fail(headSequence, reason: .timeout, at: now, into: &effects)
        }
    }

    // MARK: - Sending

    private mutating func pump(at now: Instant, into effects: inout [Effect]) {
        refill(at: now, into: &effects)
        guard isConnected, now >= holdUntil else { return }
        if windowLatched {
            guard inFlight <= configuration.resumeInFlight else { return }
            windowLatched = false
        }
        defer { if inFlight >= configuration.maxInFlight { windowLatched = true } }
        while inFlight < configuration.maxInFlight && sendCursor < window.count {
            let index = sendCursor
            sendCursor += 1
            if window[index].acked { continue }
            window[index].attempts += 1
            window[index].sentAt = now
            let attempt = window[index].attempts
            if attempt > 1 { stats.resent += 1 }
            stats.sent += 1
            inFlight += 1
            effects.append(.send(Delivery(sequence: headSequence + UInt64(index), message: window[index].message, attempt: attempt)))
            if sendCursor == window.count { refill(at: now, into: &effects) }
        }
    }

    /// Moves spooled messages into free window space, oldest first.
    private mutating func refill(at now: Instant, into effects: inout [Effect]) {
        guard let spool, spool.count > 0 else { return }
        let room = configuration.memoryLimitMessages - window.count
        guard room > 0 else { return }
        do {
            let batch = try spool.removeFirst(upTo: min(room, 4096))
            for m in batch { enqueue(m) }
        } catch {
            if case .corrupt(_, _, let lost) = error, lost > 0 {
                stats.lost += lost
                effects.append(.lost(count: lost, reason: .spoolFailed(error)))
            } else {
                effects.append(.notice(.spoolReadFailed(error)))
            }
        }
        if spool.count == 0 { effects.append(.notice(.spoolDrained(at: now))) }
        updateBuffered()
    }
}
