import Foundation
import Live
import LoopbackPeers
import Testing
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// `collect` against `serve` through real proxies from Debian's packages: tinyproxy (HTTP CONNECT)
/// set per venue in the YAML, tinyproxy from `https_proxy` for a TLS serve, and dante (SOCKS5h) from
/// `ALL_PROXY` in the environment. The proxy's
/// log shows the tunnel to serve, and what the collector publishes equals the direct run's output.
@Suite(.serialized, .enabled(if: ProxyProcess.tinyproxyAvailable && ProxyProcess.danteAvailable, Comment(rawValue: ProxyProcess.missingMessage)))
struct ProxyCollectorTests {
    static let okx = TestEnvironment.packageRoot.appendingPathComponent("recordings/okx.mprec").path
    static let binance = TestEnvironment.packageRoot.appendingPathComponent("recordings/binance-spot.mprec").path

    /// One `collect` run against a fresh `serve` (over TLS as `localhost` with `certificate`); returns
    /// the published messages (NDJSON sink), read once both feeds' frame counts have stopped moving.
    func run(
        _ label: String, proxy: String?, environment: [String: String], directory: URL, certificate: TestCertificate? = nil
    ) throws -> (lines: [String], servePort: Int) {
        let logs = directory.appendingPathComponent(label)
        for side in ["serve", "collect"] {
            try FileManager.default.createDirectory(at: logs.appendingPathComponent(side), withIntermediateDirectories: true)
        }
        let servePort = try LoopbackListener.freePort()
        var serveArguments = ["serve", Self.okx, Self.binance, "--port", "\(servePort)", "--speed", "20x"]
        if let certificate { serveArguments += ["--tls-cert", certificate.certificateFile, "--tls-key", certificate.keyFile] }
        let serve = try BackgroundMarketPrism(serveArguments, directory: logs.appendingPathComponent("serve"))
        defer {
            serve.signal(SIGTERM)
            _ = serve.waitForExit()
        }
        #expect(waitUntil(seconds: 30) { canConnect(port: servePort) }, "\(serve.stderr)")
        let apiPort = try LoopbackListener.freePort()
        let output = directory.appendingPathComponent("\(label).ndjson").path
        var proxyLine = proxy.map { "    proxy: \($0)\n" } ?? ""
        if let certificate { proxyLine += "    ca_file: \(certificate.certificateFile)\n" }
        let (ws, http, host) = certificate == nil ? ("ws", "http", "127.0.0.1") : ("wss", "https", "localhost")
        let config = """
            venues:
              - exchange: okx
                channels: [book, trades]
                symbols: [BTC-USDT, BTC-USDT-SWAP]
                websocket_url: \(ws)://\(host):\(servePort)/okx
                rest_url: \(http)://\(host):\(servePort)
            \(proxyLine)  - exchange: binance
                channels: [book, trades]
                symbols: [BTCUSDT, ETHUSDT]
                websocket_url: \(ws)://\(host):\(servePort)/binance
                rest_url: \(http)://\(host):\(servePort)
            \(proxyLine)publisher:
              sink: ndjson
              ndjson_path: \(output)
            api:
              port: \(apiPort)
            """
        let configPath = directory.appendingPathComponent("\(label).yaml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let collect = try BackgroundMarketPrism(
            ["collect", "--config", configPath, "--log-level", "warning"], directory: logs.appendingPathComponent("collect"),
            environment: environment)
        #expect(try waitForSteadyFrames(apiPort: apiPort, feeds: 2), "\(label): collect: \(collect.stderr)\nserve: \(serve.stderr)")
        collect.signal(SIGTERM)
        #expect(collect.waitForExit() == 0, "\(collect.stderr)")
        return (try CanonicalLines.read(output), servePort)
    }

