import Model

/// Drives a `PublisherCore` into a synchronous sink: each send is written and acked (or failed)
/// at once, so nothing stays in flight. Used for in-process replay and NDJSON output.
public struct SinkPublisher<Sink: MessageSink> {
    public private(set) var core: PublisherCore
    public var sink: Sink
    private var effects: [PublisherCore.Effect] = []
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

    public mutating func publish(_ event: PublishableEvent, at now: Instant) {
        // Encoding first spares a copy of the event into the core's input.
        publish(encoded: core.encode(event), at: now)
    }

    public mutating func publish(encoded message: OutboundMessage, at now: Instant) {
        guard core.sendsAtOnce(at: now) else {
            core.handle(.publishEncoded(message), at: now, into: &effects)
            drain(at: now)
            return
        }
        // Nothing waits and the sink answers at once: write and settle it without the effect round trip.
        do {
            try sink.write(message)
            core.deliveredAtOnce()
        } catch {
            // What the round trip would have done: accepted and sent (the write just tried was that
            // send), then failed.
            let sequence = core.nextSequence
            core.handle(.publishEncoded(message), at: now, into: &effects)
            precondition(effects.count == 1, "a message sent at once gives exactly its send")
            effects.removeAll(keepingCapacity: true)
            core.handle(.failed(sequence: sequence, reason: .rejected("\(error)")), at: now, into: &effects)
            drain(at: now)
        }
    }

    /// Synchronous sinks hold nothing back: settled as soon as `publish` returns.
    public func flush(timeout: Nanoseconds) -> Bool { core.stats.buffered == 0 }

    public mutating func close() throws(SinkError) { try sink.finish() }

    public mutating func tick(at now: Instant) {
        core.handle(.tick, at: now, into: &effects)
        drain(at: now)
    }

    /// Carries out the effects in order; those that handling them produces (acks send the next
    /// messages) are appended to the same array and carried out in the same pass.
    private mutating func drain(at now: Instant) {
        var i = 0
        while i < effects.count {
            if case .send(let d) = effects[i] {
                do {
                    try sink.write(d.message)
                    core.handle(.ack(sequence: d.sequence, duplicate: false), at: now, into: &effects)
                } catch {
                    core.handle(.failed(sequence: d.sequence, reason: .rejected("\(error)")), at: now, into: &effects)
                }
            } else {
                events.append(effects[i])
            }
            i += 1
        }
        effects.removeAll(keepingCapacity: true)
    }
}

/// `SinkPublisher` behind the `EventPublisher` interface, for drivers that choose the sink by flag.
/// (The value type stays the hot path: a class would pay an exclusivity check per field access.)
public final class SinkEventPublisher<Sink: MessageSink>: EventPublisher {
    public private(set) var publisher: SinkPublisher<Sink>

    public init(_ publisher: SinkPublisher<Sink>) {
        self.publisher = publisher
    }

    public var sink: Sink { publisher.sink }
    public var stats: PublisherCore.Stats { publisher.stats }

    public func publish(_ event: PublishableEvent, at now: Instant) { publisher.publish(event, at: now) }
    public func flush(timeout: Nanoseconds) -> Bool { publisher.flush(timeout: timeout) }
    public func close() throws { try publisher.close() }
}
