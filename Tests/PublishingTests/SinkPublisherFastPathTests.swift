import Model
import Testing

@testable import Publishing

/// `SinkPublisher` writes a message itself when nothing waits (`PublisherCore.sendsAtOnce`) instead of
/// going through `.publishEncoded`, the `.send` effect and `.ack`. Everything observable must be what
/// that round trip gives: what the sink holds and in which order, the stats, the losses and notices,
/// also when writes fail and messages are resent.
@Suite struct SinkPublisherFastPathTests {
    /// Fails the writes whose number (0-based, every attempt counted) is in `failing`.
    struct FlakySink: MessageSink {
        var failing: Set<Int>
        var attempts = 0
        var ids: [String] = []

        mutating func write(_ message: OutboundMessage) throws(SinkError) {
            defer { attempts += 1 }
            if failing.contains(attempts) { throw .io(path: "flaky", errno: 5) }
            ids.append(message.id)
        }
    }

    /// The driver as it was before the fast path: every message through the core's effects.
    struct RoundTripDriver {
        var core: PublisherCore
        var sink: FlakySink
        var effects: [PublisherCore.Effect] = []
        var events: [PublisherCore.Effect] = []

        init(core: PublisherCore, sink: FlakySink) {
            self.core = core
            self.sink = sink
            self.core.handle(.connected, at: .zero, into: &effects)
            drain(at: .zero)
        }

        mutating func publish(_ event: PublishableEvent, at now: Instant) {
            core.handle(.publishEncoded(core.encoder.encode(event)), at: now, into: &effects)
            drain(at: now)
        }

        mutating func tick(at now: Instant) {
            core.handle(.tick, at: now, into: &effects)
            drain(at: now)
        }

        mutating func drain(at now: Instant) {
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

    static let configurations: [PublisherCore.Configuration] = [
        .init(),
        .init(maxInFlight: 1),
        .init(maxInFlight: 3, memoryLimitMessages: 5, retryBackoff: .zero),
        .init(maxInFlight: 2, memoryLimitMessages: 4, retryBackoff: .milliseconds(3), maxRetryBackoff: .milliseconds(20)),
    ]

    @Test(arguments: 0..<configurations.count)
    func sameOutcomeAsTheEffectRoundTrip(configurationIndex: Int) {
        let configuration = Self.configurations[configurationIndex]
        var random = SeededRandom(seed: UInt64(configurationIndex) + 40)
        var failing = Set<Int>()
        var attempt = 0
        while attempt < 3_000 {
            // Single failures and runs of them.
            attempt += 1 + Int(random.next() % 12)
            for k in 0..<(random.next() % 4 == 0 ? 1 + Int(random.next() % 6) : 1) { failing.insert(attempt + k) }
        }
        var fast = SinkPublisher(sink: FlakySink(failing: failing), core: PublisherCore(configuration: configuration))
        var reference = RoundTripDriver(core: PublisherCore(configuration: configuration), sink: FlakySink(failing: failing))
        var now = Instant.zero
        for i in 0..<1_500 {
            let event = Fixtures.trade(i, instrument: i % 3 == 0 ? Fixtures.ethSwap : Fixtures.btcSpot)
            fast.publish(event, at: now)
            reference.publish(event, at: now)
            now = now + .milliseconds(Int64(random.next() % 3))
            if random.next() % 4 == 0 {
                fast.tick(at: now)
                reference.tick(at: now)
            }
            #expect(fast.stats == reference.core.stats, "after message \(i)")
        }
        for _ in 0..<200 {
            now = now + .milliseconds(50)
            fast.tick(at: now)
            reference.tick(at: now)
        }
        #expect(fast.stats == reference.core.stats)
        #expect(fast.stats.acked > 200)
        #expect(fast.stats.failures > 0)
        #expect(fast.sink.ids == reference.sink.ids)
        #expect(fast.sink.attempts == reference.sink.attempts)
        #expect(fast.events == reference.events)
        #expect(fast.core.nextSequence == reference.core.nextSequence)
    }

    @Test func sendsAtOnceOnlyWhenNothingWaits() {
        var core = PublisherCore()
        #expect(!core.sendsAtOnce(at: .zero), "not connected yet")
        _ = core.handle(.connected, at: .zero)
        #expect(core.sendsAtOnce(at: .zero))
        let effects = core.handle(.publish(Fixtures.trade(1)), at: .zero)
        #expect(effects.count == 1)
        #expect(!core.sendsAtOnce(at: .zero), "one in flight")
        _ = core.handle(.ack(sequence: 1, duplicate: false), at: .zero)
        #expect(core.sendsAtOnce(at: .zero))
        core.deliveredAtOnce()
        #expect(core.nextSequence == 3)
        #expect(core.stats.acked == 2 && core.stats.sent == 2 && core.stats.published == 2 && core.stats.bufferedMax == 1)
        _ = core.handle(.disconnected, at: .zero)
        #expect(!core.sendsAtOnce(at: .zero))
    }
}
