import Benchmark
import Exchanges
import Model

// Frame parse + normalize throughput. Each measured iteration parses exactly 1,000,000 frames
// (`scalingFactor: .mega`) of a synthetic Binance depth+trade stream, so the scaled throughput is
// frames per second. Target (issue): >= 1,000,000 frames/s on one core, release. CPU time is
// reported too: on the shared 2-core machine wall clock mostly measures the neighbours.

let benchmarks: @Sendable () -> Void = {
    let frames = SyntheticBinanceStream.frames(count: 1_000_000)

    Benchmark(
        "BinanceSpotAdapter parse+normalize, depth@100ms + aggTrade 1:1 (frames)",
        configuration: .init(metrics: [.throughput, .wallClock, .cpuTotal], scalingFactor: .mega, maxDuration: .seconds(10), maxIterations: 20)
    ) { benchmark in
        var adapter = SyntheticBinanceStream.adapter()
        var out: [AdapterOutput] = []
        out.reserveCapacity(4)
        benchmark.startMeasurement()
        for (k, frame) in frames.enumerated() {
            out.removeAll(keepingCapacity: true)
            adapter.parse(frame: frame, receivedAt: .milliseconds(Int64(k)), into: &out)
        }
        benchmark.stopMeasurement()
        precondition(adapter.counters.errors == 0 && adapter.counters.events == frames.count)
        blackHole(adapter.counters.events)
    }
}
