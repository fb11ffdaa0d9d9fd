import Live
import Model
import Testing

@Suite struct WebSocketConnectionMachineTests {
    private func machine(maxFrame: Int = 1 << 20, maxMessage: Int = 1 << 20, seed: UInt64 = 42) -> WebSocketConnectionMachine {
        WebSocketConnectionMachine(limits: WebSocketLimits(maxFramePayload: maxFrame, maxMessageSize: maxMessage), random: SeededRandom(seed: seed))
    }

    private func serverFrame(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true) -> [UInt8] {
        precondition(payload.count < 126)
        return [(fin ? 0x80 : 0) | opcode, UInt8(payload.count)] + payload
    }

    /// Decodes our own masked output to check what we sent (the server's view).
    private func clientFrames(_ bytes: [UInt8]) -> [(opcode: UInt8, fin: Bool, payload: [UInt8])] {
        var frames: [(UInt8, Bool, [UInt8])] = []
        var i = 0
        while i < bytes.count {
            let fin = bytes[i] & 0x80 != 0, opcode = bytes[i] & 0x0F
            #expect(bytes[i + 1] & 0x80 != 0, "client frames are masked")
            var length = Int(bytes[i + 1] & 0x7F)
            i += 2
            if length == 126 { length = Int(bytes[i]) << 8 | Int(bytes[i + 1]); i += 2 } else if length == 127 {
                length = bytes[i..<(i + 8)].reduce(0) { $0 << 8 | Int($1) }; i += 8
            }
            let key = Array(bytes[i..<(i + 4)])
            i += 4
            frames.append((opcode, fin, bytes[i..<(i + length)].enumerated().map { $0.element ^ key[$0.offset & 3] }))
            i += length
        }
        return frames
    }

    @Test func reassemblesFragmentsWithInterleavedControlFrames() {
        var m = machine()
        let stream = serverFrame(1, Array("Hel".utf8), fin: false) + serverFrame(9, [1, 2]) + serverFrame(0, Array("l".utf8), fin: false)
            + serverFrame(0, Array("o".utf8))
        let result = m.receive(stream)
        #expect(result.messages == [.ping([1, 2]), .text(Array("Hello".utf8))])
        let sent = clientFrames(result.outgoing)
        #expect(sent.count == 1 && sent[0].opcode == 0xA && sent[0].payload == [1, 2])
        #expect(result.failure == nil && m.state == .open)
    }

    @Test func sameSeedSameBytesOnTheWire() throws {
        var a = machine(seed: 9), b = machine(seed: 9), c = machine(seed: 10)
        let x = try a.encodeText("subscribe"), y = try b.encodeText("subscribe"), z = try c.encodeText("subscribe")
        #expect(x == y)
        #expect(x != z)
        #expect(clientFrames(x).map(\.payload) == [Array("subscribe".utf8)])
    }

