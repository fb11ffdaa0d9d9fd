import Model
import Testing

@testable import Publishing

/// `PublisherCore.sendUnstored` with `settleUnstored` or `storeUnstored` against `sendAtOnce` with
/// `acknowledgedHead` or the ordinary acks and failures: two cores fed the same frames of messages
/// must agree on every sequence, refusal, stat, window count and effect, including frames that fill
/// the in-flight window or the memory limits and writes that fail and are resent.
@Suite("PublisherCore unstored sends")
struct PublisherCoreUnstoredTests {
    static let configurations: [PublisherCore.Configuration] = [
        .init(),
        .init(maxInFlight: 1),
        .init(maxInFlight: 2, resumeInFlight: 0),
        .init(maxInFlight: 3, memoryLimitMessages: 3),
        .init(maxInFlight: 8, memoryLimitBytes: 200),
    ]

    static func message(_ i: Int) -> OutboundMessage {
        OutboundMessage(subject: "md.t.\(i % 7)", id: "id-\(i)", payload: Array(repeating: UInt8(ascii: "x"), count: 10 + i % 90))
    }

    @Test("same state and effects as the stored path", arguments: 0..<5)
    func unstoredMatchesStored(configuration index: Int) {
        let configuration = Self.configurations[index]
        var stored = PublisherCore(configuration: configuration)
        var unstored = PublisherCore(configuration: configuration)
        #expect(stored.handle(.connected, at: .zero) == unstored.handle(.connected, at: .zero))
        var random = SeededRandom(seed: 41 + UInt64(index))
        var counter = 0
        var settled = 0
        var storedThenFailed = 0
        var clock = Instant.zero
        for _ in 0..<600 {
            clock = clock + .milliseconds(7)
            let now = clock
            // A frame's messages: each sent at once while both cores allow it, the rest accepted normally.
            var held: [OutboundMessage] = []
            var firstHeld: UInt64?
            var effectsA: [PublisherCore.Effect] = []
            var effectsB: [PublisherCore.Effect] = []
            for _ in 0..<Int(random.next() % 4) {
                let message = Self.message(counter)
                counter += 1
                let delivery = effectsA.isEmpty ? stored.sendAtOnce(message, at: now) : nil
                var sequence: UInt64?
                if effectsB.isEmpty {
                    if held.count == unstored.unstoredCount, let s = unstored.sendUnstored(size: message.size, at: now) {
                        sequence = s
                    } else {
                        if unstored.unstoredCount > 0 { unstored.storeUnstored(held, sentAt: now) }
                        sequence = unstored.sendAtOnce(message, at: now)?.sequence
                    }
                }
                #expect(delivery?.sequence == sequence)
                if let delivery {
                    #expect(delivery.message == message)
                    if held.isEmpty { firstHeld = delivery.sequence }
                    held.append(message)
                    continue
                }
                if unstored.unstoredCount > 0 { unstored.storeUnstored(held, sentAt: now) }
                stored.handle(.publishEncoded(message), at: now, into: &effectsA)
                unstored.handle(.publishEncoded(message), at: now, into: &effectsB)
            }
            #expect(effectsA == effectsB)
            #expect(stored.stats == unstored.stats)
            #expect(stored.windowCount == unstored.windowCount)
            #expect(stored.nextSequence == unstored.nextSequence)
            guard let first = firstHeld else {
                #expect(unstored.unstoredCount == 0)
                settleEverything(&stored, &unstored, effectsA, clock: &clock)
                continue
            }
            let failing = random.next() % 6 == 0
            if unstored.unstoredCount > 0 && !failing && effectsA.isEmpty {
                // Every held message stored by the broker: one settle against one head ack.
                let acked = stored.acknowledgedHead(from: first, count: held.count, at: now)
                #expect(acked)
                unstored.settleUnstored(at: now)
                settled += 1
            } else {
                if unstored.unstoredCount > 0 { unstored.storeUnstored(held, sentAt: now) }
                if failing {
                    // The first held message's write failed: resent later with the same id.
                    storedThenFailed += 1
                    let a = stored.handle(.failed(sequence: first, reason: .timeout), at: now)
                    let b = unstored.handle(.failed(sequence: first, reason: .timeout), at: now)
                    #expect(a == b)
                }
                for k in (failing ? 1 : 0)..<held.count {
                    var a: [PublisherCore.Effect] = []
                    var b: [PublisherCore.Effect] = []
                    stored.acknowledged(sequence: first + UInt64(k), duplicate: false, at: now, into: &a)
                    unstored.acknowledged(sequence: first + UInt64(k), duplicate: false, at: now, into: &b)
                    #expect(a == b)
                }
            }
            #expect(stored.stats == unstored.stats)
            #expect(stored.windowCount == unstored.windowCount)
            #expect(stored.nextSequence == unstored.nextSequence)
            settleEverything(&stored, &unstored, effectsA, clock: &clock)
        }
        #expect(settled > 50)
        #expect(storedThenFailed > 10)
        #expect(stored.stats.resent > 0 && stored.stats.acked > 300)
        #expect(stored.stats == unstored.stats)
    }

    /// Acks every send in `pending` and in what ticks after the backoff give, in both cores alike;
    /// `clock` moves on past the ticks.
    private func settleEverything(
        _ a: inout PublisherCore, _ b: inout PublisherCore, _ pending: [PublisherCore.Effect], clock: inout Instant
    ) {
        var queue = pending
        var later = clock
        defer { clock = later }
        for _ in 0..<50 {
            var nextA: [PublisherCore.Effect] = []
            var nextB: [PublisherCore.Effect] = []
            for effect in queue {
                guard case .send(let d) = effect else { continue }
                a.acknowledged(sequence: d.sequence, duplicate: false, at: later, into: &nextA)
                b.acknowledged(sequence: d.sequence, duplicate: false, at: later, into: &nextB)
            }
            #expect(nextA == nextB)
            if nextA.isEmpty {
                if a.windowCount == 0 { return }
                later = later + .milliseconds(500)
                nextA = a.handle(.tick, at: later)
                nextB = b.handle(.tick, at: later)
                #expect(nextA == nextB)
            }
            queue = nextA
        }
    }
}
