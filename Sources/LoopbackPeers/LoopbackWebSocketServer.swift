import COpenSSL
import Foundation
import WebSocket

/// One frame as the server saw it (payload unmasked).
public struct LoopbackFrame: Equatable, Sendable {
    public var fin: Bool
    public var opcode: UInt8
    public var masked: Bool
    public var payload: [UInt8]

    /// For close frames: the status code, if any.
    public var closeCode: UInt16? {
        guard opcode == 0x8, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }
}

/// How the server answers an upgrade request.
public enum LoopbackHandshakeReply: Sendable {
    /// 101 with the correct accept value; `thenBytes` go out in the same write, right after the header block.
    case accept(thenBytes: [UInt8] = [])
    /// 101 with a Sec-WebSocket-Accept that does not match the key.
    case acceptWithWrongKey
    /// A plain HTTP error response.
    case reject(status: Int)
}

/// A websocket server on 127.0.0.1 (optionally TLS) for testing clients: its handshake uses OpenSSL's
/// SHA-1 and base64 (independent of the client's own), its framing the shared `WebSocket` codec (tested
/// on its own against RFC 6455's byte examples), and every behaviour is a script.
public final class LoopbackWebSocketServer: @unchecked Sendable {
    private var listener: LoopbackListener!
    private let lock = NSLock()
    private var recordedRequests: [LoopbackHTTPRequestHead] = []
    private var recordedFrames: [LoopbackFrame] = []
    public let isTLS: Bool

    public init(
        port: Int = 0,
        tls: LoopbackTLSContext? = nil,
        session: @escaping @Sendable (LoopbackWebSocketSession) -> Void = LoopbackWebSocketServer.echo,
        handshake: @escaping @Sendable (LoopbackHTTPRequestHead) -> LoopbackHandshakeReply = { _ in .accept() }
    ) throws(LoopbackError) {
        isTLS = tls != nil
        listener = try LoopbackListener(port: port, tls: tls) { [weak self] connection in
            guard let self else { return }
            let reader = LoopbackReader(connection)
            guard let head = reader.readHeaderBlock(), let request = LoopbackHTTPRequestHead(head) else { return }
            lock.lock()
            recordedRequests.append(request)
            lock.unlock()
            let key = request.header("Sec-WebSocket-Key") ?? ""
            let isUpgrade = request.header("Upgrade")?.lowercased() == "websocket" && request.header("Sec-WebSocket-Version") == "13"
            var reply = handshake(request)
            if !isUpgrade || key.isEmpty { reply = .reject(status: 400) }
            switch reply {
            case .reject(let status):
                connection.write(Array("HTTP/1.1 \(status) Rejected\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            case .acceptWithWrongKey:
                connection.write(Self.switchingProtocols(accept: Self.acceptValue(key: key + "x")))
            case .accept(let thenBytes):
                connection.write(Self.switchingProtocols(accept: Self.acceptValue(key: key)) + thenBytes)
            }
            session(LoopbackWebSocketSession(reader: reader, request: request, record: { [weak self] frame in
                guard let self else { return }
                lock.lock()
                recordedFrames.append(frame)
                lock.unlock()
            }))
        }
    }

    public var port: Int { listener.port }
    /// ws://127.0.0.1:port/ or wss://localhost:port/ (the test certificate names localhost and 127.0.0.1).
    public func url(path: String = "/stream") -> String {
        isTLS ? "wss://localhost:\(port)\(path)" : "ws://127.0.0.1:\(port)\(path)"
    }

    public var requests: [LoopbackHTTPRequestHead] {
        lock.lock()
        defer { lock.unlock() }
        return recordedRequests
    }

    /// Every frame any client sent, in arrival order.
    public var receivedFrames: [LoopbackFrame] {
        lock.lock()
        defer { lock.unlock() }
        return recordedFrames
    }

    /// Waits (bounded) until at least `count` client frames have arrived, and returns all of them: the client
    /// may return before the server thread has read what it sent.
    public func waitForFrames(_ count: Int, timeoutMilliseconds: Int = 5_000) -> [LoopbackFrame] {
        for _ in 0..<max(1, timeoutMilliseconds / 5) {
            let frames = receivedFrames
            if frames.count >= count { return frames }
            usleep(5_000)
        }
        return receivedFrames
    }

    public var peerPorts: [Int] { listener.peerPorts }

    public func stop() { listener.stop() }

    /// Echoes data frames frame by frame (fragments stay fragments), answers pings, echoes close and ends.
    public static let echo: @Sendable (LoopbackWebSocketSession) -> Void = { session in
        while let frame = session.readFrame() {
            switch frame.opcode {
            case 0x0, 0x1, 0x2: session.send(opcode: frame.opcode, payload: frame.payload, fin: frame.fin)
            case 0x9: session.send(opcode: 0xA, payload: frame.payload)
            case 0x8:
                session.send(opcode: 0x8, payload: frame.payload)
                return
            default: break
            }
        }
    }

    /// The accept value computed with OpenSSL, independently of the client's own SHA-1.
    public static func acceptValue(key: String) -> String {
        let input = Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        _ = SHA1(input, input.count, &digest)
        var encoded = [UInt8](repeating: 0, count: 64)
        let n = EVP_EncodeBlock(&encoded, digest, 20)
        return String(decoding: encoded[0..<Int(n)], as: UTF8.self)
    }

    /// The 101 answer to an upgrade request.
    public static func switchingProtocols(accept: String) -> [UInt8] {
        Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n".utf8)
    }
}

/// The server's side of one upgraded connection: read the client's frames, send any bytes.
public final class LoopbackWebSocketSession: @unchecked Sendable {
    public let request: LoopbackHTTPRequestHead
    private let reader: LoopbackReader
    private let record: (LoopbackFrame) -> Void
    private var decoder = WebSocketFrameDecoder(role: .server, maxFramePayload: 1 << 28, requiresMask: false)

    init(reader: LoopbackReader, request: LoopbackHTTPRequestHead, record: @escaping (LoopbackFrame) -> Void) {
        self.reader = reader
        self.request = request
        self.record = record
    }

    /// The next client frame, or nil when the connection ends (or breaks RFC 6455). Unmasked frames are
    /// accepted and reported (`masked`), so a test can check that its client masks.
    public func readFrame() -> LoopbackFrame? {
        while true {
            do {
                if let frame = try decoder.nextFrame() {
                    let seen = LoopbackFrame(fin: frame.fin, opcode: frame.opcode.rawValue, masked: frame.masked, payload: frame.payload)
                    record(seen)
                    return seen
                }
            } catch {
                return nil
            }
            guard let bytes = reader.readAvailable() else { return nil }
            decoder.append(bytes)
        }
    }

    public func send(opcode: UInt8, payload: [UInt8], fin: Bool = true) {
        sendRaw(Self.frame(opcode: opcode, payload: payload, fin: fin))
    }

    @discardableResult
    public func sendRaw(_ bytes: [UInt8]) -> Bool { reader.connection.write(bytes) }

    /// Ends the TCP connection without a close frame.
    public func drop() { reader.connection.close() }

    /// An unmasked server frame.
    public static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        WebSocketFrameCodec.encodeServerFrame(opcode: opcode, payload: payload, fin: fin)
    }
}
