/// Byte-level frame encoding for both roles: masked client frames, unmasked server frames.
public enum WebSocketFrameCodec {
    /// Appends one client frame to `out`, masked with `maskingKey` (big-endian key bytes) as RFC 6455 5.3 requires.
    public static func encodeClientFrame(
        opcode: WebSocketOpcode, payload: some Collection<UInt8>, fin: Bool = true, maskingKey: UInt32,
        into out: inout [UInt8]
    ) {
        let count = payload.count
        out.reserveCapacity(out.count + count + 14)
        appendHeader(opcode: opcode.rawValue, payloadCount: count, fin: fin, masked: true, into: &out)
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

    /// Appends the header of an unmasked server frame; the payload follows it, so a server can batch many
    /// frames into one buffer without a copy per frame. `opcode` is raw so tests can send invalid ones.
    public static func appendServerFrameHeader(opcode: UInt8, payloadCount: Int, fin: Bool = true, into out: inout [UInt8]) {
        appendHeader(opcode: opcode, payloadCount: payloadCount, fin: fin, masked: false, into: &out)
    }

    /// One unmasked server frame.
    public static func encodeServerFrame(opcode: UInt8, payload: some Collection<UInt8>, fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        appendServerFrameHeader(opcode: opcode, payloadCount: payload.count, fin: fin, into: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// The payload of a close frame: the code big-endian, then the UTF-8 reason (cut to fit 125 bytes).
    public static func closePayload(code: UInt16, reason: String) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8.prefix(123))
    }

    private static func appendHeader(opcode: UInt8, payloadCount count: Int, fin: Bool, masked: Bool, into out: inout [UInt8]) {
        let mask: UInt8 = masked ? 0x80 : 0
        out.append((fin ? 0x80 : 0) | opcode)
        if count < 126 {
            out.append(mask | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(mask | 126)
            out.append(UInt8(count >> 8))
            out.append(UInt8(count & 0xFF))
        } else {
            out.append(mask | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(count) >> UInt64(shift))) }
        }
    }
}
