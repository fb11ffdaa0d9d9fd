import Foundation
import Model
import NATSTransport
import Publishing
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Events with exchange-derived ids 1...n on a few instruments, trades and books interleaved.
enum Feed {
    static let instruments = [
        Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot),
        Instrument(venue: .okx, native: "ETH-USDT-SWAP", base: "ETH", quote: "USDT", kind: .perpetual),
        Instrument(venue: .deribit, native: "BTC-PERPETUAL", base: "BTC", quote: "USD", kind: .perpetual),
    ]

    static func event(_ i: Int) -> PublishableEvent {
        let instrument = instruments[i % instruments.count]
        let t = Instant.milliseconds(1_714_564_800_000 + Int64(i))
        if i % 5 == 0 {
            let bids = (0..<3).map { BookLevel(price: FixedDecimal(mantissa: 6_400_000 - Int64($0), scale: 2), size: FixedDecimal(mantissa: 15, scale: 1)) }
            let asks = (0..<3).map { BookLevel(price: FixedDecimal(mantissa: 6_400_001 + Int64($0), scale: 2), size: FixedDecimal(mantissa: 25, scale: 2)) }
            return .orderbook(OrderbookView(instrument: instrument, bids: bids, asks: asks, sequence: Int64(i), exchangeTime: t, receiveTime: t + .microseconds(300)))
        }
        return .trade(
            Trade(
                instrument: instrument, tradeId: "\(i)", price: FixedDecimal(mantissa: 6_400_012 + Int64(i % 100), scale: 2),
                quantity: FixedDecimal(mantissa: 3513, scale: 8), side: i % 2 == 0 ? .buy : .sell, exchangeTime: t,
                receiveTime: t + .microseconds(250)))
    }

    static func ids(_ range: ClosedRange<Int>) -> [String] { range.map { MessageId.make(for: event($0)) } }
}

func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

func makePublisher(
    _ server: NATSServer, stream: String = "MARKET_DATA", core: PublisherCore.Configuration = .init(maxInFlight: 512),
    spool: (any MessageSpool)? = nil
) throws -> JetStreamPublisher {
    let config = JetStreamPublisher.Configuration(
        connection: NATSConnectionOptions(urls: [server.url], reconnectWait: .milliseconds(50), maxReconnectWait: .milliseconds(200)),
        stream: StreamConfiguration(name: stream), core: core)
    let p = JetStreamPublisher(config, spool: spool)
    try p.start()
    return p
}

/// Where two id lists first differ, for short failure messages ("" when equal).
func firstDifference(_ a: [String], _ b: [String]) -> String {
    if a == b { return "" }
    for i in 0..<min(a.count, b.count) where a[i] != b[i] { return "at \(i): \(a[i]) vs \(b[i]) (counts \(a.count), \(b.count))" }
    return "counts \(a.count) vs \(b.count)"
}

/// Reads the stream back and checks each expected id is there exactly once.
func storedIds(_ server: NATSServer, stream: String = "MARKET_DATA") throws -> [String] {
    let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
    defer { admin.close() }
    return try admin.messages(stream).map { $0.id ?? "<missing>" }
}

@Suite(.serialized, .enabled(if: NATSServer.available, "needs nats-server (apt-get install nats-server)"))
struct JetStreamPublisherTests {
    @Test func publishesEveryMessageAndAgainAddsNothing() throws {
        let server = try NATSServer()
        let n = 3_000
        let first = try makePublisher(server)
        for i in 1...n { first.publish(Feed.event(i)) }
        #expect(first.flush(timeout: .seconds(30)))
        let s1 = first.stats
        first.close()
        #expect(s1.published == n && s1.acked == n && s1.lost == 0 && s1.duplicates == 0)
        #expect(firstDifference(try storedIds(server), Feed.ids(1...n)) == "")

        // The same events again (a second replay of the same recording): JetStream keeps one copy.
        let second = try makePublisher(server)
        for i in 1...n { second.publish(Feed.event(i)) }
        #expect(second.flush(timeout: .seconds(30)))
        let s2 = second.stats
        second.close()
        #expect(s2.acked == n && s2.duplicates == n)
        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        #expect(try admin.streamState("MARKET_DATA").messages == UInt64(n))
        admin.close()
    }

    @Test func twoCollectorsOneKilledMidwayStoreEachMessageOnce() throws {
        let server = try NATSServer()
        let n = 4_000
        let a = try makePublisher(server)
        let b = try makePublisher(server)
        let done = DispatchSemaphore(value: 0)
        Thread {
            for i in 1...n { a.publish(Feed.event(i)) }
            done.signal()
        }.start()
        // The redundant collector dies half way (closed with messages still in flight).
        for i in 1...(n / 2) { b.publish(Feed.event(i)) }
        b.close()
        done.wait()
        #expect(a.flush(timeout: .seconds(30)))
        #expect(a.stats.lost == 0)
        a.close()
        let ids = try storedIds(server)
        #expect(ids.count == n)
        #expect(Set(ids) == Set(Feed.ids(1...n)))
    }

