import Model
import Testing

@testable import Publishing

/// Drives a core by hand like a broker would, recording what it sends.
struct CoreHarness {
    var core: PublisherCore
    var now = Instant.milliseconds(1_000)
    var sent: [PublisherCore.Delivery] = []
    var lost: [(Int, PublisherCore.LossReason)] = []
    var notices: [PublisherCore.Notice] = []

    init(_ configuration: PublisherCore.Configuration, spool: (any MessageSpool)? = nil, connected: Bool = true) {
        core = PublisherCore(configuration: configuration, spool: spool)
        if connected { feed(.connected) }
    }

    mutating func feed(_ input: PublisherCore.Input) {
        for e in core.handle(input, at: now) {
            switch e {
            case .send(let d): sent.append(d)
            case .lost(let n, let r): lost.append((n, r))
            case .notice(let n): notices.append(n)
            }
        }
    }

    mutating func publish(_ range: ClosedRange<Int>) {
        for i in range { feed(.publish(Fixtures.trade(i))) }
    }

    mutating func ackAll() {
        let pending = sent
        sent.removeAll()
        for d in pending { feed(.ack(sequence: d.sequence, duplicate: false)) }
    }

    mutating func advance(_ d: Nanoseconds) { now = now + d }
}

@Suite struct PublisherCoreTests {
    @Test func inFlightWindowLimitsSendsAndAcksReleaseMore() {
        var h = CoreHarness(.init(maxInFlight: 3, memoryLimitMessages: 100))
        h.publish(1...10)
        #expect(h.sent.map(\.sequence) == [1, 2, 3])
        h.feed(.ack(sequence: 1, duplicate: false))
        #expect(h.sent.map(\.sequence) == [1, 2, 3, 4])
        #expect(h.core.stats.buffered == 9)
        // An out-of-order ack frees a slot too, but the head stays until 2 is acked.
        h.feed(.ack(sequence: 3, duplicate: false))
        #expect(h.sent.map(\.sequence) == [1, 2, 3, 4, 5])
        #expect(h.core.windowCount == 9)
    }

    @Test func aFullWindowResumesInBatchesAtTheResumeMark() {
        var h = CoreHarness(.init(maxInFlight: 4, memoryLimitMessages: 100, resumeInFlight: 2))
        h.publish(1...10)
        #expect(h.sent.map(\.sequence) == [1, 2, 3, 4])
        h.feed(.ack(sequence: 1, duplicate: false))
        #expect(h.sent.count == 4)  // 3 in flight: above the mark, wait
        h.feed(.ack(sequence: 2, duplicate: false))
        #expect(h.sent.map(\.sequence) == [1, 2, 3, 4, 5, 6])  // 2 in flight: refill the window at once
    }

    @Test func disconnectResendsEveryUnackedMessageInOrderWithTheSameIds() {
        var h = CoreHarness(.init(maxInFlight: 4, memoryLimitMessages: 100))
        h.publish(1...6)
        let firstIds = h.sent.map(\.message.id)
        h.feed(.ack(sequence: 1, duplicate: false))
        h.feed(.disconnected)
        h.publish(7...8)
        let beforeReconnect = h.sent.count
        h.advance(.seconds(3))
        h.feed(.connected)
        let resent = Array(h.sent[beforeReconnect...])
        #expect(resent.map(\.sequence) == [2, 3, 4, 5])
        #expect(resent.map(\.message.id) == Array(firstIds[1...]) + [MessageId.make(for: Fixtures.trade(5))])
        #expect(resent.allSatisfy { $0.attempt == 2 })
        #expect(h.core.stats.resent == 4)
        #expect(h.core.stats.outages == 1)
        #expect(h.core.stats.outageTime == .seconds(3))
        while !h.sent.isEmpty { h.ackAll() }
        #expect(h.core.stats.acked == 8)
        #expect(h.core.stats.buffered == 0)
        #expect(h.core.stats.lost == 0)
    }

    @Test func nothingIsSentWhileDisconnected() {
        var h = CoreHarness(.init(), connected: false)
        h.publish(1...5)
        #expect(h.sent.isEmpty)
        #expect(h.core.stats.bufferedMax == 5)
        h.feed(.connected)
        #expect(h.sent.map(\.sequence) == [1, 2, 3, 4, 5])
    }

