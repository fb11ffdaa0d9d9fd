import Model
import Testing

@testable import Reliability

/// `KeepaliveWatchdog.receivedData(at:)` (the stack's per-frame call) leaves the watchdog exactly as
/// `received(.data, at:)` does, which never has an effect, in every mode and state: random histories
/// of signals, ticks, starts and stops, with frames at times earlier than the last one too.
@Suite struct KeepaliveReceivedDataTests {
    static let modes: [KeepaliveMode] = [
        .clientPing(pingAfter: .seconds(20), pongTimeout: .seconds(5)),
        .serverPing(timeout: .seconds(60)),
        .heartbeat(interval: .seconds(15), timeout: .seconds(45)),
    ]

    @Test(arguments: 0..<3)
    func sameStateAsReceivedData(mode: Int) {
        var random = SeededRandom(seed: UInt64(40 + mode))
        var fast = KeepaliveWatchdog(target: "t", mode: Self.modes[mode])
        var reference = fast
        var now = Instant.zero
        var dataFrames = 0
        for _ in 0..<5_000 {
            now = now + .milliseconds(Int64(random.next() % 30_000)) 
            let at = random.next() % 8 == 0 ? now + .seconds(-3) : now
            switch random.next() % 8 {
            case 0, 1, 2:
                #expect(reference.received(.data, at: at) == [])
                fast.receivedData(at: at)
                dataFrames += 1
            case 3:
                let signal: KeepaliveSignal = [.pong, .serverPing, .heartbeat, .testRequest][Int(random.next() % 4)]
                #expect(fast.received(signal, at: at) == reference.received(signal, at: at))
            case 4, 5:
                #expect(fast.tick(at: now) == reference.tick(at: now))
            case 6:
                if random.next() % 4 == 0 { fast.stop(); reference.stop() }
            default:
                if random.next() % 4 == 0 { #expect(fast.start(at: now) == reference.start(at: now)) }
            }
            #expect(fast.nextDeadline == reference.nextDeadline)
            #expect(fast.running == reference.running && fast.lastAlive == reference.lastAlive)
            #expect(fast.pingSentAt == reference.pingSentAt && fast.trips == reference.trips)
        }
        #expect(dataFrames > 1_000)
        #expect(reference.tripCount > 0)
    }
}
