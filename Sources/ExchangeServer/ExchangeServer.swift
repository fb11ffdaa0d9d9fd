import Foundation
import LoopbackPeers
import Model
import Simulation
import Stack

/// The simulated exchange over real sockets: each recording's venue websocket and REST endpoints on one
/// 127.0.0.1 port (optionally TLS), frames byte-identical to the recording, paced in real time or faster,
/// with scenario faults applied on the sockets. Layout and behaviour: docs/serve.md.
///
///     let server = try ExchangeServer(configuration: .init(recordings: ["okx.mprec"], speed: .max))
///     try server.start()
///     server.endpoints[0].websocketURL   // ws://127.0.0.1:PORT/okx/ws/v5/public
///     server.stop()
public final class ExchangeServer: @unchecked Sendable {
    public let configuration: ExchangeServerConfiguration
    private let markets: [VenueMarket]
    private let faults: SharedFaults
    private var listener: LoopbackListener?
    private var tls: LoopbackTLSContext?
    private let lock = NSLock()
    private var stopped = false
    private var connectionCount = 0

    /// Loads the recordings and checks the faults; `start()` opens the port.
    public init(configuration: ExchangeServerConfiguration) throws(ExchangeServerError) {
        self.configuration = configuration
        guard !configuration.recordings.isEmpty else { throw .noRecordings }
        // A venue's recordings (rotated segments, or files of different instruments) make one market.
        var byVenue: [(venue: Venue, parts: [ServedRecording])] = []
        for path in configuration.recordings {
            let recording = try ServedRecording.load(path: path)
            if let i = byVenue.firstIndex(where: { $0.venue == recording.venue }) {
                byVenue[i].parts.append(recording)
            } else {
                byVenue.append((recording.venue, [recording]))
            }
        }
        var loaded: [ServedRecording] = []
        for group in byVenue { loaded.append(try ServedRecording.merged(group.parts)) }
        markets = loaded.map { VenueMarket(recording: $0, speed: configuration.speed, loop: configuration.loop) }
        faults = SharedFaults(plan: try FaultPlan(faults: configuration.faults))
    }

    /// Listens on 127.0.0.1 (the configured port, or a free one).
    public func start() throws(ExchangeServerError) {
        if let certificate = configuration.tlsCertificateFile {
            guard let key = configuration.tlsKeyFile else { throw .tls("a certificate needs its key (--tls-key)") }
            do { tls = try LoopbackTLSContext(certificateFile: certificate, keyFile: key) } catch { throw .tls("\(error)") }
        }
        do {
            listener = try LoopbackListener(port: configuration.port, tls: tls) { [weak self] connection in
                self?.serve(connection)
            }
        } catch {
            throw .socket("cannot listen on 127.0.0.1:\(configuration.port): \(error)")
        }
    }

    /// The port listened on (0 before `start()`).
    public var port: Int { listener?.port ?? 0 }

    public var isTLS: Bool { configuration.tlsCertificateFile != nil }

    /// One entry per served venue, in the order the recordings were given.
    public var endpoints: [ServedEndpoint] {
        let host = "\(configuration.advertisedHost):\(port)"
        return markets.map { market in
            let feed = market.recording.feed
            let upstream = AnyVenueAdapter(subscription: feed.subscription, catalog: feed.catalog).websocketURL
            var query = ""
            if let q = upstream.firstIndex(of: "?") { query = String(upstream[q...]) }
            return ServedEndpoint(
                venue: market.venue.rawValue,
                websocketURL: (isTLS ? "wss://" : "ws://") + host + ServedPaths.webSocketPath(market.venue) + query,
                restBaseURL: (isTLS ? "https://" : "http://") + host, recording: market.recording.paths.joined(separator: ","),
                frames: market.recording.frameCount)
        }
    }

    public func endpoint(_ venue: Venue) -> ServedEndpoint? { endpoints.first { $0.venue == venue.rawValue } }

    /// Snapshots synthesized from the truth book so far (REST and in-stream), over all venues.
    public var snapshotsSynthesized: Int { markets.reduce(0) { $0 + $1.snapshotsSynthesized } }

