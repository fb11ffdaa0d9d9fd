import Benchmark
import BenchmarkSupport
import Books
import Exchanges
import Foundation
import Model
import Publishing
import Recording
import Simulation
import Stack

// Full-stack replay throughput. Target (issue 4, ARCHITECTURE.md): >= 1,000,000 frames/s on one core,
// release, on a synthetic recording, for decompress + parse + normalize + books + encode for publishing.
//
// "full stack" replays each shipped synthetic recording through `DirectReplay`: RecordingReader (zstd)
// -> CollectorStack.receive(frame:) (parse, normalize, book sync, PublisherCore encode and window)
// -> every delivery written to an in-process sink and acked. The stack is driven as the Simulator
// drives it (connect, establish, recorded REST snapshots, server pings, ticks), at the default
// published depth (BookSyncConfiguration.standard.publishedDepth, printed in the benchmark name).
// The two "component" benchmarks measure the first stages alone, so the difference says where time goes.
// "simulator" is the Simulator end to end, fault-free, oracle off (it adds the canonical output and
// its SHA-256 digest, the simulated broker and the event queue).
//
// Each iteration replays the recording `passes` times; the custom metrics are frames per second over
// the benchmark thread's CPU time (fair on this shared 2-core machine) and over wall time.

let framesPerSecondCPU = BenchmarkMetric.custom("frames/s (thread CPU)", polarity: .prefersLarger, useScalingFactor: false)
let framesPerSecondWall = BenchmarkMetric.custom("frames/s (wall)", polarity: .prefersLarger, useScalingFactor: false)

/// The repository root, found from this file's path (Benchmarks/ReplayBenchmarks/ReplayBenchmarks.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Counts what it is given and keeps nothing: an in-process broker whose every write is an ack.
struct CountingSink: MessageSink {
    var messages = 0
    var bytes = 0

    mutating func write(_ message: OutboundMessage) throws(SinkError) {
        messages &+= 1
        bytes &+= message.size
    }
}

/// Runs `body` `passes` times and reports frames per second over thread CPU and wall time.
func measure(_ benchmark: Benchmark, passes: Int, _ body: () -> Int) {
    let wallStart = DispatchTime.now().uptimeNanoseconds
    let cpuStart = threadCPUNanoseconds()
    var frames = 0
    benchmark.startMeasurement()
    for _ in 0..<passes { frames += body() }
    benchmark.stopMeasurement()
    benchmark.measurement(framesPerSecondCPU, perSecond(frames, threadCPUNanoseconds() - cpuStart))
    benchmark.measurement(framesPerSecondWall, perSecond(frames, DispatchTime.now().uptimeNanoseconds - wallStart))
}

