import Model

/// Drives a `PublisherCore` into a synchronous sink: each send is written and acked (or failed)
/// at once, so nothing stays in flight. Used for in-process replay and NDJSON output.
public final class SinkPublisher<Sink: MessageSink>: EventPublisher {
    public private(set) var core: PublisherCore
    public var sink: Sink
    private var effects: [PublisherCore.Effect] = []
    private var pending: [PublisherCore.Effect] = []
    /// Losses and notices seen, in order, for the driver's log and report.
    public private(set) var events: [PublisherCore.Effect] = []

    public init(sink: Sink, core: PublisherCore = PublisherCore(), at now: Instant = .zero) {
        self.sink = sink
        self.core = core
        effects.reserveCapacity(8)
        self.core.handle(.connected, at: now, into: &effects)
        drain(at: now)
    }

    public var stats: PublisherCore.Stats { core.stats }

    public func publish(_ event: PublishableEvent, at now: Instant) {
        // Encoding first spares a copy of the event into the core's input.
        core.handle(.publishEncoded(core.encoder.encode(event)), at: now, into: &effects)
        drain(at: now)
    }

    public func publish(encoded message: OutboundMessage, at now: Instant) {
        core.handle(.publishEncoded(message), at: now, into: &effects)
        drain(at: now)
    }

    /// Synchronous sinks hold nothing back: settled as soon as `publish` returns.
    public func flush(timeout: Nanoseconds) -> Bool { core.stats.buffered == 0 }

    public func close() throws(SinkError) { try sink.finish() }

    public func tick(at now: Instant) {
        core.handle(.tick, at: now, into: &effects)
        drain(at: now)
    }

    private func drain(at now: Instant) {
        while !effects.isEmpty {
            swap(&effects, &pending)
            for effect in pending {
                switch effect {
                case .send(let d):
                    do {
                        try sink.write(d.message)
                        core.handle(.ack(sequence: d.sequence, duplicate: false), at: now, into: &effects)
                    } catch {
                        core.handle(.failed(sequence: d.sequence, reason: .rejected("\(error)")), at: now, into: &effects)
                    }
                case .lost, .notice:
                    events.append(effect)
                }
            }
            pending.removeAll(keepingCapacity: true)
        }
    }
}
