import ExchangeServer
import Foundation
import Live
import Model
import Simulation
import TestSupport
import Testing

/// Scenario faults applied on the real sockets, each observed by an ordinary websocket client.
/// Times count from the first websocket connection attempt.
struct SocketFaultTests {
    let path = ServeRecordings.synthetic("okx")

    private func run(_ faults: [Fault], speed: ReplaySpeed = .multiple(20), limit: Int = .max, idle: Int = 5_000) throws -> Received {
        let server = try startedServer([path], speed: speed, faults: faults)
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        return try receiveAll(url: try #require(server.endpoints.first).websocketURL, venue: .okx, send: adapter.connectFrames(),
                              limit: limit, idleMilliseconds: idle)
    }

    @Test func resetEndsTheConnectionWithAnErrorAndNoCloseFrame() throws {
        let got = try run([Fault(kind: .connectionReset, at: 300_000_000)])
        #expect(got.closeCode == nil)
        let error = try #require(got.error)
        #expect(error != .closed(code: 1000, reason: ""))
        #expect(got.texts.contains { isDataFrame($0, venue: .okx) }, "data flowed before the reset")
    }

    @Test func closeWithCodeIsSeenByTheClient() throws {
        let got = try run([Fault(kind: .connectionClose, at: 300_000_000, code: 4001)])
        #expect(got.closeCode == 4001)
        #expect(got.error == nil)
    }

    @Test func stallSendsNothingWithinTheWindowThenResumes() throws {
        let server = try startedServer([path], speed: .max, faults: [Fault(kind: .connectionStall, at: 0, duration: 1_500_000_000)])
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 3)))
        defer { socket.close(timeoutMilliseconds: 200) }
        for f in adapter.connectFrames() { try socket.send(textBytes: f) }
        #expect(try socket.receive(timeoutMilliseconds: 700) == nil, "silent inside the stall")
        let after = try socket.receive(timeoutMilliseconds: 5_000)
        #expect(after != nil, "frames follow once the stall ends")
    }

    @Test func refusedConnectsFailThenTheNextOneSucceeds() throws {
        let server = try startedServer([path], faults: [Fault(kind: .connectRefuse, at: 0, count: 2)])
        defer { server.stop() }
        let url = try #require(server.endpoints.first).websocketURL
        for _ in 0..<2 {
            #expect(throws: TransportError.self) { _ = try CurlWebSocket(url: url, options: .init(random: SeededRandom(seed: 1))) }
        }
        let third = try CurlWebSocket(url: url, options: .init(random: SeededRandom(seed: 2)))
        #expect(third.handshakeResponse.status == 101)
        third.close()
    }

    @Test func latencyHoldsTheFirstFrameBackAtLeastTheDelay() throws {
        // 1 s of latency; the client's clock starts a little after the server's (after the 101), so allow 0.2 s.
        let got = try run([Fault(kind: .messageDelay, at: 0, duration: 5_000_000_000, delay: 1_000_000_000)], speed: .max, limit: 1)
        let first = try #require(got.firstDataAfter)
        #expect(first >= 0.8)
    }

    @Test func delayedConnectAnswersTheUpgradeLate() throws {
        let server = try startedServer([path], faults: [Fault(kind: .connectDelay, at: 0, delay: 600_000_000)])
        defer { server.stop() }
        let start = Date()
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 4)))
        #expect(Date().timeIntervalSince(start) >= 0.6)
        socket.close()
    }

    @Test func bandwidthCapSlowsTheStream() throws {
        // 5 kB/s for 10 s: in the first second at most a few kB (plus one frame in flight) can arrive.
        let server = try startedServer([path], speed: .max, faults: [Fault(kind: .bandwidthCap, at: 0, duration: 10_000_000_000, bytesPerSecond: 5_000)])
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 5)))
        defer { socket.close(timeoutMilliseconds: 200) }
        for f in adapter.connectFrames() { try socket.send(textBytes: f) }
        let start = Date()
        var bytes = 0
        while Date().timeIntervalSince(start) < 1.0, let message = try socket.receive(timeoutMilliseconds: 200) {
            if case .text(let t) = message { bytes += t.count }
        }
        let total = try recordedDataFrames(path).reduce(0) { $0 + $1.count }
        #expect(bytes > 0)
        #expect(bytes < total / 4, "far from the whole recording in a second")
    }

    @Test func restFaultsAnswerWithTheirStatus() throws {
        let server = try startedServer(
            [ServeRecordings.synthetic("binance-spot")],
            faults: [Fault(kind: .rest429, at: 0, count: 1, delay: 3_000_000_000), Fault(kind: .rest5xx, at: 0, count: 1, code: 502)])
        defer { server.stop() }
        // Fault times count from the first websocket attempt.
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 6)))
        defer { socket.close(timeoutMilliseconds: 200) }
        let client = try CurlRestClient()
        let url = "http://127.0.0.1:\(server.port)/api/v3/depth?symbol=BTCUSDT&limit=1000"
        let limited = try client.get(url)
        #expect(limited.status == 429)
        #expect(limited.retryAfterSeconds == 3)
        #expect(try client.get(url).status == 502)
        #expect(try client.get(url).status == 200)
    }

    @Test func faultsServeCannotApplyAreRejected() throws {
        #expect(throws: ExchangeServerError.self) {
            _ = try ExchangeServer(configuration: .init(recordings: [path], faults: [Fault(kind: .messageDrop, at: 0)]))
        }
    }
}
