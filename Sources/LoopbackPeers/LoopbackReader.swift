/// Buffered reads over a connection: HTTP header blocks and exact byte counts.
public final class LoopbackReader {
    public let connection: LoopbackConnection
    private var buffer: [UInt8] = []

    public init(_ connection: LoopbackConnection) { self.connection = connection }

    /// Bytes read past the last header block or count asked for (e.g. websocket frames a client sent right
    /// behind its upgrade request), handed over and forgotten.
    public func takeBuffered() -> [UInt8] {
        defer { buffer = [] }
        return buffer
    }

    /// The header block without its final CRLFCRLF, or nil at end of stream.
    public func readHeaderBlock(limit: Int = 64 * 1024) -> [UInt8]? {
        var searchFrom = 0
        while true {
            if buffer.count >= 4 {
                for i in max(0, searchFrom - 3)...(buffer.count - 4)
                where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    let head = Array(buffer[0..<i])
                    buffer.removeSubrange(0..<(i + 4))
                    return head
                }
                searchFrom = buffer.count
            }
            if buffer.count > limit { return nil }
            let more = connection.read()
            if more.isEmpty { return nil }
            buffer += more
        }
    }

    /// What is buffered, else what the next read brings; nil at end of stream.
    public func readAvailable() -> [UInt8]? {
        if !buffer.isEmpty { return takeBuffered() }
        let more = connection.read()
        return more.isEmpty ? nil : more
    }

    public func readExactly(_ count: Int) -> [UInt8]? {
        while buffer.count < count {
            let more = connection.read()
            if more.isEmpty { return nil }
            buffer += more
        }
        let out = Array(buffer[0..<count])
        buffer.removeSubrange(0..<count)
        return out
    }
}

/// A parsed HTTP/1.1 request head.
public struct LoopbackHTTPRequestHead: Sendable {
    public var method: String
    public var target: String
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    public init?(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let first = lines.first else { return nil }
        let parts = first.split(separator: " ")
        guard parts.count == 3 else { return nil }
        method = String(parts[0])
        target = String(parts[1])
        headers = lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }))
        }
    }
}
