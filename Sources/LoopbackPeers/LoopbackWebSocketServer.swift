import COpenSSL
import Foundation

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

/// A websocket server on 127.0.0.1 (optionally TLS) written independently of the client under test: its
/// handshake uses OpenSSL's SHA-1 and base64, its framing is its own, and every behaviour is a script.
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

    init(reader: LoopbackReader, request: LoopbackHTTPRequestHead, record: @escaping (LoopbackFrame) -> Void) {
        self.reader = reader
        self.request = request
        self.record = record
    }

    /// The next client frame, or nil when the connection ends.
    public func readFrame() -> LoopbackFrame? {
        guard let head = reader.readExactly(2) else { return nil }
        var length = UInt64(head[1] & 0x7F)
        if length == 126 {
            guard let ext = reader.readExactly(2) else { return nil }
            length = UInt64(ext[0]) << 8 | UInt64(ext[1])
        } else if length == 127 {
            guard let ext = reader.readExactly(8) else { return nil }
            length = ext.reduce(0) { $0 << 8 | UInt64($1) }
        }
        let masked = head[1] & 0x80 != 0
        var key: [UInt8] = [0, 0, 0, 0]
        if masked {
            guard let k = reader.readExactly(4) else { return nil }
            key = k
        }
        guard length < 1 << 28, var payload = reader.readExactly(Int(length)) else { return nil }
        for i in payload.indices { payload[i] ^= key[i & 3] }
        let frame = LoopbackFrame(fin: head[0] & 0x80 != 0, opcode: head[0] & 0x0F, masked: masked, payload: payload)
        record(frame)
        return frame
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
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        appendFrameHeader(opcode: opcode, payloadCount: payload.count, fin: fin, into: &out)
        return out + payload
    }

    /// The header of an unmasked server frame, appended to `out` (the payload follows it), so a server can
    /// batch many frames into one buffer without a copy per frame.
    public static func appendFrameHeader(opcode: UInt8, payloadCount: Int, fin: Bool = true, into out: inout [UInt8]) {
        out.append((fin ? 0x80 : 0) | opcode)
        if payloadCount < 126 {
            out.append(UInt8(payloadCount))
        } else if payloadCount <= 0xFFFF {
            out += [126, UInt8(payloadCount >> 8), UInt8(payloadCount & 0xFF)]
        } else {
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: UInt64(payloadCount) >> UInt64(shift))) }
        }
    }
}
