/// Websocket opcodes (RFC 6455 section 5.2).
public enum WebSocketOpcode: UInt8, Sendable {
    case continuation = 0x0
    case text = 0x1
    case binary = 0x2
    case close = 0x8
    case ping = 0x9
    case pong = 0xA

    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// Close status codes we send or check (RFC 6455 section 7.4.1).
public enum WebSocketCloseCode {
    public static let normal: UInt16 = 1000
    public static let goingAway: UInt16 = 1001
    public static let protocolError: UInt16 = 1002
    public static let unsupportedData: UInt16 = 1003
    public static let noStatus: UInt16 = 1005
    public static let abnormal: UInt16 = 1006
    public static let invalidPayload: UInt16 = 1007
    public static let policyViolation: UInt16 = 1008
    public static let messageTooBig: UInt16 = 1009
    public static let internalError: UInt16 = 1011
    public static let serviceRestart: UInt16 = 1012

    /// Codes a peer may put on the wire: 1000-1003, 1007-1011 (1012-1014 are registered since), 3000-4999.
    public static func isValidOnWire(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }
}

/// Which end of the connection this codec is: the masking rule depends on it (RFC 6455 section 5.1).
/// A client masks what it sends and rejects masked frames; a server sends unmasked and requires masks.
public enum WebSocketRole: Sendable {
    case client
    case server
}

/// One decoded frame. Payload is already unmasked.
public struct WebSocketFrame: Equatable, Sendable {
    public var fin: Bool
    public var opcode: WebSocketOpcode
    public var payload: [UInt8]
    /// Whether the sender masked it (a server's decoder can be told to accept unmasked frames and report them).
    public var masked: Bool

    public init(fin: Bool = true, opcode: WebSocketOpcode, payload: [UInt8], masked: Bool = false) {
        self.fin = fin
        self.opcode = opcode
        self.payload = payload
        self.masked = masked
    }
}