    @Test func brokerKilledMidStreamLosesNothingAndDuplicatesNothing() throws {
        let server = try NATSServer()
        let n = 6_000
        let p = try makePublisher(server, core: .init(maxInFlight: 256))
        for i in 1...(n / 2) { p.publish(Feed.event(i)) }
        server.kill()  // mid-stream: acks for the last sends never arrive
        #expect(waitUntil(seconds: 10) { !p.isConnected })
        for i in (n / 2 + 1)...n { p.publish(Feed.event(i)) }
        let during = p.stats
        #expect(during.buffered >= n / 2)
        try server.start()
        #expect(p.flush(timeout: .seconds(60)))
        let s = p.stats
        p.close()
        #expect(s.lost == 0)
        #expect(s.outages >= 1)
        #expect(s.bufferedMax >= n / 2)
        #expect(s.acked == n)
        let ids = try storedIds(server)
        #expect(ids.count == n)
        // Exactly once and in publish order: resends start at the first un-acked message.
        #expect(firstDifference(ids, Feed.ids(1...n)) == "")
    }

    @Test func lowBoundReportsTheExactLoss() throws {
        let server = try NATSServer()
        let p = try makePublisher(server, core: .init(maxInFlight: 50, memoryLimitMessages: 100))
        for i in 1...500 { p.publish(Feed.event(i)) }
        #expect(p.flush(timeout: .seconds(30)))
        server.kill()
        #expect(waitUntil(seconds: 10) { !p.isConnected })
        for i in 501...1_500 { p.publish(Feed.event(i)) }
        #expect(p.stats.lost == 900)
        try server.start()
        #expect(p.flush(timeout: .seconds(60)))
        let s = p.stats
        p.close()
        let ids = try storedIds(server)
        #expect(s.lost == 900)
        #expect(ids.count + s.lost == 1_500)
        #expect(firstDifference(ids, Feed.ids(1...600)) == "")
    }

    @Test(arguments: ["memory", "disk"])
    func spoolCarriesAnOutageBeyondMemory(kind: String) throws {
        let server = try NATSServer()
        let spoolDirectory = server.storeDirectory.appendingPathComponent("spool").path
        let spool: any MessageSpool =
            kind == "disk" ? try DiskSpool(directory: spoolDirectory, segmentBytes: 64 << 10) : InMemorySpool(limit: 10_000)
        let p = try makePublisher(server, core: .init(maxInFlight: 50, memoryLimitMessages: 100), spool: spool)
        for i in 1...200 { p.publish(Feed.event(i)) }
        #expect(p.flush(timeout: .seconds(30)))
        server.kill()
        #expect(waitUntil(seconds: 10) { !p.isConnected })
        for i in 201...2_000 { p.publish(Feed.event(i)) }
        #expect(p.stats.spooled == 1_700)
        try server.start()
        #expect(p.flush(timeout: .seconds(60)))
        let s = p.stats
        p.close()
        #expect(s.lost == 0)
        #expect(spool.count == 0)
        #expect(firstDifference(try storedIds(server), Feed.ids(1...2_000)) == "")
    }

    /// With no stream on the subjects the broker answers "no responders" on the ack inbox; the
    /// publisher holds everything and resends once a stream listens again: nothing lost, nothing twice.
    @Test func noRespondersHoldsEverythingUntilAStreamListens() throws {
        let server = try NATSServer()
        let p = try makePublisher(server)
        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        defer { admin.close() }
        try admin.deleteStream("MARKET_DATA")
        for i in 1...200 { p.publish(Feed.event(i)) }
        #expect(waitUntil(seconds: 10) { p.stats.failures > 0 })
        #expect(p.stats.acked == 0 && p.stats.buffered == 200)
        try admin.ensureStream(StreamConfiguration())
        #expect(p.flush(timeout: .seconds(30)))
        let s = p.stats
        p.close()
        #expect(s.acked == 200 && s.lost == 0 && s.resent > 0)
        // Every id exactly once. Not necessarily in order: a stream that appears while a resend burst
        // is in flight stores the tail of the burst before the head's retry (see docs/messages.md).
        let stored = try storedIds(server)
        #expect(stored.count == 200)
        #expect(Set(stored) == Set(Feed.ids(1...200)))
    }

    @Test func streamIsCreatedWithTheConfiguredDuplicateWindow() throws {
        let server = try NATSServer()
        let admin = try JetStreamAdmin(NATSConnectionOptions(urls: [server.url]))
        defer { admin.close() }
        try admin.ensureStream(StreamConfiguration(name: "CUSTOM", duplicateWindow: .seconds(30)))
        try admin.ensureStream(StreamConfiguration(name: "CUSTOM", duplicateWindow: .seconds(60)))  // update, not error
        #expect(try admin.streamState("CUSTOM").messages == 0)
        #expect(throws: NATSError.self) { try admin.streamState("MISSING") }
    }
}
