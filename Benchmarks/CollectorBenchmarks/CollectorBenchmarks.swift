import Benchmark
import BenchmarkSupport
import Collector
import Exchanges
import Foundation
import LoopbackPeers
import Model

#if canImport(Glibc)
import Glibc
#endif

// Live frame-to-publish latency. Target (issue 7): on loopback at 10,000 frames/s, P99 < 1 ms.
//
// A loopback websocket server (LoopbackPeers, another thread) sends Binance aggTrade frames at
// 10,000 frames/s (10 frames every millisecond) for `seconds`; the live collector (reader thread,
// feed lock, stack, in-process sink) publishes one trade per frame. The latency is the collector's
// own receive-to-publish measurement (monotonic clock: from the websocket read returning the frame
// to the sink taking the message), the same figure /status reports. Custom metrics: P50, P99 and
// max in microseconds, and the frames per second actually delivered.

let p50 = BenchmarkMetric.custom("latency P50 (us)", polarity: .prefersSmaller, useScalingFactor: false)
let p99 = BenchmarkMetric.custom("latency P99 (us)", polarity: .prefersSmaller, useScalingFactor: false)
let maxLatency = BenchmarkMetric.custom("latency max (us)", polarity: .prefersSmaller, useScalingFactor: false)
let delivered = BenchmarkMetric.custom("frames/s delivered", polarity: .prefersLarger, useScalingFactor: false)

/// aggTrade frames for BTCUSDT, ids ascending.
func tradeFrames(_ count: Int) -> [[UInt8]] {
    let instrument = InstrumentNaming.instrument(venue: .binance, native: "BTCUSDT")!
    let encoder = BinanceFrameEncoder(venue: .binance)
    var random = SeededRandom(seed: 7)
    return (0..<count).map { i in
        var frame: [UInt8] = []
        let trade = Trade(
            instrument: instrument, tradeId: String(100_000_000 + i),
            price: FixedDecimal(mantissa: 6_400_000 + Int64(random.next() % 5_000), scale: 2),
            quantity: FixedDecimal(mantissa: Int64(random.next() % 10_000_000) + 1, scale: 8), side: i & 1 == 0 ? .buy : .sell,
            exchangeTime: .milliseconds(1_714_564_800_000 + Int64(i / 10)), receiveTime: .zero)
        encoder.encodeTrade(trade, into: &frame)
        return frame
    }
}

func monotonic() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// Runs the collector against a paced loopback stream; returns its latency summary and the delivered rate.
func runPaced(framesPerSecond: Int, seconds: Int) throws -> (LatencyHistogram, Int) {
    let frames = tradeFrames(framesPerSecond * seconds)
    let perMillisecond = max(1, framesPerSecond / 1_000)
    let server = try LoopbackWebSocketServer(session: { session in
        let start = monotonic()
        var sent = 0
        while sent < frames.count {
            let due = start + Int64(sent / perMillisecond) * 1_000_000
            let wait = due - monotonic()
            if wait > 0 { usleep(UInt32(wait / 1_000)) }
            for _ in 0..<perMillisecond where sent < frames.count {
                session.send(opcode: 1, payload: frames[sent])
                sent += 1
            }
        }
        while let frame = session.readFrame() {
            if frame.opcode == 8 {
                session.send(opcode: 8, payload: Array(frame.payload.prefix(2)))
                break
            }
        }
    })
    defer { server.stop() }
    let configuration = CollectorConfiguration(venues: [
        VenueFeedConfiguration(
            subscription: Subscription(venue: .binance, channels: [.trades], instruments: ["BTCUSDT"]),
            websocketOrigin: "ws://127.0.0.1:\(server.port)", proxy: "direct")
    ])
    let collector = try LiveCollector(
        configuration: configuration,
        options: LiveCollectorOptions(environment: [:], sink: InProcessLiveSink(keeps: false), commandSubject: nil))
    let start = monotonic()
    collector.start()
    while collector.frameTotals.frames < frames.count && monotonic() - start < Int64(seconds + 30) * 1_000_000_000 {
        usleep(10_000)
    }
    let elapsed = monotonic() - start
    let histogram = collector.latencyHistogram
    collector.stop()
    return (histogram, perSecond(collector.frameTotals.frames, UInt64(elapsed)))
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, p50, p99, maxLatency, delivered], timeUnits: .milliseconds, warmupIterations: 0,
        maxDuration: .seconds(60), maxIterations: 3)

    Benchmark("live frame-to-publish latency, 10,000 frames/s over loopback for 5 s") { benchmark in
        benchmark.startMeasurement()
        let (histogram, rate) = try runPaced(framesPerSecond: 10_000, seconds: 5)
        benchmark.stopMeasurement()
        benchmark.measurement(p50, Int(histogram.percentile(0.5) / 1_000))
        benchmark.measurement(p99, Int(histogram.percentile(0.99) / 1_000))
        benchmark.measurement(maxLatency, Int(histogram.maxNanoseconds / 1_000))
        benchmark.measurement(delivered, rate)
    }
}
