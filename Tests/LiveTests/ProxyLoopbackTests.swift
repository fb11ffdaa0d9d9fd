import Foundation
import Live
import LoopbackPeers
import Model
import TestSupport
import Testing

/// Both clients through real proxies from Debian's packages, started on loopback by the test: tinyproxy
/// (HTTP CONNECT) and dante (SOCKS5). A proxied socket is connected to the proxy's port and the server sees
/// the proxy's outgoing port, not ours.
@Suite struct ProxyLoopbackTests {
    private func options(proxy: ProxyConfiguration?, tls: TLSOptions = .systemTrust) -> CurlWebSocket.Options {
        CurlWebSocket.Options(connectTimeoutMilliseconds: 5_000, handshakeTimeoutMilliseconds: 5_000, tls: tls, proxy: proxy, random: SeededRandom(seed: 11))
    }

    private func echoThrough(_ proxy: ProxyConfiguration, url: String, tls: TLSOptions = .systemTrust, server: LoopbackWebSocketServer) throws {
        let socket = try CurlWebSocket(url: url, options: options(proxy: proxy, tls: tls))
        #expect(socket.connectedPort == proxy.port)
        try socket.send(text: "via \(proxy.kind)")
        #expect(try socket.receive(timeoutMilliseconds: 5_000) == .text(Array("via \(proxy.kind)".utf8)))
        #expect(server.peerPorts.count == 1)
        #expect(!server.peerPorts.contains(socket.localPort))
        socket.close()
    }

    @Test(.enabled(if: ProxyProcess.tinyproxyAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
    func websocketThroughHTTPConnect() throws {
        let proxy = try ProxyProcess(.tinyproxy)
        defer { proxy.stop() }
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        try echoThrough(ProxyConfiguration(kind: .http, host: "127.0.0.1", port: proxy.port), url: server.url(), server: server)
        #expect(proxy.log.contains("CONNECT 127.0.0.1:\(server.port)"))
    }

    @Test(.enabled(if: ProxyProcess.tinyproxyAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
    func secureWebsocketThroughHTTPConnectFromTheEnvironment() throws {
        let proxy = try ProxyProcess(.tinyproxy)
        defer { proxy.stop() }
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { server.stop() }
        let policy = ProxyPolicy(environment: ["https_proxy": "http://127.0.0.1:\(proxy.port)", "http_proxy": "http://127.0.0.1:1"])
        let resolved = try #require(try policy.proxy(for: TransportURL(server.url())))
        try echoThrough(resolved, url: server.url(), tls: .trusting(caFile: certificate.certificateFile), server: server)
        #expect(proxy.log.contains("CONNECT localhost:\(server.port)"))
    }

    @Test(.enabled(if: ProxyProcess.danteAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
    func websocketThroughSOCKS5AndSOCKS5h() throws {
        let proxy = try ProxyProcess(.dante)
        defer { proxy.stop() }
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        try echoThrough(ProxyConfiguration(kind: .socks5, host: "127.0.0.1", port: proxy.port), url: server.url(), server: server)
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let secure = try LoopbackWebSocketServer(tls: certificate.tlsContext())
        defer { secure.stop() }
        // socks5h: the proxy resolves "localhost"; TLS still verifies the name end to end.
        try echoThrough(ProxyConfiguration(kind: .socks5h, host: "127.0.0.1", port: proxy.port), url: secure.url(),
            tls: .trusting(caFile: certificate.certificateFile), server: secure)
    }

    @Test(.enabled(if: ProxyProcess.tinyproxyAvailable && ProxyProcess.danteAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
    func restThroughBothProxies() throws {
        let tinyproxy = try ProxyProcess(.tinyproxy)
        defer { tinyproxy.stop() }
        let dante = try ProxyProcess(.dante)
        defer { dante.stop() }
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let server = try LoopbackHTTPServer(tls: certificate.tlsContext()) { request in
            LoopbackHTTPResponse(headers: [("Retry-After", "3")], body: Array(request.target.utf8))
        }
        defer { server.stop() }
        for environment in [["https_proxy": "http://127.0.0.1:\(tinyproxy.port)"], ["ALL_PROXY": "socks5h://127.0.0.1:\(dante.port)"]] {
            let client = try CurlRestClient(options: .init(tls: .trusting(caFile: certificate.certificateFile), proxyPolicy: ProxyPolicy(environment: environment)))
            let response = try client.get(server.url("/api/v5/market/books?instId=BTC-USDT"))
            #expect(response.status == 200)
            #expect(response.retryAfterSeconds == 3, "the proxy's CONNECT reply headers are not mixed in")
            #expect(response.body == Array("/api/v5/market/books?instId=BTC-USDT".utf8))
        }
        #expect(tinyproxy.log.contains("CONNECT localhost:\(server.port)"))
        #expect(server.requests.count == 2)
    }

    @Test(.enabled(if: ProxyProcess.tinyproxyAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
    func proxyCredentialsFromTheURLAreSent() throws {
        let proxy = try ProxyProcess(.tinyproxy, basicAuth: ("feed", "s3cret"))
        defer { proxy.stop() }
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        try echoThrough(try ProxyConfiguration(parsing: "http://feed:s3cret@127.0.0.1:\(proxy.port)"), url: server.url(), server: server)
        for url in ["http://127.0.0.1:\(proxy.port)", "http://feed:wrong@127.0.0.1:\(proxy.port)"] {
            #expect {
                _ = try CurlWebSocket(url: server.url(), options: options(proxy: try ProxyConfiguration(parsing: url)))
            } throws: { error in
                if case .proxyFailed? = error as? TransportError { return true }
                return false
            }
        }
        #expect(server.peerPorts.count == 1, "only the authenticated tunnel reached the server")
    }

    @Test func deadProxyIsProxyFailedAndNoProxyBypassesIt() throws {
        let deadPort = try LoopbackListener.freePort()
        let server = try LoopbackWebSocketServer()
        defer { server.stop() }
        for kind in [ProxyConfiguration.Kind.http, .socks5h] {
            let proxy = ProxyConfiguration(kind: kind, host: "127.0.0.1", port: deadPort)
            #expect {
                _ = try CurlWebSocket(url: server.url(), options: options(proxy: proxy))
            } throws: { error in
                if case .proxyFailed(let named, _, _)? = error as? TransportError { return named == proxy.curlProxyURL }
                return false
            }
        }
        let bypass = ProxyPolicy(environment: ["ALL_PROXY": "socks5h://127.0.0.1:\(deadPort)", "no_proxy": "localhost,127.0.0.1"])
        let socket = try CurlWebSocket(url: server.url(), options: options(proxy: try bypass.proxy(for: TransportURL(server.url()))))
        #expect(socket.connectedPort == server.port)
        socket.close()
    }
}
