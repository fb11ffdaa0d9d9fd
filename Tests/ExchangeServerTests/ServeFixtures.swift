import ExchangeServer
import Foundation
import Live
import Model
import Recording
import Simulation
import Stack
import TestSupport
import Testing

/// Recordings the tests serve: the synthetic ones shipped in recordings/, and the real cryptofeed captures
/// imported once per process into a temporary directory.
enum ServeRecordings {
    static func synthetic(_ name: String) -> String {
        TestEnvironment.packageRoot.appendingPathComponent("recordings/\(name).mprec").path
    }

    nonisolated(unsafe) static var imported: [String: String] = [:]
    static let lock = NSLock()

    static func sample(_ feed: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = imported[feed] { return p }
        let dir = try TestEnvironment.temporaryDirectory("serve-samples")
        let out = dir.appendingPathComponent("\(feed.lowercased()).mprec").path
        _ = try CryptofeedImporter.importFeed(
            files: TestEnvironment.cryptofeedFiles(feed: feed).map(\.path), output: out, options: .init(toolVersion: "test"))
        imported[feed] = out
        return out
    }
}

/// The recording's market-data frames, in order, by a rule written independently of the server's:
/// Binance frames naming a `stream`, OKX frames that are not `event` acks, Deribit `subscription` notifications.
func recordedDataFrames(_ path: String) throws -> [[UInt8]] {
    let reader = try RecordingReader(path: path)
    let venue = try #require(reader.header.knownVenue)
    var frames: [[UInt8]] = []
    try reader.forEachRecord { r in
        guard r.kind == .wsReceived else { return }
        let frame = Array(r.payload)
        if isDataFrame(frame, venue: venue) { frames.append(frame) }
    }
    return frames
}

func isDataFrame(_ frame: [UInt8], venue: Venue) -> Bool {
    let text = String(decoding: frame.prefix(200), as: UTF8.self)
    switch venue {
    case .binance, .binanceFutures: return text.hasPrefix("{\"stream\":")
    case .okx: return text.hasPrefix("{") && !text.contains("\"event\":")
    case .deribit: return text.contains("\"method\":\"subscription\"")
    }
}

/// What the collector would send and where: the adapter of the recording's own subscription.
func collectorAdapter(_ path: String) throws -> AnyVenueAdapter {
    let feed = try RecordedFeed.load(path: path)
    return AnyVenueAdapter(subscription: feed.subscription, catalog: feed.catalog)
}

/// Everything a client received on one connection.
struct Received {
    var texts: [[UInt8]] = []
    var pings = 0
    var closeCode: UInt16?
    var error: TransportError?
    /// Seconds from connect to the first data frame.
    var firstDataAfter: Double?
}

/// Connects, sends the collector's connect frames, and reads until close, error, `limit` data frames or
/// `idleMilliseconds` without a message.
func receiveAll(
    url: String, venue: Venue, send frames: [[UInt8]], options: CurlWebSocket.Options = .init(random: SeededRandom(seed: 7)),
    limit: Int = .max, idleMilliseconds: Int = 10_000, answerHeartbeats: Bool = false
) throws -> Received {
    let socket = try CurlWebSocket(url: url, options: options)
    defer { socket.close(timeoutMilliseconds: 200) }
    let start = Date()
    for f in frames { try socket.send(textBytes: f) }
    var got = Received()
    var data = 0
    do {
        while data < limit, let message = try socket.receive(timeoutMilliseconds: idleMilliseconds) {
            switch message {
            case .text(let bytes):
                got.texts.append(bytes)
                if isDataFrame(bytes, venue: venue) {
                    data += 1
                    if got.firstDataAfter == nil { got.firstDataAfter = Date().timeIntervalSince(start) }
                }
                if answerHeartbeats, String(decoding: bytes, as: UTF8.self).contains("test_request") {
                    try socket.send(text: #"{"jsonrpc":"2.0","id":9001,"method":"public/test","params":{}}"#)
                }
            case .ping: got.pings += 1
            case .close(let code, _):
                got.closeCode = code
                return got
            default: break
            }
        }
    } catch {
        got.error = error
    }
    return got
}

/// A server on a free port, started; the caller stops it.
func startedServer(_ recordings: [String], speed: ReplaySpeed = .max, closeAtEnd: Bool = true, faults: [Fault] = [],
                   configure: (inout ExchangeServerConfiguration) -> Void = { _ in }) throws -> ExchangeServer {
    var configuration = ExchangeServerConfiguration(recordings: recordings, speed: speed, faults: faults, closeAtEnd: closeAtEnd)
    configure(&configuration)
    let server = try ExchangeServer(configuration: configuration)
    try server.start()
    return server
}

/// Where two frame sequences first differ (nil when equal), short enough for a test failure message.
func firstDifference(_ got: [[UInt8]], _ expected: [[UInt8]]) -> String? {
    for i in 0..<min(got.count, expected.count) where got[i] != expected[i] {
        return "frame \(i): got \(String(decoding: got[i].prefix(160), as: UTF8.self)) expected \(String(decoding: expected[i].prefix(160), as: UTF8.self))"
    }
    return got.count == expected.count ? nil : "got \(got.count) frames, expected \(expected.count)"
}