    /// Trades of both venues and OKX books equal; Binance books equal from the first book both runs
    /// have (the REST snapshot's timing decides where a live Binance book starts).
    func expectSameMarket(_ proxied: [String], _ direct: [String], _ label: String) throws {
        for prefix in ["market.okx.", "market.binance."] {
            let mine = { (lines: [String]) in lines.filter { CanonicalLines.subject($0).hasPrefix(prefix) } }
            #expect(firstDifference(CanonicalLines.messages(mine(proxied), kind: "trade"), CanonicalLines.messages(mine(direct), kind: "trade")) == nil,
                    "\(label) \(prefix) trades")
        }
        let okxBooks = { (lines: [String]) in CanonicalLines.messages(lines, kind: "orderbook").filter { CanonicalLines.subject($0).hasPrefix("market.okx.") } }
        #expect(!okxBooks(direct).isEmpty)
        #expect(firstDifference(okxBooks(proxied), okxBooks(direct)) == nil, "\(label) okx books")
        for symbol in ["BTC-USDT", "ETH-USDT"] {
            let books = { (lines: [String]) in
                CanonicalLines.messages(lines, kind: "orderbook").filter { CanonicalLines.subject($0) == "market.binance.\(symbol).orderbook" }
                    .map(CanonicalLines.withoutTimestamps)
            }
            let a = books(proxied), b = books(direct)
            let ids = Set(b.map(CanonicalLines.id))
            let first = try #require(a.firstIndex { ids.contains(CanonicalLines.id($0)) }, "\(label) \(symbol): no common book")
            let tail = Array(a[first...])
            // The proxy slows the REST snapshot a little, so the first few books may start elsewhere.
            #expect(tail.count > a.count / 2, "\(label) \(symbol): only \(tail.count) of \(a.count) books in common")
            #expect(firstDifference(tail, Array(b.drop { CanonicalLines.id($0) != CanonicalLines.id(tail[0]) }).prefix(tail.count).map { $0 })
                        == nil, "\(label) binance \(symbol)")
        }
    }

    @Test func collectThroughTinyproxyFromTheConfigAndDanteFromTheEnvironment() throws {
        let directory = try TestEnvironment.temporaryDirectory("collector-proxy")
        // Only what the child needs: no proxy variables of the machine leak into the direct run.
        var base = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
        base["HOME"] = ProcessInfo.processInfo.environment["HOME"]
        let direct = try run("direct", proxy: nil, environment: base, directory: directory).lines
        #expect(direct.count > 1_000)

        let tinyproxy = try ProxyProcess(.tinyproxy)
        defer { tinyproxy.stop() }
        // The per-venue setting wins over an environment proxy that leads nowhere.
        var deadEnvironment = base
        deadEnvironment["ALL_PROXY"] = "socks5h://127.0.0.1:1"
        let (viaHTTP, httpServe) = try run("tinyproxy", proxy: "http://127.0.0.1:\(tinyproxy.port)", environment: deadEnvironment, directory: directory)
        let log = tinyproxy.log.components(separatedBy: "\n")
        // Both websockets were tunnelled (CONNECT); Binance's plain-http snapshots went as proxy requests.
        #expect(log.filter { $0.contains("CONNECT 127.0.0.1:\(httpServe) ") }.count >= 2, "\(log.filter { $0.contains("127.0.0.1") })")
        #expect(log.contains { $0.contains("GET http://127.0.0.1:\(httpServe)/api/v3/depth?symbol=") }, "\(log.filter { $0.contains("127.0.0.1") })")
        try expectSameMarket(viaHTTP, direct, "tinyproxy")

        // wss and https to a TLS serve take `https_proxy` from the environment (and `http_proxy`, to nowhere, is
        // not theirs): everything, snapshots included, is tunnelled, and TLS still verifies the name end to end.
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        var httpsEnvironment = base
        httpsEnvironment["https_proxy"] = "http://127.0.0.1:\(tinyproxy.port)"
        httpsEnvironment["http_proxy"] = "http://127.0.0.1:1"
        let (viaHTTPS, httpsServe) = try run("tinyproxy-tls", proxy: nil, environment: httpsEnvironment, directory: directory, certificate: certificate)
        let tlsTunnels = tinyproxy.log.components(separatedBy: "\n").filter { $0.contains("CONNECT localhost:\(httpsServe) ") }
        #expect(tlsTunnels.count >= 3, "\(tinyproxy.log.components(separatedBy: "\n").filter { $0.contains("localhost") })")
        try expectSameMarket(viaHTTPS, direct, "tinyproxy over TLS")
        tinyproxy.stop()

        let dante = try ProxyProcess(.dante)
        defer { dante.stop() }
        var socksEnvironment = base
        socksEnvironment["ALL_PROXY"] = "socks5h://127.0.0.1:\(dante.port)"
        let (viaSOCKS, socksServe) = try run("dante", proxy: nil, environment: socksEnvironment, directory: directory)
        let tunnels = dante.log.components(separatedBy: "\n").filter { $0.contains("connect") && $0.contains("127.0.0.1.\(socksServe)") }
        #expect(tunnels.count >= 3, "both websockets and the snapshots' connection: \(dante.log)")
        try expectSameMarket(viaSOCKS, direct, "dante")
    }
}
