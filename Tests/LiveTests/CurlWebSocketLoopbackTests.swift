import Foundation
import Live
import LoopbackPeers
import Model
import Testing

/// The websocket client against a real server on 127.0.0.1 (plain TCP here; TLS and proxies elsewhere).
@Suite struct CurlWebSocketLoopbackTests {
    private func options(maxFrame: Int = 1 << 20) -> CurlWebSocket.Options {
        CurlWebSocket.Options(connectTimeoutMilliseconds: 5_000, handshakeTimeoutMilliseconds: 5_000,
            limits: WebSocketLimits(maxFramePayload: maxFrame, maxMessageSize: 4 << 20), random: SeededRandom(seed: 3))
    }

    /// Receives until a non-control message (bounded), failing the test on timeout.
    private func next(_ socket: CurlWebSocket) throws -> WebSocketMessage {
        try #require(try socket.receive(timeoutMilliseconds: 5_000))
    }

    @Test func upgradesAndEchoesTextAndBinary() throws {
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(path: "/ws?streams=btcusdt@trade"), options: options())
        try socket.send(text: "hello €")
        #expect(try next(socket) == .text(Array("hello €".utf8)))
        let blob = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try socket.send(binary: blob)
        #expect(try next(socket) == .binary(blob))
        let request = try #require(server.requests.first)
        #expect(request.target == "/ws?streams=btcusdt@trade")
        #expect(request.header("Host") == "127.0.0.1:\(server.port)")
        #expect(socket.connectedPort == server.port)
        #expect(server.receivedFrames.allSatisfy { $0.masked })
        #expect(server.peerPorts == [socket.localPort])
        socket.close()
    }

    @Test func fragmentedMessagesBothWays() throws {
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        // Ours: split into 3 frames; the echo server sends the same 3 frames back, we reassemble.
        try socket.send(textBytes: Array("fragmented!".utf8), fragmentSize: 4)
        #expect(try next(socket) == .text(Array("fragmented!".utf8)))
        let frames = server.receivedFrames
        #expect(frames.map(\.opcode) == [1, 0, 0])
        #expect(frames.map(\.fin) == [false, false, true])
        socket.close()
    }

    @Test func serverPingGetsOurPongAndClientPingGetsServerPong() throws {
        let server = try LoopbackWebSocketServer { session in
            session.send(opcode: 0x9, payload: Array("are you there".utf8))
            LoopbackWebSocketServer.echo(session)
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(try next(socket) == .ping(Array("are you there".utf8)))
        try socket.ping([7, 7])
        #expect(try next(socket) == .pong([7, 7]))
        let pong = try #require(server.receivedFrames.first)
        #expect(pong.opcode == 0xA && pong.payload == Array("are you there".utf8) && pong.masked)
        socket.close()
    }

    @Test func clientCloseHandshakeCarriesTheCode() throws {
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        socket.close(code: 4001, reason: "rotate")
        #expect(socket.state == .closed(code: 4001, reason: "rotate", clean: true))  // the server echoed code and reason
        let close = try #require(server.receivedFrames.last)
        #expect(close.opcode == 8 && close.closeCode == 4001 && close.payload.dropFirst(2).elementsEqual("rotate".utf8))
        #expect(throws: TransportError.self) { try socket.send(text: "after") }
    }

    @Test func serverCloseIsReportedThenEchoed() throws {
        let server = try LoopbackWebSocketServer { session in
            session.send(opcode: 0x8, payload: [0x03, 0xE9] + Array("maintenance".utf8))
            _ = session.readFrame()
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(try next(socket) == .close(code: 1001, reason: "maintenance"))
        #expect(throws: TransportError.closed(code: 1001, reason: "maintenance")) { try socket.receive(timeoutMilliseconds: 1_000) }
        let echoed = try #require(server.waitForFrames(1).first)
        #expect(echoed.opcode == 8 && echoed.closeCode == 1001)
    }

    @Test func oversizedFrameIsRejectedWith1009() throws {
        let server = try LoopbackWebSocketServer { session in
            session.send(opcode: 0x2, payload: [UInt8](repeating: 1, count: 2_000))
            _ = session.readFrame()
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options(maxFrame: 1_024))
        #expect(throws: TransportError.frameTooLarge(size: 2_000, limit: 1_024)) { try socket.receive(timeoutMilliseconds: 5_000) }
        let close = try #require(server.waitForFrames(1).first)
        #expect(close.opcode == 8 && close.closeCode == 1009)
    }

    @Test func framesSentWithThe101AreKept() throws {
        // The server writes the 101 and two frames in one send: they arrive in the handshake read.
        let early = LoopbackWebSocketSession.frame(opcode: 1, payload: Array("{\"first\":1}".utf8))
            + LoopbackWebSocketSession.frame(opcode: 2, payload: [9, 8, 7])
        let server = try LoopbackWebSocketServer(handshake: { _ in .accept(thenBytes: early) })
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(socket.handshakeResponse.remainder == early)
        #expect(try next(socket) == .text(Array("{\"first\":1}".utf8)))
        #expect(try next(socket) == .binary([9, 8, 7]))
        socket.close()
    }

    @Test func responseAndFramesSplitAcrossManyWritesAreReassembled() throws {
        // A 300-byte frame in 7-byte writes with pauses, so the client reads it in partial pieces.
        let frame = LoopbackWebSocketSession.frame(opcode: 1, payload: Array(String(repeating: "0123456789", count: 30).utf8))
        let server = try LoopbackWebSocketServer(session: { session in
            for start in stride(from: 0, to: frame.count, by: 7) {
                session.sendRaw(Array(frame[start..<min(start + 7, frame.count)]))
                usleep(1_000)
            }
            LoopbackWebSocketServer.echo(session)
        }, handshake: { _ in .accept() })
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(try next(socket) == .text(Array(String(repeating: "0123456789", count: 30).utf8)))
        socket.close()
    }

    @Test func handshakeFailuresAreTyped() throws {
        let wrong = try LoopbackWebSocketServer(handshake: { _ in .acceptWithWrongKey })
        defer { wrong.stop() }
        #expect {
            _ = try CurlWebSocket(url: wrong.url(), options: options())
        } throws: { error in
            if case .badAccept(_, let received)? = error as? TransportError { return received != nil }
            return false
        }
        let rejecting = try LoopbackWebSocketServer(handshake: { _ in .reject(status: 403) })
        defer { rejecting.stop() }
        #expect(throws: TransportError.handshakeRejected(status: 403)) { try CurlWebSocket(url: rejecting.url(), options: options()) }
    }

    @Test func silentServerTimesOutTheHandshakeAndReceive() throws {
        let listener = try LoopbackListener { connection in _ = connection.read(); usleep(1_500_000) }
        defer { listener.stop() }
        var o = options()
        o.handshakeTimeoutMilliseconds = 200
        #expect(throws: TransportError.timeout(operation: "websocket handshake ws://127.0.0.1:\(listener.port)/", milliseconds: 200)) {
            try CurlWebSocket(url: "ws://127.0.0.1:\(listener.port)/", options: o)
        }
        let quiet = try LoopbackWebSocketServer { session in _ = session.readFrame() }
        defer { quiet.stop() }
        let socket = try CurlWebSocket(url: quiet.url(), options: options())
        #expect(try socket.receive(timeoutMilliseconds: 100) == nil)
        socket.close(timeoutMilliseconds: 500)
    }

    @Test func droppedConnectionIsConnectionLost() throws {
        let server = try LoopbackWebSocketServer { session in
            session.send(opcode: 1, payload: Array("last words".utf8))
            session.drop()
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(try next(socket) == .text(Array("last words".utf8)))
        #expect(throws: TransportError.connectionLost) { try socket.receive(timeoutMilliseconds: 5_000) }
        #expect(socket.state == .closed(code: 1006, reason: "", clean: false))
    }

    @Test func refusedConnectIsConnectFailed() throws {
        let port = try LoopbackListener.freePort()
        #expect {
            _ = try CurlWebSocket(url: "ws://127.0.0.1:\(port)/", options: options())
        } throws: { error in
            if case .connectFailed(_, let code, _)? = error as? TransportError { return code == 7 }
            return false
        }
    }

    @Test func outboxWakesABlockedReceiveFromAnotherThread() throws {
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        let outbox = socket.outbox
        Thread.detachNewThread {
            usleep(100_000)  // let the owner block in receive first
            outbox.enqueue(.text("from another thread"))
        }
        // Without the wake-up the text would wait in the queue until this call returned nil at its timeout.
        #expect(try socket.receive(timeoutMilliseconds: 30_000) == .text(Array("from another thread".utf8)))
        outbox.enqueue(.ping([1]))
        #expect(try next(socket) == .pong([1]))
        outbox.enqueue(.close(code: 4002, reason: "from outbox"))
        #expect(try next(socket) == .close(code: 4002, reason: "from outbox"))
        #expect(server.waitForFrames(3).last?.closeCode == 4002)
    }

    @Test func invalidUTF8FromServerFailsWith1007() throws {
        let server = try LoopbackWebSocketServer { session in
            session.send(opcode: 1, payload: [0x66, 0xFF, 0x66])
            _ = session.readFrame()
        }
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options())
        #expect(throws: TransportError.protocolViolation(.invalidUTF8)) { try socket.receive(timeoutMilliseconds: 5_000) }
        #expect(server.waitForFrames(1).first?.closeCode == 1007)
    }
}
