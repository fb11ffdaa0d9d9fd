import Model
import Testing

@testable import Publishing

/// `PublisherCore.acknowledgedHead(from:count:at:)` (a driver's batch of acks in one step) leaves the
/// core exactly as the same acks one by one do, or declines and changes nothing.
@Suite struct PublisherCoreHeadAckTests {
    /// Two cores fed the same random inputs (publishes, acks in and out of order, failures, disconnects,
    /// ticks); now and then a run of acks from the window's head goes to one as a batch and to the
    /// other one by one. Every effect, stat and later send must match.
    @Test(arguments: 1...24)
    func aBatchOfHeadAcksEqualsTheAcksOneByOne(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let maxInFlight = 1 + Int(random.next() % 6)
        let configuration = PublisherCore.Configuration(
            maxInFlight: maxInFlight, memoryLimitMessages: 40, ackTimeout: .milliseconds(300),
            retryBackoff: .milliseconds(5), resumeInFlight: Int(random.next() % UInt64(maxInFlight)))
        var batched = PublisherCore(configuration: configuration)
        var single = PublisherCore(configuration: configuration)
        var now = Instant.milliseconds(1_000)
        var sentSequences: [UInt64] = []
        var taken = 0
        func both(_ input: PublisherCore.Input) {
            let a = batched.handle(input, at: now)
            let b = single.handle(input, at: now)
            #expect(a == b)
            for case .send(let d) in b { sentSequences.append(d.sequence) }
        }
        both(.connected)
        for step in 0..<600 {
            switch random.next() % 10 {
            case 0, 1, 2:
                both(.publish(Fixtures.trade(step)))
            case 3:
                // An ack out of order, for a message sent some time ago.
                if !sentSequences.isEmpty {
                    let s = sentSequences[Int(random.next() % UInt64(sentSequences.count))]
                    both(.ack(sequence: s, duplicate: random.next() % 4 == 0))
                }
            case 4:
                if random.next() % 3 == 0, !sentSequences.isEmpty {
                    both(.failed(sequence: sentSequences.last!, reason: .timeout))
                }
            case 5:
                if random.next() % 8 == 0 {
                    both(.disconnected)
                    now = now + .milliseconds(3)
                    both(.connected)
                }
            case 6:
                now = now + .milliseconds(Int64(random.next() % 200))
                both(.tick)
            default:
                let head = batched.nextSequence - UInt64(batched.windowCount)
                let count = Int(random.next() % UInt64(batched.windowCount + 2))
                let before = batched.stats
                if batched.acknowledgedHead(from: head, count: count, at: now) {
                    taken += 1
                    var effects: [PublisherCore.Effect] = []
                    for k in 0..<count {
                        single.acknowledged(sequence: head + UInt64(k), duplicate: false, at: now, into: &effects)
                    }
                    #expect(effects.isEmpty)
                } else {
                    #expect(batched.stats == before)
                    for k in 0..<count { both(.ack(sequence: head + UInt64(k), duplicate: false)) }
                }
            }
            #expect(batched.stats == single.stats)
            #expect(batched.windowCount == single.windowCount)
            #expect(batched.nextSequence == single.nextSequence)
            #expect(batched.sendsAtOnce(at: now) == single.sendsAtOnce(at: now))
        }
        #expect(taken > 0)
    }

    @Test func declinesWhatOneByOneWouldAnswerWithEffects() {
        var h = CoreHarness(.init(maxInFlight: 2, memoryLimitMessages: 100))
        h.publish(1...4)  // two in flight, two waiting: acking sends the waiting ones
        #expect(h.sent.map(\.sequence) == [1, 2])
        let waiting = h.core.acknowledgedHead(from: 1, count: 2, at: h.now)
        #expect(!waiting)
        #expect(h.core.stats.acked == 0)
        h.ackAll()
        h.ackAll()
        let empty = h.core.acknowledgedHead(from: 5, count: 1, at: h.now)
        #expect(!empty)  // nothing in the window
        h.publish(5...5)
        let notHead = h.core.acknowledgedHead(from: 6, count: 1, at: h.now)
        #expect(!notHead)
        let head = h.core.acknowledgedHead(from: 5, count: 1, at: h.now)
        #expect(head)
        #expect(h.core.windowCount == 0)
        #expect(h.core.stats.acked == 5)
    }
}