    /// Stops listening and ends every connection (open websockets get close 1001).
    public func stop() {
        lock.lock()
        stopped = true
        lock.unlock()
        listener?.stop()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    // MARK: - Connections

    private func serve(_ connection: LoopbackConnection) {
        let reader = LoopbackReader(connection)
        while let block = reader.readHeaderBlock(), let request = LoopbackHTTPRequestHead(block) {
            if request.header("Upgrade")?.lowercased() == "websocket" {
                upgrade(request, reader: reader)
                return
            }
            if let length = request.header("Content-Length").flatMap(Int.init), length > 0 {
                guard reader.readExactly(length) != nil else { return }
            }
            var answer = rest(request)
            if answer.holdNs > 0 {
                let until = MonotonicClock.now() + answer.holdNs
                while MonotonicClock.now() < until && !isStopped {
                    if connection.waitReadable(timeoutMilliseconds: 100) && connection.read().isEmpty { return }
                }
                return
            }
            answer.headers.insert(("Content-Type", "application/json"), at: 0)
            var head = "HTTP/1.1 \(answer.status) \(Self.reason(answer.status))\r\nContent-Length: \(answer.body.count)\r\n"
            for (name, value) in answer.headers { head += "\(name): \(value)\r\n" }
            head += "\r\n"
            guard connection.write(Array(head.utf8) + answer.body) else { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private func rest(_ request: LoopbackHTTPRequestHead) -> RestAnswer {
        let path = String(request.target.prefix { $0 != "?" })
        guard request.method == "GET" || request.method == "HEAD" else {
            return RestAnswer(status: 405, headers: [], body: Array(#"{"code":-1,"msg":"only GET is served"}"#.utf8))
        }
        guard let venue = ServedPaths.restVenue(path: path), let market = markets.first(where: { $0.venue == venue }) else {
            return .notFound(request.target)
        }
        let now = MonotonicClock.now()
        if let f = faults.take([.rest429, .rest418, .rest5xx, .restTimeout], nowNs: now) {
            switch f.kind {
            case .restTimeout:
                return RestAnswer(status: 0, headers: [], body: [], holdNs: 120_000_000_000)
            case .rest429, .rest418:
                let retry = max(1, (f.delay ?? 1_000_000_000) / 1_000_000_000)
                return RestAnswer(status: f.kind == .rest429 ? 429 : 418, headers: [("Retry-After", "\(retry)")], body: Array(#"{"code":-1003,"msg":"Too many requests (fault)"}"#.utf8))
            default:
                return RestAnswer(status: f.code ?? 503, headers: [], body: Array(#"{"code":-1,"msg":"server error (fault)"}"#.utf8))
            }
        }
        return market.rest(target: request.target, nowNs: now)
    }

    private func upgrade(_ request: LoopbackHTTPRequestHead, reader: LoopbackReader) {
        let connection = reader.connection
        let path = String(request.target.prefix { $0 != "?" })
        guard let key = request.header("Sec-WebSocket-Key"), request.header("Sec-WebSocket-Version") == "13",
            let route = ServedPaths.webSocketRoute(path: path, served: markets.map(\.venue)),
            let market = markets.first(where: { $0.venue == route.venue })
        else {
            let body = "no websocket endpoint at \(path); served: \(endpoints.map(\.websocketURL).joined(separator: " "))"
            connection.write(Array("HTTP/1.1 404 Not Found\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)".utf8))
            return
        }
        let now = MonotonicClock.now()
        faults.noteUpgrade(nowNs: now)
        if faults.take([.connectRefuse], nowNs: now) != nil {
            connection.abort()
            return
        }
        if let f = faults.take([.connectDelay], nowNs: now) { MonotonicClock.sleep(nanoseconds: f.delay ?? 5_000_000_000) }
        lock.lock()
        let number = connectionCount
        connectionCount += 1
        lock.unlock()
        guard connection.write(LoopbackWebSocketServer.switchingProtocols(accept: LoopbackWebSocketServer.acceptValue(key: key))) else { return }
        let loop = WebSocketConnectionLoop(
            connection: connection, market: market, session: VenueSession(route: route, connectionNumber: number), faults: faults,
            options: .init(
                closeAtEnd: configuration.closeAtEnd,
                pingIntervalNs: configuration.pingIntervalNanoseconds ?? Self.defaultPingInterval(route.venue),
                heartbeatIntervalNs: configuration.heartbeatIntervalNanoseconds, stopped: { [weak self] in self?.isStopped ?? true }))
        loop.run(target: request.target, initialBytes: reader.takeBuffered())
    }

    static func defaultPingInterval(_ venue: Venue) -> Int64? {
        switch venue {
        case .binance: return 20_000_000_000
        case .binanceFutures: return 180_000_000_000
        case .okx, .deribit: return nil
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 418: return "I'm a teapot"
        case 429: return "Too Many Requests"
        case 503: return "Service Unavailable"
        default: return status >= 500 ? "Server Error" : "Status"
        }
    }
}
