/// The ways a peer can break RFC 6455 that the other end must answer by failing the connection.
public enum WebSocketViolation: Equatable, Sendable {
    case reservedBitsSet(UInt8)
    case unknownOpcode(UInt8)
    /// A server masked a frame (clients must not accept it).
    case maskedServerFrame
    /// A client sent a frame without a mask (servers must not accept it); `offset` in the stream.
    case unmaskedClientFrame(offset: Int)
    case fragmentedControlFrame(opcode: UInt8)
    case controlFrameTooLong(opcode: UInt8, length: UInt64)
    case lengthHasHighBitSet
    case unexpectedContinuation
    case expectedContinuation(opcode: UInt8)
    case invalidUTF8
    case closePayloadOfOneByte
    case invalidCloseCode(UInt16)
    case frameAfterClose(opcode: UInt8)

    /// The close code RFC 6455 section 7.4.1 assigns to this failure.
    public var closeCode: UInt16 {
        switch self {
        case .invalidUTF8: return WebSocketCloseCode.invalidPayload
        default: return WebSocketCloseCode.protocolError
        }
    }
}

/// Why received bytes cannot go on: a protocol violation, or a frame or message over its size limit.
public enum WebSocketDecodeError: Error, Equatable, Sendable {
    case violation(WebSocketViolation)
    case frameTooLarge(size: UInt64, limit: Int)
    case messageTooLarge(size: Int, limit: Int)

    /// The code to close the connection with.
    public var closeCode: UInt16 {
        switch self {
        case .violation(let v): return v.closeCode
        case .frameTooLarge, .messageTooLarge: return WebSocketCloseCode.messageTooBig
        }
    }
}
