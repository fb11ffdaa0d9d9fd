import Foundation
import LoopbackPeers
import Model
import Recording

#if canImport(Glibc)
import Glibc
#endif

/// A recorded venue on real loopback sockets: a websocket server that plays the recording's received
/// frames (paced at `speed` times real time, from the client's subscription on OKX and Deribit, from
/// the connection on Binance, whose streams are in the URL) and an HTTP server that answers REST
/// requests with the recorded responses, first in first out per path. Each connection plays the
/// recording once; the server never improvises.
final class RecordedExchangePeer: @unchecked Sendable {
    let venue: Venue
    let frames: [(wallNs: Int64, payload: [UInt8])]
    private(set) var websocket: LoopbackWebSocketServer!
    private(set) var http: LoopbackHTTPServer!
    private let lock = NSLock()
    private var responses: [String: [(status: Int, headers: [(String, String)], body: [UInt8])]] = [:]
    private var sentCount = 0
    let secure: Bool

    /// `resetAfter`: the first connection is dropped (TCP reset, no close frame) after that many frames.
    init(recording path: String, speed: Double, tls: LoopbackTLSContext? = nil, resetAfter: Int? = nil) throws {
        secure = tls != nil
        let reader = try RecordingReader(path: path)
        guard let venue = reader.header.knownVenue else { throw PeerError.unknownVenue }
        self.venue = venue
        var frames: [(Int64, [UInt8])] = []
        var responses: [String: [(Int, [(String, String)], [UInt8])]] = [:]
        try reader.forEachRecord { r in
            switch r.kind {
            case .wsReceived: frames.append((r.wallNs, Array(r.payload)))
            case .restResponse:
                let url = r.url ?? ""
                let path = url.range(of: "://").map { after -> String in
                    let rest = url[after.upperBound...]
                    return String(rest[(rest.firstIndex(of: "/") ?? rest.endIndex)...])
                } ?? url
                responses[path, default: []].append((Int(r.status ?? 200), r.headers.map { ($0.name, $0.value) }, Array(r.payload)))
            default: break
            }
        }
        self.frames = frames
        self.responses = responses
        let waitsForSubscribe = venue == .okx || venue == .deribit
        websocket = try LoopbackWebSocketServer(tls: tls, session: { [weak self] session in
            guard let self else { return }
            if waitsForSubscribe {
                while let frame = session.readFrame() {
                    if frame.opcode == 1, String(decoding: frame.payload, as: UTF8.self).contains("subscribe") { break }
                }
            }
            // Keep reading what the client sends (subscriptions, pings, its close) while playing.
            let readerDone = DispatchSemaphore(value: 0)
            let reader = Thread {
                while let frame = session.readFrame() {
                    if frame.opcode == 8 {
                        session.send(opcode: 8, payload: Array(frame.payload.prefix(2)))
                        break
                    }
                }
                readerDone.signal()
            }
            reader.start()
            // A real venue answers after a network round trip; replay models the connection opening
            // 1 ms after the dial, so frames sooner than that after the subscription could not be replayed.
            usleep(5_000)
            let connection = self.nextConnection()
            let limit = connection == 0 ? resetAfter : nil
            self.play(to: session, speed: speed, limit: limit)
            if limit != nil {
                session.drop()
                return
            }
            readerDone.wait()
        })
        http = try LoopbackHTTPServer(tls: tls) { [weak self] head in
            guard let self else { return LoopbackHTTPResponse(status: 503) }
            lock.lock()
            defer { lock.unlock() }
            guard var fifo = self.responses[head.target], !fifo.isEmpty else {
                return LoopbackHTTPResponse(status: 404, body: Array("{\"code\":-1121}".utf8))
            }
            let answer = fifo.removeFirst()
            self.responses[head.target] = fifo
            return LoopbackHTTPResponse(status: answer.status, headers: answer.headers, body: answer.body)
        }
    }

    private func play(to session: LoopbackWebSocketSession, speed: Double, limit: Int? = nil) {
        guard let first = frames.first?.wallNs else { return }
        var start = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        let startNs = Int64(start.tv_sec) * 1_000_000_000 + Int64(start.tv_nsec)
        for frame in frames.prefix(limit ?? frames.count) {
            let due = startNs + Int64(Double(frame.wallNs - first) / speed)
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let wait = due - (Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec))
            if wait > 0 { usleep(UInt32(min(wait / 1_000, 1_000_000))) }
            session.send(opcode: 1, payload: frame.payload)
            lock.lock()
            sentCount += 1
            lock.unlock()
        }
    }

    private var connections = 0

    private func nextConnection() -> Int {
        lock.lock()
        defer { lock.unlock() }
        connections += 1
        return connections - 1
    }

    var sent: Int {
        lock.lock()
        defer { lock.unlock() }
        return sentCount
    }

    var websocketOrigin: String { "\(secure ? "wss" : "ws")://127.0.0.1:\(websocket.port)" }
    var restOrigin: String { "\(secure ? "https" : "http")://127.0.0.1:\(http.port)" }

    func stop() {
        websocket.stop()
        http.stop()
    }

    enum PeerError: Error { case unknownVenue }
}
