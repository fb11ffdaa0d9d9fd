import Foundation
import Live
import LoopbackPeers
import TestSupport
import Testing

/// The REST client against a keep-alive HTTP server on 127.0.0.1.
@Suite struct CurlRestClientTests {
    @Test func keepsStatusHeadersAndBody() throws {
        let server = try LoopbackHTTPServer { request in
            LoopbackHTTPResponse(status: 200, headers: [("X-MBX-USED-WEIGHT-1M", "17"), ("Content-Type", "application/json")],
                body: Array("{\"lastUpdateId\":1}".utf8))
        }
        defer { server.stop() }
        let client = try CurlRestClient()
        let response = try client.get(server.url("/api/v3/depth?symbol=BTCUSDT&limit=5"), headers: [("X-Request-Id", "abc")])
        #expect(response.status == 200)
        #expect(response.body == Array("{\"lastUpdateId\":1}".utf8))
        #expect(response.usedWeightPerMinute == 17)
        #expect(response.header("content-type") == "application/json")
        let request = try #require(server.requests.first)
        #expect(request.head.target == "/api/v3/depth?symbol=BTCUSDT&limit=5")
        #expect(request.head.header("X-Request-Id") == "abc")
        #expect(request.head.header("Accept-Encoding")?.contains("gzip") == true)
    }

    @Test func errorStatusesAreResponsesWithRetryAfter() throws {
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPResponse(status: 429, headers: [("Retry-After", "7"), ("X-MBX-USED-WEIGHT-1M", "1200")], body: Array("{\"code\":-1003}".utf8))
        }
        defer { server.stop() }
        let response = try CurlRestClient().get(server.url("/api/v3/depth"))
        #expect(response.status == 429)
        #expect(response.retryAfterSeconds == 7)
        #expect(response.header("Retry-After") == "7")
        #expect(response.usedWeightPerMinute == 1200)
        #expect(response.body == Array("{\"code\":-1003}".utf8))
    }

    @Test func gzipBodiesArriveDecoded() throws {
        let json = Array(("{\"bids\":[" + (0..<500).map { "[\"\($0).5\",\"1.0\"]" }.joined(separator: ",") + "]}").utf8)
        let gzip = try TestEnvironment.run(URL(fileURLWithPath: "/bin/gzip"), ["-c"], stdin: Data(json))
        try #require(gzip.status == 0)
        let compressed = Array(gzip.stdout)
        #expect(compressed.count < json.count / 3)
        let server = try LoopbackHTTPServer { request in
            guard request.header("Accept-Encoding")?.contains("gzip") == true else { return LoopbackHTTPResponse(body: json) }
            return LoopbackHTTPResponse(headers: [("Content-Encoding", "gzip")], body: compressed)
        }
        defer { server.stop() }
        let response = try CurlRestClient().get(server.url("/depth"))
        #expect(response.body == json)
        #expect(response.header("Content-Encoding") == "gzip")
        #expect(response.header("Content-Length") == "\(compressed.count)")
        let plain = try CurlRestClient(options: .init(compression: false)).get(server.url("/depth"))
        #expect(plain.body == json)
        #expect(plain.header("Content-Encoding") == nil)
    }

    @Test func slowServerIsATypedTimeout() throws {
        let server = try LoopbackHTTPServer { _ in LoopbackHTTPResponse(body: [1], delayMilliseconds: 1_500) }
        defer { server.stop() }
        let client = try CurlRestClient()
        let url = server.url("/slow")
        #expect(throws: TransportError.timeout(operation: "GET \(url)", milliseconds: 200)) {
            try client.get(url, timeoutMilliseconds: 200)
        }
    }

    @Test func oneHandleReusesItsConnection() throws {
        let server = try LoopbackHTTPServer { request in LoopbackHTTPResponse(body: Array(request.target.utf8)) }
        defer { server.stop() }
        let client = try CurlRestClient()
        let first = try client.get(server.url("/a"))
        let second = try client.get(server.url("/b"))
        let third = try client.get(server.url("/c"))
        #expect(first.newConnections == 1)
        #expect(second.newConnections == 0 && third.newConnections == 0)
        #expect(third.body == Array("/c".utf8))
        #expect(server.requests.map(\.connectionNumber) == [0, 0, 0])
    }

    @Test func serverCanListenOnAChosenPort() throws {
        let port = try LoopbackListener.freePort()
        let server = try LoopbackHTTPServer(port: port) { _ in LoopbackHTTPResponse(body: Array("fixed".utf8)) }
        defer { server.stop() }
        #expect(server.port == port)
        #expect(try CurlRestClient().get("http://127.0.0.1:\(port)/").body == Array("fixed".utf8))
    }

    @Test func bodyLimitAndRefusedConnectionAreTyped() throws {
        let server = try LoopbackHTTPServer { _ in LoopbackHTTPResponse(body: [UInt8](repeating: 0x41, count: 10_000)) }
        defer { server.stop() }
        let url = server.url("/big")
        #expect(throws: TransportError.responseTooLarge(url: url, limit: 1_000)) {
            try CurlRestClient(options: .init(maxBodyBytes: 1_000)).get(url)
        }
        let port = try LoopbackListener.freePort()
        #expect {
            _ = try CurlRestClient().get("http://127.0.0.1:\(port)/")
        } throws: { error in
            if case .requestFailed(_, let code, _)? = error as? TransportError { return code == 7 }
            return false
        }
        #expect(throws: TransportError.invalidURL("ws://127.0.0.1/")) { try CurlRestClient().get("ws://127.0.0.1/") }
    }
}
