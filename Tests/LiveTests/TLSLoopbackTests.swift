import Foundation
import Live
import LoopbackPeers
import Model
import TestSupport
import Testing

/// wss and https against loopback peers with a self-signed certificate made for the test: verification
/// stays on and trusts only that certificate.
@Suite struct TLSLoopbackTests {
    private func options(_ tls: TLSOptions) -> CurlWebSocket.Options {
        CurlWebSocket.Options(connectTimeoutMilliseconds: 5_000, handshakeTimeoutMilliseconds: 5_000, tls: tls, random: SeededRandom(seed: 5))
    }

    @Test func wssVerifiesAgainstTheGivenCAAndEchoesLargeMessages() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options(.trusting(caFile: certificate.certificateFile)))
        #expect(server.requests.first?.header("Host") == "localhost:\(server.port)")
        try socket.send(text: "over tls")
        #expect(try socket.receive(timeoutMilliseconds: 5_000) == .text(Array("over tls".utf8)))
        // Many TLS records per message: the receive path must drain libcurl before polling the socket.
        let blob = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        for _ in 0..<3 { try socket.send(binary: blob, fragmentSize: 50_000) }
        for _ in 0..<3 { #expect(try socket.receive(timeoutMilliseconds: 10_000) == .binary(blob)) }
        socket.close()
        #expect(socket.state == .closed(code: 1000, reason: "", clean: true))
    }

    @Test func websocketOffersNoALPNWhileRESTMayNegotiateH2() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let context = try certificate.tlsContext()
        let server = try LoopbackWebSocketServer(tls: context)
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options(.trusting(caFile: certificate.certificateFile)))
        socket.close()
        #expect(context.offeredALPN.isEmpty, "an h2 answer would make the HTTP/1.1 upgrade impossible")
        // The REST client, on the same TLS context, is free to offer h2 (and falls back to HTTP/1.1 here).
        let rest = try LoopbackHTTPServer(tls: context) { _ in LoopbackHTTPResponse(body: [1]) }
        defer { rest.stop() }
        let response = try CurlRestClient(options: .init(tls: .trusting(caFile: certificate.certificateFile))).get(rest.url("/"))
        #expect(response.status == 200)
        #expect(context.offeredALPN.first?.contains("h2") == true)
    }

    @Test func verificationFailsWithoutTheCA() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { server.stop() }
        #expect {
            _ = try CurlWebSocket(url: server.url(), options: options(.systemTrust))
        } throws: { error in
            if case .tlsFailed(_, let code, _)? = error as? TransportError { return code == 60 }  // CURLE_PEER_FAILED_VERIFICATION
            return false
        }
        #expect(server.requests.isEmpty, "no upgrade request leaves an unverified connection")
    }

    @Test func hostNameMustMatchEvenWithATrustedCertificate() throws {
        let certificate = try TestCertificate.make(subjectAltName: "DNS:other.example")
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { server.stop() }
        #expect {
            _ = try CurlWebSocket(url: server.url(), options: options(.trusting(caFile: certificate.certificateFile)))
        } throws: { error in
            if case .tlsFailed? = error as? TransportError { return true }
            return false
        }
    }

    @Test func insecureModeSkipsVerification() throws {
        let certificate = try TestCertificate.make(subjectAltName: "DNS:other.example")
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { server.stop() }
        let socket = try CurlWebSocket(url: server.url(), options: options(.insecure))
        try socket.send(text: "x")
        #expect(try socket.receive(timeoutMilliseconds: 5_000) == .text([0x78]))
        socket.close()
    }

    @Test func httpsRESTVerifiesAgainstTheGivenCA() throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackHTTPServer(tls: certificate.tlsContext()) { _ in LoopbackHTTPResponse(body: Array("{\"ok\":true}".utf8)) }
        defer { server.stop() }
        let client = try CurlRestClient(options: .init(tls: .trusting(caFile: certificate.certificateFile)))
        let response = try client.get(server.url("/api/v3/time"))
        #expect(response.status == 200 && response.body == Array("{\"ok\":true}".utf8))
        let untrusting = try CurlRestClient()
        #expect {
            _ = try untrusting.get(server.url("/api/v3/time"))
        } throws: { error in
            if case .tlsFailed? = error as? TransportError { return true }
            return false
        }
    }
}
