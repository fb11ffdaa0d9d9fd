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
}