let benchmarks: @Sendable () -> Void = {
    let depth = BookSyncConfiguration.standard.publishedDepth
    let passes = 20
    let configuration = Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, framesPerSecondCPU, framesPerSecondWall],
        timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 20)

    // A busy market, written by `SyntheticMarket` (what `marketprism synth` runs) into a temporary file:
    // ten Binance symbols at 50 book updates and 20 trades a second each, ~1,200 frames a second against
    // the shipped recordings' 48; ten books and instruments instead of two. Written with the offline framing
    // like the shipped recordings (docs/recording-format.md).
    do {
        let symbols = ["BTC-USDT", "ETH-USDT", "SOL-USDT", "XRP-USDT", "BNB-USDT",
                       "DOGE-USDT", "ADA-USDT", "TRX-USDT", "LTC-USDT", "DOT-USDT"]
        let spec = SyntheticMarketSpec(
            venue: .binance, symbols: symbols, durationNs: 60_000_000_000, seed: 7, updatesPerSecond: 50,
            tradesPerSecond: 20, levels: 50)
        // The same spec always gives the same bytes, so one file serves every run of the benchmark.
        let path = NSTemporaryDirectory() + "marketprism-benchmark-busy-binance-seed7-offline.mprec"
        if (try? RecordedFeed.load(path: path)) == nil {
            var market = SyntheticMarket(spec: spec)
            do { try market.write(to: path, toolVersion: "benchmark") } catch { fatalError("cannot write \(path): \(error)") }
        }
        guard let feed = try? RecordedFeed.load(path: path) else { fatalError("cannot load \(path)") }
        Benchmark("full stack busy binance-spot, 10 symbols (depth \(depth), \(feed.receivedFrames) frames x 2)",
                  configuration: configuration) { benchmark in
            let replay = DirectReplay(feed: feed)
            measure(benchmark, passes: 2) {
                var sink = CountingSink()
                guard let result = try? replay.run(into: &sink) else { fatalError("replay of \(path) failed") }
                return result.frames
            }
        }
    }

    for name in ["binance-spot", "binance-futures", "okx", "deribit"] {
        let path = "\(repositoryRoot)/recordings/\(name).mprec"
        guard let feed = try? RecordedFeed.load(path: path) else { fatalError("cannot load \(path)") }

        Benchmark("full stack \(name) (depth \(depth), \(feed.receivedFrames) frames x \(passes))", configuration: configuration) {
            benchmark in
            let replay = DirectReplay(feed: feed)
            var published = 0
            measure(benchmark, passes: passes) {
                var sink = CountingSink()
                guard let result = try? replay.run(into: &sink) else { fatalError("replay of \(path) failed") }
                published += result.published
                return result.frames
            }
            precondition(published > 0)
            blackHole(published)
        }

        if name == "binance-spot" {
            // The same path with books cut to the 20 levels docs/messages.md gives as the encoder's own
            // default (the stack publishes BookSyncConfiguration's 400, i.e. whole synthetic books):
            // labelled, for comparison only; the figure against the target is the default-depth one above.
            let top20: BookSyncConfiguration = {
                var c = BookSyncConfiguration.standard
                c.publishedDepth = 20
                return c
            }()
            Benchmark("full stack \(name) (depth 20, for comparison, \(feed.receivedFrames) frames x \(passes))", configuration: configuration) {
                benchmark in
                let replay = DirectReplay(feed: feed, books: top20)
                measure(benchmark, passes: passes) {
                    var sink = CountingSink()
                    guard let result = try? replay.run(into: &sink) else { fatalError("replay of \(path) failed") }
                    return result.frames
                }
            }

            Benchmark("component read (zstd) \(name) (\(feed.receivedFrames) frames x \(passes))", configuration: configuration) {
                benchmark in
                measure(benchmark, passes: passes) {
                    var frames = 0, bytes = 0
                    do {
                        let reader = try RecordingReader(path: path)
                        while try reader.withNextRecord({ (r: RecordView) -> Void in
                            if r.kind == .wsReceived {
                                frames += 1
                                bytes &+= r.payload.count
                            }
                        }) != nil {}
                    } catch { fatalError("\(error)") }
                    blackHole(bytes)
                    return frames
                }
            }

            Benchmark("component read+parse \(name) (\(feed.receivedFrames) frames x \(passes))", configuration: configuration) {
                benchmark in
                measure(benchmark, passes: passes) {
                    var adapter = AnyVenueAdapter(subscription: feed.subscription, catalog: feed.catalog)
                    var out: [AdapterOutput] = []
                    var frames = 0
                    do {
                        let reader = try RecordingReader(path: path)
                        while try reader.withNextRecord({ (r: RecordView) -> Void in
                            guard r.kind == .wsReceived else { return }
                            frames += 1
                            out.removeAll(keepingCapacity: true)
                            adapter.parse(frame: r.payload, receivedAt: Instant(nanoseconds: r.wallNs), into: &out)
                        }) != nil {}
                    } catch { fatalError("\(error)") }
                    blackHole(out.count)
                    return frames
                }
            }

            Benchmark("simulator \(name) fault-free, oracle off (depth \(depth), \(feed.receivedFrames) frames x \(passes))",
                      configuration: configuration) { benchmark in
                measure(benchmark, passes: passes) {
                    let options = SimulationOptions(oracle: false, wallClock: { 0 })
                    let simulator = Simulator(feed: feed, scenario: Scenario(name: "bench", recording: path), options: options)
                    guard let report = try? simulator.run() else { fatalError("simulation of \(path) failed") }
                    blackHole(report.digest)
                    return report.framesIn
                }
            }
        }
    }
}
