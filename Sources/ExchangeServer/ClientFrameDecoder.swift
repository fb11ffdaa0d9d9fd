/// A message a websocket client sent (fragments joined, control frames as they come).
enum ClientMessage: Equatable, Sendable {
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close(code: UInt16?)
}

/// Why the client's bytes are not a websocket stream the server accepts (the server closes with 1002/1009).
enum ClientFrameError: Error, Equatable, Sendable {
    case unmasked(offset: Int)
    case tooLarge(size: UInt64, limit: Int)
    case unexpectedContinuation
    case badOpcode(UInt8)

    var closeCode: UInt16 {
        if case .tooLarge = self { return 1009 }
        return 1002
    }
}

/// Incremental decoder of client-to-server frames (RFC 6455: masked), sans-IO: bytes in, messages out.
struct ClientFrameDecoder {
    private var buffer: [UInt8] = []
    private var start = 0
    private var fragments: [UInt8] = []
    private var fragmentOpcode: UInt8?
    let limit: Int
    private(set) var consumed = 0

    init(limit: Int = 1 << 20) { self.limit = limit }

    mutating func append(_ bytes: some Collection<UInt8>) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil until more bytes arrive.
    mutating func next() throws(ClientFrameError) -> ClientMessage? {
        while true {
            let available = buffer.count - start
            guard available >= 2 else { return nil }
            let b0 = buffer[start], b1 = buffer[start + 1]
            guard b1 & 0x80 != 0 else { throw .unmasked(offset: consumed) }
            var length = UInt64(b1 & 0x7F)
            var header = 2
            if length == 126 {
                guard available >= 4 else { return nil }
                length = UInt64(buffer[start + 2]) << 8 | UInt64(buffer[start + 3])
                header = 4
            } else if length == 127 {
                guard available >= 10 else { return nil }
                length = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(buffer[start + 2 + $1]) }
                header = 10
            }
            guard length <= UInt64(limit) else { throw .tooLarge(size: length, limit: limit) }
            let total = header + 4 + Int(length)
            guard available >= total else { return nil }
            let keyAt = start + header
            var payload = Array(buffer[(keyAt + 4)..<(start + total)])
            for i in payload.indices { payload[i] ^= buffer[keyAt + (i & 3)] }
            start += total
            consumed += total
            let fin = b0 & 0x80 != 0
            let opcode = b0 & 0x0F
            switch opcode {
            case 0x0:
                guard let first = fragmentOpcode else { throw .unexpectedContinuation }
                fragments += payload
                guard fragments.count <= limit else { throw .tooLarge(size: UInt64(fragments.count), limit: limit) }
                if fin {
                    fragmentOpcode = nil
                    defer { fragments = [] }
                    return first == 0x1 ? .text(fragments) : .binary(fragments)
                }
            case 0x1, 0x2:
                if fin { return opcode == 0x1 ? .text(payload) : .binary(payload) }
                fragmentOpcode = opcode
                fragments = payload
            case 0x8:
                return .close(code: payload.count >= 2 ? UInt16(payload[0]) << 8 | UInt16(payload[1]) : nil)
            case 0x9: return .ping(payload)
            case 0xA: return .pong(payload)
            default: throw .badOpcode(opcode)
            }
        }
    }
}
