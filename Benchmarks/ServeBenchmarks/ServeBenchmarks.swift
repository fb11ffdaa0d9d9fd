import Benchmark
import BenchmarkSupport
import ExchangeServer
import Foundation
import Model
import Recording

// Frames per second from `serve` to one websocket client on loopback at --speed max.
// Target (issue 7): serve sustains >= 100,000 frames/s to one client. The recording is synthetic Binance
// combined-stream traffic (~230-byte depth and trade frames, 8 symbols) held by the server in memory; the
// client is a plain blocking socket that reads and counts frames (header parsing only), so the figure is
// the server's, not a client's JSON work. Each iteration opens a connection and reads the whole recording
// (the server closes with 1000 at its end). The median of "frames/s (wall)" is the figure to quote.

let frameCount = 300_000
let framesPerSecond = BenchmarkMetric.custom("frames/s (wall)", polarity: .prefersLarger, useScalingFactor: false)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("marketprism-serve-bench-\(getpid())").path
let recordingPath = directory + "/binance.mprec"

/// Writes the synthetic recording once per process.
func writeRecording() throws {
    guard !FileManager.default.fileExists(atPath: recordingPath) else { return }
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let symbols = ["btcusdt", "ethusdt", "bnbusdt", "solusdt", "xrpusdt", "adausdt", "dogeusdt", "ltcusdt"]
    let subscription = #"{"venue":"binance","channels":[{"channel":"book","instruments":["BTCUSDT","ETHUSDT","BNBUSDT","SOLUSDT","XRPUSDT","ADAUSDT","DOGEUSDT","LTCUSDT"]},{"channel":"trades","instruments":["BTCUSDT","ETHUSDT","BNBUSDT","SOLUSDT","XRPUSDT","ADAUSDT","DOGEUSDT","LTCUSDT"]}]}"#
    let header = RecordingHeader(venue: "binance", subscription: subscription, toolVersion: "ServeBenchmarks", startWallNs: 1_700_000_000_000_000_000)
    let writer = try RecordingWriter(path: recordingPath, header: header)
    var rng = SeededRandom(seed: 42)
    var wall: Int64 = 1_700_000_000_000_000_000
    var update: Int64 = 1_000_000
    for k in 0..<frameCount {
        let s = symbols[Int(rng.next() % UInt64(symbols.count))]
        wall += 100_000
        let price = 20_000 + Int(rng.next() % 1_000)
        let text: String
        if k % 2 == 0 {
            text = #"{"stream":"\#(s)@depth@100ms","data":{"e":"depthUpdate","E":\#(wall / 1_000_000),"s":"\#(s.uppercased())","U":\#(update),"u":\#(update + 2),"b":[["\#(price).01","0.52000000"],["\#(price - 1).50","1.10000000"]],"a":[["\#(price + 1).02","0.25000000"]]}}"#
            update += 3
        } else {
            text = #"{"stream":"\#(s)@aggTrade","data":{"e":"aggTrade","E":\#(wall / 1_000_000),"s":"\#(s.uppercased())","a":\#(k),"p":"\#(price).01","q":"0.01200000","f":\#(k),"l":\#(k),"T":\#(wall / 1_000_000),"m":true,"M":true}}"#
        }
        try Array(text.utf8).withUnsafeBytes { try writer.append(kind: .wsReceived, stream: 1, wallNs: wall, monoNs: wall, payload: $0) }
    }
    try writer.close()
}

/// A minimal websocket client on a blocking socket: upgrade, then count frames until the server's close.
func readAllFrames(port: Int, path: String) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    precondition(connected == 0, "connect failed")
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    _ = Array(request.utf8).withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var have = 0, at = 0, frames = 0
    var headerDone = false
    while true {
        if at > 0 && at == have { at = 0; have = 0 }
        if have == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }  // one frame larger than the buffer
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + have, $0.count - have, 0) }
        if n <= 0 { return frames }
        have += n
        if !headerDone {
            guard let end = (0..<max(0, have - 3)).first(where: { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }) else { continue }
            headerDone = true
            at = end + 4
        }
        while have - at >= 2 {
            let opcode = buffer[at] & 0x0F
            var length = Int(buffer[at + 1] & 0x7F)
            var header = 2
            if length == 126 {
                guard have - at >= 4 else { break }
                length = Int(buffer[at + 2]) << 8 | Int(buffer[at + 3])
                header = 4
            } else if length == 127 {
                guard have - at >= 10 else { break }
                length = (0..<8).reduce(0) { $0 << 8 | Int(buffer[at + 2 + $1]) }
                header = 10
            }
            guard have - at >= header + length else { break }
            at += header + length
            if opcode == 0x8 { return frames }
            if opcode == 0x1 { frames += 1 }
        }
        if at > 0 && at < have {
            buffer.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!
                memmove(base, base + at, have - at)
            }
            have -= at
            at = 0
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark(
        "serve -> one client, --speed max (300k Binance frames)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, framesPerSecond], timeUnits: .milliseconds, warmupIterations: 1,
            maxDuration: .seconds(30), maxIterations: 10,
            teardown: { try? FileManager.default.removeItem(atPath: directory) })
    ) { benchmark in
        try writeRecording()
        let server = try ExchangeServer(configuration: .init(recordings: [recordingPath], speed: .max, closeAtEnd: true))
        try server.start()
        defer { server.stop() }
        let path = "/binance/stream?streams=" + ["btcusdt", "ethusdt", "bnbusdt", "solusdt", "xrpusdt", "adausdt", "dogeusdt", "ltcusdt"]
            .flatMap { ["\($0)@depth@100ms", "\($0)@aggTrade"] }.joined(separator: "/")
        let start = DispatchTime.now().uptimeNanoseconds
        benchmark.startMeasurement()
        let frames = readAllFrames(port: server.port, path: path)
        benchmark.stopMeasurement()
        let wall = DispatchTime.now().uptimeNanoseconds - start
        precondition(frames == frameCount, "received \(frames) of \(frameCount) frames")
        benchmark.measurement(framesPerSecond, perSecond(frames, wall))
    }
}
