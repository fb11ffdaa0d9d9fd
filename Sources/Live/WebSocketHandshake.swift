import Foundation

/// The HTTP/1.1 upgrade (RFC 6455 section 4), written and parsed by hand because libcurl 7.88 only gives us
/// the raw connection.
public enum WebSocketHandshake {
    public static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
    /// A response header block larger than this is not a websocket server talking.
    public static let maxResponseHeaderBytes = 16 * 1024

    /// base64(SHA-1(key + GUID)).
    public static func acceptValue(forKey key: String) -> String {
        Data(SHA1.digest(Array((key + guid).utf8))).base64EncodedString()
    }

    /// A fresh Sec-WebSocket-Key: sixteen random bytes, base64.
    public static func makeKey(using random: inout some RandomNumberGenerator) -> String {
        var bytes: [UInt8] = []
        for _ in 0..<2 {
            let word = random.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// The GET request that asks for the upgrade. `extraHeaders` go after ours, in order.
    public static func request(url: TransportURL, key: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        var text = "GET \(url.target) HTTP/1.1\r\n"
        text += "Host: \(url.hostHeader)\r\n"
        text += "Upgrade: websocket\r\n"
        text += "Connection: Upgrade\r\n"
        text += "Sec-WebSocket-Key: \(key)\r\n"
        text += "Sec-WebSocket-Version: 13\r\n"
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }

    /// A parsed 101 response and the bytes that followed its header block (the first frames, if the server
    /// sent them in the same segment).
    public struct Response: Equatable, Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var remainder: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        public static func == (a: Response, b: Response) -> Bool {
            a.status == b.status && a.remainder == b.remainder && a.headers.map { "\($0.name):\($0.value)" } == b.headers.map { "\($0.name):\($0.value)" }
        }
    }

    /// Parses the server's answer once `buffer` holds the whole header block; nil while it is incomplete.
    /// Throws unless it is a valid 101 with the upgrade headers and the expected accept value.
    public static func parseResponse(_ buffer: [UInt8], expectedAccept: String) throws(TransportError) -> Response? {
        guard let end = headerEnd(buffer) else {
            if buffer.count > maxResponseHeaderBytes { throw .badHandshakeResponse(reason: "no end of headers within \(maxResponseHeaderBytes) bytes") }
            return nil
        }
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw .badHandshakeResponse(reason: "bad status line: \(statusLine.prefix(80))")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw .badHandshakeResponse(reason: "bad header line: \(line.prefix(80))") }
            headers.append((String(line[..<colon]).trimmingCharacters(in: .whitespaces), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
        }
        let response = Response(status: status, headers: headers, remainder: Array(buffer[(end + 4)...]))
        guard status == 101 else { throw .handshakeRejected(status: status) }
        guard response.header("Upgrade")?.lowercased() == "websocket" else {
            throw .badHandshakeResponse(reason: "missing Upgrade: websocket")
        }
        let connectionTokens = (response.header("Connection") ?? "").lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard connectionTokens.contains("upgrade") else { throw .badHandshakeResponse(reason: "missing Connection: Upgrade") }
        let accept = response.header("Sec-WebSocket-Accept")
        guard accept == expectedAccept else { throw .badAccept(expected: expectedAccept, received: accept) }
        return response
    }

    /// Index of the "\r\n\r\n" that ends the header block.
    static func headerEnd(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}
