import Model
import Publishing
import Stack
import Testing

@testable import Simulation

/// The stack's two shortcuts on the publishing path change nothing observable: a message the core
/// sends at once becomes a `.publish` effect without the core's own effect in between
/// (`StackConfiguration.publishesAtOnce`), and a driver may hand a batch of acks over in one call
/// (`CollectorStack.brokerAcked(sequences:)`). Each combination must publish the same messages in the
/// same order, with the same counters. (The Simulator runs, faults included, are checked against
/// recorded digests outside the tests.)
@Suite("Stack publishing shortcuts")
struct StackPublishingTests {
    @Test("same messages, order and counts with and without the shortcuts", arguments: ["binance-spot", "okx", "deribit"])
    func shortcutsChangeNothing(recording: String) throws {
        let feed = try RecordedFeed.load(path: SequenceResetTests.path(recording))
        var outcomes: [(messages: [OutboundMessage], result: DirectReplay.Result)] = []
        for (atOnce, oneByOne) in [(false, true), (true, true), (false, false), (true, false)] {
            var replay = DirectReplay(feed: feed)
            replay.publishesAtOnce = atOnce
            replay.acksOneByOne = oneByOne
            var sink = InProcessSink()
            let result = try replay.run(into: &sink)
            outcomes.append((sink.messages, result))
        }
        let reference = outcomes[0]
        #expect(reference.messages.count > 1_000)
        for outcome in outcomes.dropFirst() {
            #expect(outcome.messages == reference.messages)
            #expect(outcome.result == reference.result)
        }
    }

    /// A sink that refuses some writes: the core resends them with the same ids, so batches of acks
    /// are not always one run of consecutive sequences (the driver's array path) and the window holds
    /// waiting messages (the core's one-by-one path). Batched and single acks must still agree.
    @Test("same outcome with refused writes, acks batched or one by one", arguments: ["binance-spot", "deribit"])
    func refusedWritesChangeNothingEither(recording: String) throws {
        let feed = try RecordedFeed.load(path: SequenceResetTests.path(recording))
        var outcomes: [(messages: [OutboundMessage], result: DirectReplay.Result)] = []
        for oneByOne in [true, false] {
            var replay = DirectReplay(feed: feed)
            replay.acksOneByOne = oneByOne
            var sink = RefusingSink()
            let result = try replay.run(into: &sink)
            outcomes.append((sink.stored, result))
        }
        #expect(outcomes[0].result.publisher.failures > 0)
        #expect(outcomes[0].result.publisher.resent > 0)
        #expect(outcomes[1].messages == outcomes[0].messages)
        #expect(outcomes[1].result == outcomes[0].result)
    }
}

/// Refuses every 97th write attempt; keeps the rest in order.
struct RefusingSink: MessageSink {
    var attempts = 0
    var stored: [OutboundMessage] = []

    mutating func write(_ message: OutboundMessage) throws(SinkError) {
        attempts += 1
        if attempts % 97 == 0 { throw .io(path: "refusing", errno: 5) }
        stored.append(message)
    }
}

/// `StackConfiguration.holdsFrameDeliveries`: the frame's deliveries stay in the stack for the driver
/// to write after the frame's other effects, instead of `.publish` effects. Against the effects path:
/// the same messages in the same order, counters, publisher stats (`bufferedMax` included: frames with
/// several messages keep them all in the window until the acks) and events, also with refused writes
/// (failures in the middle of a frame's deliveries) and with small in-flight windows and memory
/// limits (messages of one frame split between held deliveries and the core's own sends, losses).
@Suite("Stack holding frame deliveries")
struct HeldFrameDeliveryTests {
    static let windows: [PublisherCore.Configuration] = [
        .init(),
        .init(maxInFlight: 1),
        .init(maxInFlight: 2, resumeInFlight: 0),
        .init(maxInFlight: 3, memoryLimitMessages: 3),
    ]

    @Test("same outcome as .publish effects", arguments: ["binance-spot", "okx", "deribit"], 0..<4)
    func heldDeliveriesChangeNothing(recording: String, window: Int) throws {
        let feed = try RecordedFeed.load(path: SequenceResetTests.path(recording))
        for refusing in [false, true] {
            var outcomes: [(messages: [OutboundMessage], result: DirectReplay.Result)] = []
            for (holds, oneByOne) in [(false, true), (true, false), (true, true)] {
                var replay = DirectReplay(feed: feed)
                replay.holdsFrameDeliveries = holds
                replay.acksOneByOne = oneByOne
                replay.publisherConfiguration = Self.windows[window]
                if refusing {
                    var sink = RefusingSink()
                    let result = try replay.run(into: &sink)
                    outcomes.append((sink.stored, result))
                } else {
                    var sink = InProcessSink()
                    let result = try replay.run(into: &sink)
                    outcomes.append((sink.messages, result))
                }
            }
            let reference = outcomes[0]
            #expect(reference.messages.count > 1_000)
            #expect(reference.result.events > 0)
            if refusing { #expect(reference.result.publisher.failures > 0) }
            for outcome in outcomes.dropFirst() {
                #expect(outcome.messages == reference.messages)
                #expect(outcome.result == reference.result)
            }
        }
    }
}
