/// Incremental frame decoder for either role, sans-IO: feed bytes as they arrive, pull frames until nil.
///
/// Checks what RFC 6455 section 5 says of single frames: reserved bits, known opcodes, the masking rule of
/// the role, control frames unfragmented and at most 125 bytes, the 64-bit length's high bit. The size
/// limit is checked as soon as a frame's header is complete, so an oversized frame is refused before its
/// payload is buffered. Fragments and close payloads are `WebSocketMessageReader`'s business.
public struct WebSocketFrameDecoder: Sendable {
    public let role: WebSocketRole
    public let maxFramePayload: Int
    /// Server role only: accept unmasked frames and report them (`WebSocketFrame.masked`) instead of failing,
    /// for a test peer that checks whether a client masks.
    public let requiresMask: Bool
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Bytes consumed by complete frames so far (error offsets).
    public private(set) var consumed = 0

    public init(role: WebSocketRole = .client, maxFramePayload: Int, requiresMask: Bool = true) {
        self.role = role
        self.maxFramePayload = maxFramePayload
        self.requiresMask = requiresMask
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
        let masked = b1 & 0x80 != 0
        switch role {
        case .client: if masked { throw .violation(.maskedServerFrame) }
        case .server: if !masked && requiresMask { throw .violation(.unmaskedClientFrame(offset: consumed)) }
        }
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
        let keyLength = masked ? 4 : 0
        let total = headerLength + keyLength + Int(length)
        guard available >= total else { return nil }
        let start = readIndex + headerLength + keyLength
        var payload = Array(buffer[start..<(start + Int(length))])
        if masked {
            let keyAt = readIndex + headerLength
            let key = (buffer[keyAt], buffer[keyAt + 1], buffer[keyAt + 2], buffer[keyAt + 3])
            payload.withUnsafeMutableBufferPointer { p in
                for i in p.indices {
                    switch i & 3 {
                    case 0: p[i] ^= key.0
                    case 1: p[i] ^= key.1
                    case 2: p[i] ^= key.2
                    default: p[i] ^= key.3
                    }
                }
            }
        }
        readIndex += total
        consumed += total
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
        }
        return WebSocketFrame(fin: fin, opcode: opcode, payload: payload, masked: masked)
    }
}