    @Test func outgoingFragmentationSplitsIntoContinuationFrames() throws {
        var m = machine()
        let frames = clientFrames(try m.encodeMessage(.binary, Array(0..<10), fragmentSize: 4))
        #expect(frames.map(\.opcode) == [2, 0, 0])
        #expect(frames.map(\.fin) == [false, false, true])
        #expect(frames.map(\.payload) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    }

    @Test func serverInitiatedCloseIsEchoedAndEndsCleanly() throws {
        var m = machine()
        let result = m.receive(serverFrame(8, [0x03, 0xE9] + Array("bye".utf8)) + serverFrame(1, Array("late".utf8)))
        #expect(result.messages == [.close(code: 1001, reason: "bye")])
        let sent = clientFrames(result.outgoing)
        #expect(sent.count == 1 && sent[0].opcode == 8 && sent[0].payload == [0x03, 0xE9])
        #expect(m.state == .closed(code: 1001, reason: "bye", clean: true))
        #expect(throws: TransportError.closed(code: 1001, reason: "bye")) { try m.encodeText("x") }
    }

    @Test func clientInitiatedCloseWaitsForTheServersClose() throws {
        var m = machine()
        let frame = clientFrames(try m.encodeClose(code: 4000, reason: "done"))
        #expect(frame.count == 1 && frame[0].payload == [0x0F, 0xA0] + Array("done".utf8))
        #expect(m.state == .closing(code: 4000))
        #expect(throws: TransportError.self) { try m.encodeText("after close") }
        let data = m.receive(serverFrame(1, Array("in flight".utf8)))
        #expect(data.messages == [.text(Array("in flight".utf8))])
        let reply = m.receive(serverFrame(8, [0x0F, 0xA0]))
        #expect(reply.outgoing.isEmpty, "no second close frame")
        #expect(m.state == .closed(code: 4000, reason: "", clean: true))
    }

    @Test func emptyCloseMeansNoStatus() {
        var m = machine()
        let result = m.receive(serverFrame(8, []))
        #expect(result.messages == [.close(code: nil, reason: "")])
        #expect(clientFrames(result.outgoing).map(\.payload) == [[]])
    }

    private func expectFailure(_ stream: [UInt8], _ error: TransportError, closeCode: UInt16, maxMessage: Int = 1 << 20, delivered: [WebSocketMessage] = []) {
        var m = machine(maxMessage: maxMessage)
        let result = m.receive(stream)
        #expect(result.failure == error)
        #expect(result.messages == delivered)
        let sent = clientFrames(result.outgoing)
        #expect(sent.count == 1 && sent.first?.opcode == 8)
        #expect(sent.first.map { UInt16($0.payload[0]) << 8 | UInt16($0.payload[1]) } == closeCode)
        #expect(m.state == .closed(code: closeCode, reason: "", clean: false))
        #expect(throws: error) { try m.encodeText("x") }
        #expect(m.receive(serverFrame(1, [0x41])).messages.isEmpty, "nothing after failure")
    }

    @Test func failuresSendTheRightCloseCode() {
        expectFailure(serverFrame(1, [0xC3, 0x28]), .protocolViolation(.invalidUTF8), closeCode: 1007)
        expectFailure(serverFrame(1, [0xED, 0xA0, 0x80]), .protocolViolation(.invalidUTF8), closeCode: 1007)  // surrogate
        expectFailure(serverFrame(1, [0xE0, 0x80, 0xAF]), .protocolViolation(.invalidUTF8), closeCode: 1007)  // overlong
        expectFailure(serverFrame(0, [0x41]), .protocolViolation(.unexpectedContinuation), closeCode: 1002)
        expectFailure(serverFrame(1, [0x41], fin: false) + serverFrame(2, [1]), .protocolViolation(.expectedContinuation(opcode: 2)), closeCode: 1002)
        expectFailure(serverFrame(8, [0x03]), .protocolViolation(.closePayloadOfOneByte), closeCode: 1002)
        expectFailure(serverFrame(8, [0x03, 0xED]), .protocolViolation(.invalidCloseCode(1005)), closeCode: 1002)
        expectFailure(serverFrame(2, [1, 2]) + [0x82, 0x81, 0, 0, 0, 0, 0], .protocolViolation(.maskedServerFrame), closeCode: 1002, delivered: [.binary([1, 2])])
        expectFailure(serverFrame(2, [UInt8](repeating: 1, count: 6), fin: false) + serverFrame(0, [UInt8](repeating: 1, count: 6)),
            .messageTooLarge(size: 12, limit: 10), closeCode: 1009, maxMessage: 10)
    }

    @Test func oversizedFrameClosesWith1009() {
        var m = machine(maxFrame: 16)
        let result = m.receive([0x82, 17] + [UInt8](repeating: 0, count: 17))
        #expect(result.failure == .frameTooLarge(size: 17, limit: 16))
        #expect(clientFrames(result.outgoing).first?.payload == [0x03, 0xF1])
    }

    @Test func validUTF8AcrossAllWidthsIsAccepted() {
        var m = machine()
        let text = "a\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}€ťěšť 漢字 🎉" + String(repeating: "x", count: 40)
        #expect(m.receive(serverFrame(1, Array(text.utf8))).messages == [.text(Array(text.utf8))])
    }

    @Test func connectionLossEndsAbnormally() {
        var m = machine()
        m.connectionLost()
        #expect(m.state == .closed(code: 1006, reason: "", clean: false))
    }
}
