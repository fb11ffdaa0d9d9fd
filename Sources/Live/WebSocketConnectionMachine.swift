/// Size limits for incoming data; past them the connection is failed with close 1009.
public struct WebSocketLimits: Equatable, Sendable {
    public var maxFramePayload: Int
    public var maxMessageSize: Int

    public init(maxFramePayload: Int = 16 << 20, maxMessageSize: Int = 64 << 20) {
        self.maxFramePayload = maxFramePayload
        self.maxMessageSize = maxMessageSize
    }
}

/// Where the close handshake stands.
public enum WebSocketConnectionState: Equatable, Sendable {
    case open
    /// We sent a close frame and wait for the server's.
    case closing(code: UInt16)
    /// Both sides are done, cleanly or by failure; the caller should close the TCP connection.
    case closed(code: UInt16?, reason: String, clean: Bool)
}

/// The effects of feeding received bytes: messages to deliver, bytes to send (pongs, close replies, failure
/// closes), and the error that failed the connection, if any.
public struct WebSocketReceiveResult: Equatable, Sendable {
    public var messages: [WebSocketMessage] = []
    public var outgoing: [UInt8] = []
    public var failure: TransportError?
}

/// The client side of an RFC 6455 connection after the upgrade, without I/O: feed it received bytes, ask it
/// for the bytes of outgoing messages, and perform the effects it returns.
///
/// Masking keys come from the injected generator: the system generator live, `SeededRandom` in tests so the
/// bytes on the wire are reproducible.
public struct WebSocketConnectionMachine: Sendable {
    public let limits: WebSocketLimits
    public private(set) var state: WebSocketConnectionState = .open
    /// Why the connection was failed by us, if it was.
    public private(set) var failure: TransportError?
    /// The shared codec (target `WebSocket`): frames, fragments, UTF-8 and close payloads, client role.
    private var reader: WebSocketMessageReader
    private var random: any RandomNumberGenerator & Sendable

    public init(limits: WebSocketLimits = WebSocketLimits(), random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator()) {
        self.limits = limits
        self.random = random
        self.reader = WebSocketMessageReader(
            role: .client, maxFramePayload: limits.maxFramePayload, maxMessageSize: limits.maxMessageSize)
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Incoming

    public mutating func receive(_ bytes: some Collection<UInt8>) -> WebSocketReceiveResult {
        var result = WebSocketReceiveResult()
        guard !isClosed else { return result }
        reader.append(bytes)
        while !isClosed {
            let message: WebSocketMessage
            do {
                guard let next = try reader.next() else { break }
                message = next
            } catch {
                switch error {
                case .violation(let violation):
                    fail(.protocolViolation(violation), code: violation.closeCode, into: &result)
                case .frameTooLarge(let size, let limit):
                    fail(.frameTooLarge(size: size, limit: limit), code: error.closeCode, into: &result)
                case .messageTooLarge(let size, let limit):
                    fail(.messageTooLarge(size: size, limit: limit), code: error.closeCode, into: &result)
                }
                break
            }
            switch message {
            case .ping(let payload):
                // A ping from the server is answered at once; the application sees it too.
                if case .open = state { result.outgoing += encode(.pong, payload) }
            case .close(let code, let reason):
                if case .open = state {
                    // Echo the status code back, as RFC 6455 5.5.1 suggests, then both sides are done.
                    result.outgoing += encode(.close, code.map { WebSocketFrameCodec.closePayload(code: $0, reason: "") } ?? [])
                }
                state = .closed(code: code, reason: reason, clean: true)
            default:
                break
            }
            result.messages.append(message)
        }
        return result
    }

    private mutating func fail(_ error: TransportError, code: UInt16, into result: inout WebSocketReceiveResult) {
        if case .open = state {
            result.outgoing += encode(.close, WebSocketFrameCodec.closePayload(code: code, reason: ""))
        }
        state = .closed(code: code, reason: "", clean: false)
        failure = error
        result.failure = error
    }

    // MARK: Outgoing

    /// The frames of one message, split into fragments of at most `fragmentSize` payload bytes when given.
    public mutating func encodeMessage(_ opcode: WebSocketOpcode, _ payload: [UInt8], fragmentSize: Int? = nil) throws(TransportError) -> [UInt8] {
        try requireOpen()
        guard let size = fragmentSize, size > 0, payload.count > size, !opcode.isControl else {
            return encode(opcode, payload)
        }
        var out: [UInt8] = []
        var start = 0
        while start < payload.count {
            let end = min(start + size, payload.count)
            let key = UInt32(truncatingIfNeeded: random.next())
            WebSocketFrameCodec.encodeClientFrame(
                opcode: start == 0 ? opcode : .continuation, payload: payload[start..<end], fin: end == payload.count,
                maskingKey: key, into: &out)
            start = end
        }
        return out
    }

    public mutating func encodeText(_ text: String) throws(TransportError) -> [UInt8] {
        try encodeMessage(.text, Array(text.utf8))
    }

    public mutating func encodePing(_ payload: [UInt8] = []) throws(TransportError) -> [UInt8] {
        try requireOpen()
        return encode(.ping, Array(payload.prefix(125)))
    }

    /// Starts the close handshake; afterwards only the server's close frame is awaited.
    public mutating func encodeClose(code: UInt16 = WebSocketCloseCode.normal, reason: String = "") throws(TransportError) -> [UInt8] {
        try requireOpen()
        state = .closing(code: code)
        let reasonBytes = Array(reason.utf8.prefix(123))
        return encode(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reasonBytes)
    }

    /// The peer vanished (EOF or I/O error): the connection is over without a close handshake.
    public mutating func connectionLost() {
        if !isClosed { state = .closed(code: WebSocketCloseCode.abnormal, reason: "", clean: false) }
    }

    private func requireOpen() throws(TransportError) {
        switch state {
        case .open: return
        case .closing(let code): throw .closed(code: code, reason: "closing")
        case .closed(let code, let reason, _):
            if let failure { throw failure }
            throw .closed(code: code, reason: reason)
        }
    }

    private mutating func encode(_ opcode: WebSocketOpcode, _ payload: [UInt8]) -> [UInt8] {
        WebSocketFrameCodec.encodeClientFrame(opcode: opcode, payload: payload, maskingKey: UInt32(truncatingIfNeeded: random.next()))
    }
}
