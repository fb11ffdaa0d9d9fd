import ExchangeServer
import Foundation
import Live
import Model
import Simulation
import TestSupport
import Testing

/// The venues' keepalives: Binance server pings, OKX text ping/pong, Deribit heartbeats with test_request.
struct KeepaliveTests {
    @Test func binanceServerPings() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        let server = try startedServer([path], speed: .multiple(1), closeAtEnd: false) { $0.pingIntervalNanoseconds = 100_000_000 }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 1)))
        defer { socket.close(timeoutMilliseconds: 200) }
        var pings = 0
        for _ in 0..<2_000 where pings < 2 {
            if case .ping = try socket.receive(timeoutMilliseconds: 2_000) { pings += 1 }
        }
        #expect(pings == 2)
    }

    @Test func okxTextPingIsAnsweredPong() throws {
        let server = try startedServer([ServeRecordings.synthetic("okx")], closeAtEnd: false)
        defer { server.stop() }
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 2)))
        defer { socket.close(timeoutMilliseconds: 200) }
        try socket.send(text: "ping")
        #expect(try socket.receive(timeoutMilliseconds: 5_000) == .text(Array("pong".utf8)))
    }

    @Test func withheldPongsGoUnansweredThenResume() throws {
        let server = try startedServer(
            [ServeRecordings.synthetic("okx")], closeAtEnd: false, faults: [Fault(kind: .pongWithheld, at: 0, duration: 1_500_000_000)])
        defer { server.stop() }
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 4)))
        defer { socket.close(timeoutMilliseconds: 200) }
        try socket.send(text: "ping")
        #expect(try socket.receive(timeoutMilliseconds: 600) == nil, "no pong inside the window")
        Thread.sleep(forTimeInterval: 1.2)
        try socket.send(text: "ping")
        #expect(try socket.receive(timeoutMilliseconds: 5_000) == .text(Array("pong".utf8)))
    }

    @Test func deribitHeartbeatsAskForATestAndTheTestIsAnswered() throws {
        let server = try startedServer([ServeRecordings.synthetic("deribit")], speed: .multiple(1), closeAtEnd: false) {
            $0.heartbeatIntervalNanoseconds = 200_000_000
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: try #require(server.endpoints.first).websocketURL, options: .init(random: SeededRandom(seed: 3)))
        defer { socket.close(timeoutMilliseconds: 200) }
        try socket.send(text: #"{"jsonrpc":"2.0","id":1,"method":"public/set_heartbeat","params":{"interval":10}}"#)
        var texts: [String] = []
        while texts.count < 200, let message = try socket.receive(timeoutMilliseconds: 3_000) {
            guard case .text(let bytes) = message else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            texts.append(text)
            if text.contains("test_request") {
                try socket.send(text: #"{"jsonrpc":"2.0","id":2,"method":"public/test","params":{}}"#)
            }
            if text.contains("\"id\":2,") { break }
        }
        #expect(texts.first == #"{"jsonrpc":"2.0","id":1,"result":"ok"}"#)
        #expect(texts.contains(#"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#))
        #expect(texts.last?.hasPrefix(#"{"jsonrpc":"2.0","id":2,"result":{"version":"#) == true)
    }
}
