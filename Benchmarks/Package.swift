// swift-tools-version: 6.1
// Performance suites (package-benchmark), kept out of the main package so `swift build`/`swift test`
// never fetch or build the benchmark tooling. Run: `cd Benchmarks && swift package benchmark`.
// Add a suite: a directory Benchmarks/<Name>/ with <Name>.swift, and one `suite(...)` line below.
import PackageDescription

let package = Package(
    name: "MarketPrismBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "marketprism", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        suite("RecordingBenchmarks", dependencies: ["Recording", "Model"]),
        suite("ParseBenchmarks", dependencies: ["Exchanges", "Model"]),
        suite("BookBenchmarks", dependencies: ["Books", "Model"]),
        suite("PublishingBenchmarks", dependencies: ["Publishing", "NATSTransport", "Model"], local: ["PublishingWorkload"]),
        suite("CollectorBenchmarks", dependencies: ["Collector", "LoopbackPeers", "Exchanges", "Model"]),
        suite("ServeBenchmarks", dependencies: ["ExchangeServer", "Recording", "Model"]),
        suite("ReplayBenchmarks", dependencies: ["Simulation", "Stack", "Recording", "Exchanges", "Books", "Publishing", "Model"]),
        // Not a suite: DirectReplay alone with a digest of its output, for callgrind (docs/replay-performance.md).
        .executableTarget(
            name: "ReplayProfile",
            dependencies: ["Simulation", "Books", "Publishing", "Model"].map { .product(name: $0, package: "marketprism") },
            path: "ReplayProfile"),
        // Not a suite: the core publish loop alone, for callgrind (docs/messages.md).
        .executableTarget(
            name: "PublishProfile", dependencies: ["PublishingWorkload", "BenchmarkSupport"], path: "PublishProfile"),
        // The core publish workload, shared by PublishingBenchmarks and PublishProfile.
        .target(
            name: "PublishingWorkload",
            dependencies: ["Publishing", "Model"].map { .product(name: $0, package: "marketprism") },
            path: "PublishingWorkload"),
        // Shared helpers (thread CPU time, rates): `import BenchmarkSupport` in a suite.
        .target(name: "BenchmarkSupport", path: "BenchmarkSupport"),
    ]
)

/// A benchmark executable at `<name>/` depending on products of the root package.
func suite(_ name: String, dependencies: [String], local: [Target.Dependency] = []) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "BenchmarkSupport"] + local
            + dependencies.map { .product(name: $0, package: "marketprism") },
        path: name,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}
