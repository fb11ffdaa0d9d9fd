import WebSocket
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

    // MARK: Server role

    /// A client frame built by hand (not by the codec): masked with `key`.
    private func clientFrame(_ first: UInt8, _ payload: [UInt8], key: [UInt8] = [1, 2, 3, 4]) -> [UInt8] {
        [first, 0x80 | UInt8(payload.count)] + key + payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
    }

    @Test func serverRoleUnmasksTheRFCMaskedExample() throws {
        var decoder = WebSocketFrameDecoder(role: .server, maxFramePayload: 1024)
        decoder.append([0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
        #expect(try decoder.nextFrame() == WebSocketFrame(opcode: .text, payload: hello, masked: true))
        #expect(decoder.consumed == 11)
    }

    @Test func serverRoleRefusesUnmaskedFramesUnlessToldToReportThem() throws {
        var strict = WebSocketFrameDecoder(role: .server, maxFramePayload: 1024)
        strict.append(clientFrame(0x81, [0x41]) + [0x81, 0x01, 0x41])
        _ = try strict.nextFrame()
        #expect(throws: WebSocketDecodeError.violation(.unmaskedClientFrame(offset: 7))) { try strict.nextFrame() }
        var lenient = WebSocketFrameDecoder(role: .server, maxFramePayload: 1024, requiresMask: false)
        lenient.append([0x81, 0x01, 0x41])
        #expect(try lenient.nextFrame() == WebSocketFrame(opcode: .text, payload: [0x41], masked: false))
    }

    @Test func serverFramesAreUnmaskedAndRoundTripThroughAClientDecoder() throws {
        var out: [UInt8] = []
        for size in [0, 125, 126, 65535, 65536] {
            out += WebSocketFrameCodec.encodeServerFrame(opcode: 0x2, payload: [UInt8](repeating: UInt8(size & 0xFF), count: size))
        }
        #expect(Array(out[0..<2]) == [0x82, 0x00])
        let frames = try decodeAll(out)
        #expect(frames.map(\.payload.count) == [0, 125, 126, 65535, 65536])
        #expect(frames.allSatisfy { !$0.masked && $0.fin && $0.opcode == .binary })
        // And a client frame of every length form comes back through a server decoder.
        var server = WebSocketFrameDecoder(role: .server, maxFramePayload: 1 << 20)
        for size in [0, 126, 70_000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7) }
            server.append(WebSocketFrameCodec.encodeClientFrame(opcode: .binary, payload: payload, maskingKey: 0xA1B2_C3D4))
            #expect(try server.nextFrame()?.payload == payload)
        }
    }

    // MARK: Messages

    @Test func readerJoinsFragmentsAroundControlFramesInBothRoles() throws {
        var server = WebSocketMessageReader(role: .server, maxFramePayload: 1024, maxMessageSize: 1024)
        let bytes = clientFrame(0x01, Array("hel".utf8)) + clientFrame(0x89, [7]) + clientFrame(0x80, Array("lo".utf8))
            + clientFrame(0x88, [0x03, 0xE8] + Array("bye".utf8))
        server.append(bytes.prefix(5))
        #expect(try server.next() == nil, "half a frame")
        server.append(bytes.dropFirst(5))
        #expect(try server.next() == .ping([7]))
        #expect(try server.next() == .text(Array("hello".utf8)))
        #expect(try server.next() == .close(code: 1000, reason: "bye"))
        #expect(try server.next() == nil)

        var client = WebSocketMessageReader(role: .client, maxFramePayload: 1024, maxMessageSize: 1024)
        client.append([0x02, 0x01, 9, 0x8A, 0x00, 0x80, 0x01, 8, 0x88, 0x00])
        #expect(try client.next() == .pong([]))
        #expect(try client.next() == .binary([9, 8]))
        #expect(try client.next() == .close(code: nil, reason: ""))
    }

    @Test func readerRefusalsCarryTheirCloseCodes() {
        let cases: [([UInt8], WebSocketDecodeError, UInt16)] = [
            ([0x80, 0x00], .violation(.unexpectedContinuation), 1002),
            ([0x01, 0x00, 0x81, 0x00], .violation(.expectedContinuation(opcode: 1)), 1002),
            ([0x81, 0x02, 0xC3, 0x28], .violation(.invalidUTF8), 1007),
            ([0x01, 0x01, 0xE2, 0x80, 0x02, 0x82, 0xAC, 0x81, 0x01, 0xFF], .violation(.invalidUTF8), 1007),
            ([0x88, 0x01, 0x03], .violation(.closePayloadOfOneByte), 1002),
            ([0x88, 0x02, 0x03, 0xED], .violation(.invalidCloseCode(1005)), 1002),
            ([0x88, 0x03, 0x03, 0xE8, 0xFF], .violation(.invalidUTF8), 1007),
            ([0x01, 0x03, 1, 2, 3, 0x80, 0x02, 4, 5], .messageTooLarge(size: 5, limit: 4), 1009),
            ([0x82, 0x05, 1, 2, 3, 4, 5], .frameTooLarge(size: 5, limit: 4), 1009),
        ]
        for (bytes, error, code) in cases {
            var reader = WebSocketMessageReader(role: .client, maxFramePayload: 4, maxMessageSize: 4)
            reader.append(bytes)
            #expect(throws: error) { while try reader.next() != nil {} }
            #expect(error.closeCode == code)
        }
    }

    @Test func utf8ValidationFollowsRFC3629() {
        #expect(UTF8Validation.isValid(Array("plain ascii, and then some more than eight".utf8)))
        #expect(UTF8Validation.isValid(Array("é € 𝄞 \u{10FFFF}".utf8)))
        for bad: [UInt8] in [[0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xE2, 0x82], [0x80]] {
            #expect(!UTF8Validation.isValid(bad), "\(bad)")
        }
        #expect(WebSocketFrameCodec.closePayload(code: 1012, reason: String(repeating: "x", count: 200)).count == 125)
    }
}