    @Test func ackTimeoutGoesBackToTheOldestUnackedAfterBackoff() {
        var h = CoreHarness(.init(maxInFlight: 10, ackTimeout: .seconds(1), retryBackoff: .milliseconds(100)))
        h.publish(1...3)
        h.feed(.ack(sequence: 2, duplicate: false))
        h.advance(.milliseconds(999))
        h.feed(.tick)
        #expect(h.sent.count == 3)
        h.advance(.milliseconds(1))
        h.feed(.tick)
        #expect(h.core.stats.failures == 1)
        #expect(h.sent.count == 3)  // holding for the backoff
        h.advance(.milliseconds(100))
        h.feed(.tick)
        // 2 was acked, so only 1 and 3 go again, in order.
        #expect(h.sent.suffix(2).map(\.sequence) == [1, 3])
        #expect(h.core.stats.resent == 2)
    }

    @Test func brokerErrorsResendAndDuplicatesAreCounted() {
        var h = CoreHarness(.init(maxInFlight: 10, retryBackoff: .zero))
        h.publish(1...2)
        h.feed(.failed(sequence: 1, reason: .noResponders))
        #expect(h.sent.map(\.sequence) == [1, 2, 1, 2])
        h.feed(.ack(sequence: 1, duplicate: false))
        h.feed(.ack(sequence: 2, duplicate: true))
        h.feed(.ack(sequence: 2, duplicate: true))  // a late ack of the first copy changes nothing
        #expect(h.core.stats.acked == 2 && h.core.stats.duplicates == 1)
        #expect(h.core.stats.buffered == 0)
    }

    @Test func memoryBoundWithoutSpoolLosesExactlyTheOverflow() {
        var h = CoreHarness(.init(maxInFlight: 5, memoryLimitMessages: 20), connected: false)
        h.publish(1...50)
        #expect(h.core.stats.lost == 30)
        #expect(h.lost.map(\.0).reduce(0, +) == 30)
        #expect(h.lost.allSatisfy { $0.1 == .memoryFull })
        h.feed(.connected)
        while !h.sent.isEmpty { h.ackAll() }
        #expect(h.core.stats.acked == 20)
        #expect(h.core.stats.published == 50)
    }

    @Test func spoolTakesTheOverflowAndDrainsInOrder() {
        let spool = InMemorySpool(limit: 1_000)
        var h = CoreHarness(.init(maxInFlight: 4, memoryLimitMessages: 10), spool: spool, connected: false)
        h.publish(1...100)
        #expect(h.core.stats.spooled == 90)
        #expect(spool.count == 90)
        #expect(h.core.stats.lost == 0)
        #expect(h.notices.contains(.spoolEngaged(at: h.now)))
        h.feed(.connected)
        var delivered: [String] = []
        while !h.sent.isEmpty {
            delivered += h.sent.map(\.message.id)
            h.ackAll()
        }
        #expect(delivered == (1...100).map { MessageId.make(for: Fixtures.trade($0)) })
        #expect(spool.count == 0)
        #expect(h.notices.contains(.spoolDrained(at: h.now)))
        #expect(h.core.stats.bufferedMax == 100)
    }

    @Test func fullSpoolLossIsCountedAndOrderOfTheRestKept() {
        let spool = InMemorySpool(limit: 5)
        var h = CoreHarness(.init(maxInFlight: 2, memoryLimitMessages: 3), spool: spool, connected: false)
        h.publish(1...12)
        #expect(h.core.stats.lost == 4)
        #expect(h.lost.allSatisfy { $0.1 == .spoolFull })
        h.feed(.connected)
        var delivered: [String] = []
        while !h.sent.isEmpty {
            delivered += h.sent.map(\.message.id)
            h.ackAll()
        }
        #expect(delivered == (1...8).map { MessageId.make(for: Fixtures.trade($0)) })
    }

    @Test func sameInputsGiveTheSameEffects() {
        func run() -> [PublisherCore.Effect] {
            var core = PublisherCore(configuration: .init(maxInFlight: 3, memoryLimitMessages: 5), spool: InMemorySpool(limit: 3))
            var out: [PublisherCore.Effect] = []
            var now = Instant.zero
            core.handle(.connected, at: now, into: &out)
            for i in 1...12 {
                now = now + .milliseconds(10)
                core.handle(.publish(Fixtures.trade(i)), at: now, into: &out)
                if i % 3 == 0 { core.handle(.ack(sequence: UInt64(i / 3), duplicate: false), at: now, into: &out) }
                if i == 7 { core.handle(.disconnected, at: now, into: &out) }
                if i == 10 { core.handle(.connected, at: now, into: &out) }
            }
            return out
        }
        #expect(run() == run())
    }
}
