import Live
import LoopbackPeers
import Model
import Testing

@Suite struct SHA1AndHandshakeTests {
    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    @Test func sha1MatchesFIPSVectors() {
        #expect(hex(SHA1.digest([UInt8]())) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "84983e441c3bd26ebaae4aa1f95129e5e54670f1")
        #expect(hex(SHA1.digest([UInt8](repeating: 0x61, count: 1_000_000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
    }

    @Test func sha1AgreesWithOpenSSLAcrossPaddingBoundaries() {
        // Lengths 0...130 cover every padding case (55/56/63/64 bytes); OpenSSL computes the same accept value.
        var random = SeededRandom(seed: 7)
        for length in 0...130 {
            let key = String((0..<length).map { _ in Character(UnicodeScalar(UInt8(0x21 + random.next() % 90))) })
            #expect(WebSocketHandshake.acceptValue(forKey: key) == LoopbackWebSocketServer.acceptValue(key: key), "length \(length)")
        }
    }

    @Test func acceptValueOfTheRFC6455Example() {
        #expect(WebSocketHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func requestIsAnHTTP11UpgradeWithHostPort() throws {
        let url = try TransportURL("wss://stream.example.com:9443/ws/btcusdt@trade?x=1")
        let text = String(decoding: WebSocketHandshake.request(url: url, key: "KEY==", extraHeaders: [("Origin", "o")]), as: UTF8.self)
        #expect(text == "GET /ws/btcusdt@trade?x=1 HTTP/1.1\r\nHost: stream.example.com:9443\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: KEY==\r\nSec-WebSocket-Version: 13\r\nOrigin: o\r\n\r\n")
        let plain = try TransportURL("ws://h")
        #expect(String(decoding: WebSocketHandshake.request(url: plain, key: "K"), as: UTF8.self).hasPrefix("GET / HTTP/1.1\r\nHost: h\r\n"))
    }

    @Test func keysAreSixteenRandomBytesInBase64() {
        var a = SeededRandom(seed: 1), b = SeededRandom(seed: 1), c = SeededRandom(seed: 2)
        let key = WebSocketHandshake.makeKey(using: &a)
        #expect(key.count == 24 && key.hasSuffix("=="))
        #expect(key == WebSocketHandshake.makeKey(using: &b))
        #expect(key != WebSocketHandshake.makeKey(using: &c))
    }

    private let accept = WebSocketHandshake.acceptValue(forKey: "k")
    private func response(_ head: String, then extra: [UInt8] = []) -> [UInt8] { Array(head.utf8) + extra }

    @Test func responseIsParsedOnceCompleteAndKeepsTheBytesAfterIt() throws {
        let full = response("HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n", then: [0x81, 0x02, 0x68, 0x69])
        for cut in 0..<(full.count - 4) {
            #expect(try WebSocketHandshake.parseResponse(Array(full[0..<cut]), expectedAccept: accept) == nil)
        }
        let parsed = try #require(try WebSocketHandshake.parseResponse(full, expectedAccept: accept))
        #expect(parsed.status == 101)
        #expect(parsed.header("sec-websocket-accept") == accept)
        #expect(parsed.remainder == [0x81, 0x02, 0x68, 0x69])
    }

    @Test func badResponsesAreTypedErrors() {
        #expect(throws: TransportError.handshakeRejected(status: 403)) {
            try WebSocketHandshake.parseResponse(response("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"), expectedAccept: accept)
        }
        #expect(throws: TransportError.badAccept(expected: accept, received: "nope")) {
            try WebSocketHandshake.parseResponse(response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: nope\r\n\r\n"), expectedAccept: accept)
        }
        #expect(throws: TransportError.badAccept(expected: accept, received: nil)) {
            try WebSocketHandshake.parseResponse(response("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"), expectedAccept: accept)
        }
        #expect(throws: TransportError.badHandshakeResponse(reason: "missing Upgrade: websocket")) {
            try WebSocketHandshake.parseResponse(response("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n\r\n"), expectedAccept: accept)
        }
        #expect(throws: TransportError.self) {
            try WebSocketHandshake.parseResponse(response("SSH-2.0-OpenSSH\r\n\r\n"), expectedAccept: accept)
        }
        #expect(throws: TransportError.self) {
            try WebSocketHandshake.parseResponse([UInt8](repeating: 0x41, count: WebSocketHandshake.maxResponseHeaderBytes + 1), expectedAccept: accept)
        }
    }

    @Test func urlsParseWithDefaultsAndCurlTranslation() throws {
        let u = try TransportURL("wss://Stream.Binance.com/ws")
        #expect(u.host == "stream.binance.com" && u.port == 443 && u.target == "/ws" && u.hostHeader == "stream.binance.com")
        #expect(u.curlURL == "https://stream.binance.com:443/ws")
        let v = try TransportURL("ws://[::1]:8080?a=b")
        #expect(v.host == "::1" && v.port == 8080 && v.target == "/?a=b" && v.hostHeader == "[::1]:8080")
        #expect(throws: TransportError.invalidURL("ftp://x")) { try TransportURL("ftp://x") }
        #expect(throws: TransportError.invalidURL("ws://h:99999/")) { try TransportURL("ws://h:99999/") }
        #expect(throws: TransportError.invalidURL("no scheme")) { try TransportURL("no scheme") }
    }
}
