/// What an application sees: whole messages (fragments joined) and control frames.
public enum WebSocketMessage: Equatable, Sendable {
    /// A text message's bytes, already checked to be valid UTF-8.
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    /// The peer's close frame (code nil when it sent none, i.e. 1005), its reason checked to be UTF-8.
    case close(code: UInt16?, reason: String)
}

/// Frames to messages, sans-IO, for either role: joins fragments (control frames may come between them),
/// bounds a message's size, validates text as UTF-8 and checks close payloads (RFC 6455 sections 5.4,
/// 5.5.1, 7.4, 8.1). Bytes in, messages out; what to answer (pongs, the close reply) is the caller's policy.
public struct WebSocketMessageReader: Sendable {
    public private(set) var frames: WebSocketFrameDecoder
    public let maxMessageSize: Int
    private var fragmentOpcode: WebSocketOpcode?
    private var fragments: [UInt8] = []

    public init(role: WebSocketRole, maxFramePayload: Int, maxMessageSize: Int, requiresMask: Bool = true) {
        frames = WebSocketFrameDecoder(role: role, maxFramePayload: maxFramePayload, requiresMask: requiresMask)
        self.maxMessageSize = maxMessageSize
    }

    public mutating func append(_ bytes: some Collection<UInt8>) { frames.append(bytes) }

    /// Bytes received but not yet part of a complete frame.
    public var bufferedByteCount: Int { frames.bufferedByteCount }

    /// The next complete message, or nil until more bytes arrive. After an error the stream is unusable.
    public mutating func next() throws(WebSocketDecodeError) -> WebSocketMessage? {
        while let frame = try frames.nextFrame() {
            if let message = try take(frame) { return message }
        }
        return nil
    }

    /// One frame in; a message out when it completes one.
    public mutating func take(_ frame: WebSocketFrame) throws(WebSocketDecodeError) -> WebSocketMessage? {
        switch frame.opcode {
        case .ping: return .ping(frame.payload)
        case .pong: return .pong(frame.payload)
        case .close: return try Self.close(frame.payload)
        case .text, .binary:
            if fragmentOpcode != nil { throw .violation(.expectedContinuation(opcode: frame.opcode.rawValue)) }
            if frame.fin { return try Self.message(frame.opcode, frame.payload) }
            if frame.payload.count > maxMessageSize { throw .messageTooLarge(size: frame.payload.count, limit: maxMessageSize) }
            fragmentOpcode = frame.opcode
            fragments = frame.payload
            return nil
        case .continuation:
            guard let opcode = fragmentOpcode else { throw .violation(.unexpectedContinuation) }
            let size = fragments.count + frame.payload.count
            if size > maxMessageSize { throw .messageTooLarge(size: size, limit: maxMessageSize) }
            fragments += frame.payload
            guard frame.fin else { return nil }
            let whole = fragments
            fragmentOpcode = nil
            fragments = []
            return try Self.message(opcode, whole)
        }
    }

    private static func message(_ opcode: WebSocketOpcode, _ payload: [UInt8]) throws(WebSocketDecodeError) -> WebSocketMessage {
        guard opcode == .text else { return .binary(payload) }
        guard UTF8Validation.isValid(payload) else { throw .violation(.invalidUTF8) }
        return .text(payload)
    }

    /// A close payload: empty, or a valid code and a UTF-8 reason.
    private static func close(_ payload: [UInt8]) throws(WebSocketDecodeError) -> WebSocketMessage {
        if payload.isEmpty { return .close(code: nil, reason: "") }
        if payload.count == 1 { throw .violation(.closePayloadOfOneByte) }
        let code = UInt16(payload[0]) << 8 | UInt16(payload[1])
        guard WebSocketCloseCode.isValidOnWire(code) else { throw .violation(.invalidCloseCode(code)) }
        let reason = Array(payload[2...])
        guard UTF8Validation.isValid(reason) else { throw .violation(.invalidUTF8) }
        return .close(code: code, reason: String(decoding: reason, as: UTF8.self))
    }
}
