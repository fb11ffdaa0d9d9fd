import Model
import Testing

@testable import Reliability

@Suite struct StaleFeedWatchdogTests {
    func at(_ seconds: Int64) -> Instant { Instant.zero + .seconds(seconds) }

    @Test func tripsExactlyAtTheDeadlineOfTheSilentStreamOnly() {
        var watchdog = StaleFeedWatchdog(target: "okx.ws.s1")
        let books = watchdog.watch(stream: "books:BTC-USDT", staleAfter: .seconds(30), at: at(0))
        let trades = watchdog.watch(stream: "trades:BTC-USDT", staleAfter: .seconds(120), at: at(0))
        for second in stride(from: Int64(1), through: 100, by: 1) {
            watchdog.received(trades, at: at(second))
        }
        watchdog.received(books, at: at(10))
        #expect(watchdog.nextDeadline == at(40))
        #expect(watchdog.tick(at: at(39)) == [])
        #expect(watchdog.tick(at: at(40)) == [.reconnect(.staleFeed(stream: "books:BTC-USDT", silentFor: .seconds(30)))])
        #expect(watchdog.trips == [
            WatchdogTrip(at: at(40), target: "okx.ws.s1", reason: .staleFeed(stream: "books:BTC-USDT", silentFor: .seconds(30)))
        ])
        // Disarmed until the replacement connection is up: no second trip for the same stall.
        #expect(watchdog.nextDeadline == nil)
        #expect(watchdog.tick(at: at(500)) == [])
        watchdog.rearm(at: at(600))
        #expect(watchdog.nextDeadline == at(630))
        _ = books
    }

    @Test func severalStaleStreamsGiveOneReconnectButEveryTripIsLogged() {
        var watchdog = StaleFeedWatchdog(target: "binance.ws.s1")
        _ = watchdog.watch(stream: "btcusdt@depth@100ms", staleAfter: .seconds(30), at: at(0))
        _ = watchdog.watch(stream: "ethusdt@depth@100ms", staleAfter: .seconds(30), at: at(0))
        #expect(watchdog.tick(at: at(31)).count == 1)
        #expect(watchdog.tripCount == 2)
        #expect(watchdog.takeTrips().map(\.reason) == [
            .staleFeed(stream: "btcusdt@depth@100ms", silentFor: .seconds(31)),
            .staleFeed(stream: "ethusdt@depth@100ms", silentFor: .seconds(31)),
        ])
        #expect(watchdog.trips.isEmpty)
    }

    @Test func unwatchedStreamsNeverTrip() {
        var watchdog = StaleFeedWatchdog(target: "t")
        let handle = watchdog.watch(stream: "a", staleAfter: .seconds(1), at: at(0))
        watchdog.unwatch(handle)
        #expect(watchdog.nextDeadline == nil)
        #expect(watchdog.tick(at: at(100)) == [])
        // Watching the same name again reuses the handle.
        #expect(watchdog.watch(stream: "a", staleAfter: .seconds(5), at: at(100)) == handle)
        #expect(watchdog.nextDeadline == at(105))
    }
}

@Suite struct KeepaliveWatchdogTests {
    func at(_ seconds: Int64) -> Instant { Instant.zero + .seconds(seconds) }

    @Test func okxPingsAfterSilenceAndReconnectsWhenThePongIsWithheld() {
        var watchdog = KeepaliveWatchdog(target: "okx.ws.s1", mode: .clientPing(pingAfter: .seconds(20), pongTimeout: .seconds(5)))
        #expect(watchdog.start(at: at(0)) == [])
        _ = watchdog.received(.data, at: at(3))
        #expect(watchdog.nextDeadline == at(23))
        #expect(watchdog.tick(at: at(22)) == [])
        #expect(watchdog.tick(at: at(23)) == [.sendPing])
        #expect(watchdog.nextDeadline == at(28))
        // The pong arrives: back to waiting for silence.
        #expect(watchdog.received(.pong, at: at(24)) == [])
        #expect(watchdog.nextDeadline == at(44))
        #expect(watchdog.tick(at: at(44)) == [.sendPing])
        // Pong withheld.
        #expect(watchdog.tick(at: at(48)) == [])
        #expect(watchdog.tick(at: at(49)) == [.reconnect(.pongMissing)])
        #expect(watchdog.trips.map(\.reason) == [.pongMissing])
        #expect(watchdog.pingsSent == 2)
        #expect(watchdog.nextDeadline == nil)
        #expect(watchdog.tick(at: at(100)) == [])
        #expect(watchdog.received(.data, at: at(100)) == [])
    }

    @Test func binancePongsServerPingsAndReconnectsWhenTheyStopEvenIfDataFlows() {
        var watchdog = KeepaliveWatchdog(target: "binance.ws.s1", mode: .serverPing(timeout: .seconds(60)))
        _ = watchdog.start(at: at(0))
        #expect(watchdog.received(.serverPing, at: at(20)) == [.sendPong])
        for second in Int64(21)...80 {
            #expect(watchdog.received(.data, at: at(second)) == [])
        }
        #expect(watchdog.nextDeadline == at(80))
        #expect(watchdog.tick(at: at(80)) == [.reconnect(.serverPingMissing)])
        #expect(watchdog.tripCount == 1)
    }

    @Test func deribitEnablesHeartbeatsAnswersTestRequestsAndReconnectsOnSilence() {
        var watchdog = KeepaliveWatchdog(target: "deribit.ws.s1", mode: .heartbeat(interval: .seconds(15), timeout: .seconds(45)))
        #expect(watchdog.start(at: at(0)) == [.enableHeartbeat(interval: .seconds(15))])
        #expect(watchdog.received(.heartbeat, at: at(15)) == [])
        #expect(watchdog.received(.testRequest, at: at(30)) == [.answerTestRequest])
        #expect(watchdog.nextDeadline == at(75))
        #expect(watchdog.tick(at: at(74)) == [])
        #expect(watchdog.tick(at: at(75)) == [.reconnect(.heartbeatMissing)])
        // A new connection restarts it.
        #expect(watchdog.start(at: at(80)) == [.enableHeartbeat(interval: .seconds(15))])
        #expect(watchdog.nextDeadline == at(125))
    }

    @Test func stoppedWatchdogsStaySilent() {
        var watchdog = KeepaliveWatchdog(target: "t", mode: .serverPing(timeout: .seconds(1)))
        _ = watchdog.start(at: at(0))
        watchdog.stop()
        #expect(watchdog.tick(at: at(10)) == [])
        #expect(watchdog.received(.serverPing, at: at(10)) == [])
        #expect(watchdog.tripCount == 0)
    }
}
