import Live
import Testing

/// Byte-exact checks against RFC 6455 section 5.7's examples, and the decoder's refusals.
@Suite struct WebSocketFrameCodecTests {
    private let hello = Array("Hello".utf8)

    private func decodeAll(_ bytes: [UInt8], limit: Int = 1 << 20, byteAtATime: Bool = false) throws -> [WebSocketFrame] {
        var decoder = WebSocketFrameDecoder(maxFramePayload: limit)
        var frames: [WebSocketFrame] = []
        let chunks: [[UInt8]] = byteAtATime ? bytes.map { [$0] } : [bytes]
        for chunk in chunks {
            decoder.append(chunk)
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        }
        #expect(decoder.bufferedByteCount == 0)
        return frames
    }

    @Test func maskedTextFrameMatchesTheRFCExample() {
        let bytes = WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: hello, maskingKey: 0x37FA_213D)
        #expect(bytes == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func maskedPongMatchesTheRFCExample() {
        let bytes = WebSocketFrameCodec.encodeClientFrame(opcode: .pong, payload: hello, maskingKey: 0x37FA_213D)
        #expect(bytes == [0x8A, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func extendedLengthsUseTwoAndEightByteForms() {
        let medium = WebSocketFrameCodec.encodeClientFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 256), maskingKey: 0)
        #expect(Array(medium[0..<8]) == [0x82, 0xFE, 0x01, 0x00, 0, 0, 0, 0])
        #expect(medium.count == 8 + 256)
        let large = WebSocketFrameCodec.encodeClientFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: 65536), maskingKey: 0)
        #expect(Array(large[0..<14]) == [0x82, 0xFF, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00, 0, 0, 0, 0])
        let edge = WebSocketFrameCodec.encodeClientFrame(opcode: .text, payload: [UInt8](repeating: 0x61, count: 125), fin: false, maskingKey: 0)
        #expect(Array(edge[0..<2]) == [0x01, 0xFD])
    }

    @Test func decodesTheRFCUnmaskedExamplesWholeAndByteByByte() throws {
        let stream: [UInt8] = [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]  // "Hello"
            + [0x01, 0x03, 0x48, 0x65, 0x6C, 0x80, 0x02, 0x6C, 0x6F]  // "Hel" + "lo"
            + [0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F]  // ping "Hello"
            + [0x82, 0x7E, 0x01, 0x00] + [UInt8](repeating: 7, count: 256)
            + [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0] + [UInt8](repeating: 9, count: 65536)
        let expected = [
            WebSocketFrame(opcode: .text, payload: hello),
            WebSocketFrame(fin: false, opcode: .text, payload: Array("Hel".utf8)),
            WebSocketFrame(opcode: .continuation, payload: Array("lo".utf8)),
            WebSocketFrame(opcode: .ping, payload: hello),
            WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 7, count: 256)),
            WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 9, count: 65536)),
        ]
        #expect(try decodeAll(stream) == expected)
        #expect(try decodeAll(stream, byteAtATime: true) == expected)
    }

    @Test func refusesWhatAServerMustNotSend() {
        let cases: [([UInt8], WebSocketDecodeError)] = [
            ([0x81, 0x81, 1, 2, 3, 4, 0x41], .violation(.maskedServerFrame)),
            ([0xC1, 0x00], .violation(.reservedBitsSet(4))),
            ([0x83, 0x00], .violation(.unknownOpcode(3))),
            ([0x8B, 0x00], .violation(.unknownOpcode(0xB))),
            ([0x09, 0x00], .violation(.fragmentedControlFrame(opcode: 9))),
            ([0x88, 0x7E, 0x00, 0x7E], .violation(.controlFrameTooLong(opcode: 8, length: 126))),
            ([0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 1], .violation(.lengthHasHighBitSet)),
            ([0x82, 0x7E, 0x04, 0x01], .frameTooLarge(size: 1025, limit: 1024)),
        ]
        for (bytes, error) in cases {
            #expect(throws: error) { try decodeAll(bytes, limit: 1024) }
        }
    }

    @Test func oversizedFrameIsRefusedFromItsHeaderAlone() {
        var decoder = WebSocketFrameDecoder(maxFramePayload: 100)
        decoder.append([0x82, 0x7F, 0, 0, 0, 1, 0, 0, 0, 0])  // announces 4 GiB, no payload yet
        #expect(throws: WebSocketDecodeError.frameTooLarge(size: 1 << 32, limit: 100)) { try decoder.nextFrame() }
    }
}
