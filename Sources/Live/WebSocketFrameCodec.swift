/// Byte-level websocket framing for the client side: encodes masked frames and incrementally decodes the
/// server's unmasked ones. Pure; the connection machine owns policy (fragments, close handshake).
public enum WebSocketFrameCodec {
    /// Appends one client frame to `out`, masked with `maskingKey` (big-endian key bytes) as RFC 6455 5.3 requires.
    public static func encodeClientFrame(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true, maskingKey: UInt32,
        into out: inout [UInt8]
    ) {
        let count = payload.count
        out.reserveCapacity(out.count + count + 14)
        out.append((fin ? 0x80 : 0) | opcode.rawValue)
        if count < 126 {
            out.append(0x80 | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(0x80 | 126)
            out.append(UInt8(count >> 8)); out.append(UInt8(count & 0xFF))
        } else {
            out.append(0x80 | 127)
            let length = UInt64(count)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        }
        let key = [UInt8(maskingKey >> 24), UInt8((maskingKey >> 16) & 0xFF), UInt8((maskingKey >> 8) & 0xFF), UInt8(maskingKey & 0xFF)]
        out.append(contentsOf: key)
        var i = 0
        for byte in payload {
            out.append(byte ^ key[i & 3])
            i &+= 1
        }
    }

    public static func encodeClientFrame(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true, maskingKey: UInt32
    ) -> [UInt8] {
        var out: [UInt8] = []
        encodeClientFrame(opcode: opcode, payload: payload, fin: fin, maskingKey: maskingKey, into: &out)
        return out
    }

    /// The payload of a close frame: the code big-endian, then the UTF-8 reason.
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8)
    }
}

/// A failure found while decoding: either a protocol violation or a frame over the size limit.
public enum WebSocketDecodeError: Error, Equatable, Sendable {
    case violation(WebSocketViolation)
    case frameTooLarge(size: UInt64, limit: Int)
}

/// Incremental decoder of server-to-client frames. Feed bytes as they arrive, then pull frames until nil.
///
/// The size limit is checked as soon as a frame's header is complete, so an oversized frame is refused
/// before its payload is buffered.
public struct WebSocketFrameDecoder: Sendable {
    public let maxFramePayload: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0

    public init(maxFramePayload: Int) {
        self.maxFramePayload = maxFramePayload
    }

    /// Bytes received but not yet consumed by a complete frame.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if readIndex > 0 && readIndex >= buffer.count / 2 {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, or nil until more bytes arrive.
    public mutating func nextFrame() throws(WebSocketDecodeError) -> WebSocketFrame? {
        let available = buffer.count - readIndex
        guard available >= 2 else { return nil }
        let b0 = buffer[readIndex], b1 = buffer[readIndex + 1]
        let rsv = b0 & 0x70
        if rsv != 0 { throw .violation(.reservedBitsSet(rsv >> 4)) }
        let rawOpcode = b0 & 0x0F
        guard let opcode = WebSocketOpcode(rawValue: rawOpcode) else { throw .violation(.unknownOpcode(rawOpcode)) }
        let fin = b0 & 0x80 != 0
        if b1 & 0x80 != 0 { throw .violation(.maskedServerFrame) }
        var headerLength = 2
        var length = UInt64(b1 & 0x7F)
        if length == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(buffer[readIndex + 2]) << 8 | UInt64(buffer[readIndex + 3])
            headerLength = 4
        } else if length == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(buffer[readIndex + i]) }
            if length & (1 << 63) != 0 { throw .violation(.lengthHasHighBitSet) }
            headerLength = 10
        }
        if opcode.isControl {
            if !fin { throw .violation(.fragmentedControlFrame(opcode: rawOpcode)) }
            if length > 125 { throw .violation(.controlFrameTooLong(opcode: rawOpcode, length: length)) }
        }
        if length > UInt64(maxFramePayload) { throw .frameTooLarge(size: length, limit: maxFramePayload) }
        let total = headerLength + Int(length)
        guard available >= total else { return nil }
        let start = readIndex + headerLength
        let payload = Array(buffer[start..<(start + Int(length))])
        readIndex += total
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return WebSocketFrame(fin: fin, opcode: opcode, payload: payload)
    }
}
