// swift-tools-version: 6.1
import PackageDescription

// One target per layer; dependencies point downward only:
//   MarketPrismCLI -> (Simulation | Live) -> Stack -> Exchanges, Books, Reliability, Publishing -> Model
//   Recording -> CZstd, Model
let package = Package(
    name: "marketprism",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "marketprism", targets: ["MarketPrismCLI"]),
        .library(name: "Model", targets: ["Model"]),
        .library(name: "Recording", targets: ["Recording"]),
        .library(name: "Exchanges", targets: ["Exchanges"]),
        .library(name: "Books", targets: ["Books"]),
        .library(name: "Reliability", targets: ["Reliability"]),
        .library(name: "Publishing", targets: ["Publishing"]),
        .library(name: "NATSTransport", targets: ["NATSTransport"]),
        .library(name: "Stack", targets: ["Stack"]),
        .library(name: "Simulation", targets: ["Simulation"]),
        .library(name: "Collector", targets: ["Collector"]),
        .library(name: "LoopbackPeers", targets: ["LoopbackPeers"]),
        .library(name: "WebSocket", targets: ["WebSocket"]),
        .library(name: "ExchangeServer", targets: ["ExchangeServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // The collector's HTTP API (CollectorAPI): server, websocket, metrics, service lifecycle.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // System libraries.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CNats", pkgConfig: "libnats", providers: [.apt(["libnats-dev"])]),
        // libssl for the loopback test peers' TLS server side (the Live client does TLS through libcurl).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Pure, sans-IO layers.
        // CRC-32 by carry-less multiplication (x86-64 PCLMULQDQ), for OKX book checksums.
        .target(name: "CCRC32Fold"),
        .target(name: "Model", dependencies: ["CCRC32Fold"]),
        .target(name: "Recording", dependencies: ["CZstd", "Model"]),
        .target(name: "Exchanges", dependencies: ["Model"]),
        .target(name: "Books", dependencies: ["Model"]),
        .target(name: "Reliability", dependencies: ["Model"]),
        .target(name: "Publishing", dependencies: ["Model", "Recording"]),
        // Live NATS JetStream transport for the publisher (libnats on its own threads).
        .target(name: "NATSTransport", dependencies: ["CNats", "Publishing", "Model", "Exchanges"]),
        // YAML configs and scenarios with errors that name file, line and key.
        .target(name: "ConfigSupport", dependencies: [.product(name: "Yams", package: "Yams")]),

        // The collector: adapters + books + reliability + publisher as one sans-IO component.
        .target(name: "Stack", dependencies: ["Model", "Exchanges", "Books", "Reliability", "Publishing"]),

        // Drivers.
        // Live network transport: websocket (own RFC 6455 layer) and REST over libcurl, TLS, proxies.
        // RFC 6455 framing, sans-IO, both roles: the one codec of Live, ExchangeServer and LoopbackPeers.
        .target(name: "WebSocket"),
        .target(name: "Live", dependencies: ["CCurl", "Model", "WebSocket"]),
        // Real websocket/HTTP(S) peers on 127.0.0.1 for tests and a future `serve` (POSIX sockets + libssl).
        .target(name: "LoopbackPeers", dependencies: ["COpenSSL", "WebSocket"]),
        // `serve`: the simulated exchange on real sockets (recordings paced onto websockets and REST, socket faults).
        .target(
            name: "ExchangeServer",
            dependencies: ["LoopbackPeers", "Simulation", "Stack", "Exchanges", "Books", "Recording", "Publishing", "Model", "WebSocket"]),
        .target(
            name: "Simulation",
            dependencies: ["Model", "ConfigSupport", "Recording", "Exchanges", "Books", "Reliability", "Publishing", "Stack", "COpenSSL"]),

        // What the HTTP API may ask of the live collector (plain types; no server, no I/O).
        .target(name: "CollectorControl"),
        // The collector's HTTP API on Hummingbird 2: health, status, Prometheus metrics, books, subscriptions.
        .target(
            name: "CollectorAPI",
            dependencies: [
                "CollectorControl", "Publishing", "Model",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]),

        // The live collector: the stack per venue feed on real sockets, the wall clock, sinks, recorder, control.
        .target(
            name: "Collector",
            dependencies: [
                "Model", "Recording", "Exchanges", "Books", "Reliability", "Publishing", "Stack", "Live", "NATSTransport",
                "ConfigSupport", "CollectorControl",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),

        // The command-line tool.
        .executableTarget(
            name: "MarketPrismCLI",
            dependencies: [
                "ExchangeServer",
                "Model", "Recording", "Exchanges", "Books", "Reliability", "Publishing", "Stack", "Simulation",
                "ConfigSupport", "NATSTransport", "Collector", "CollectorAPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // Shared test helpers: where ../shared/data is, running built executables.
        .target(name: "TestSupport", dependencies: ["LoopbackPeers"], path: "Tests/TestSupport"),

        .testTarget(name: "ModelTests", dependencies: ["Model", "CCRC32Fold", "TestSupport"]),
        .testTarget(name: "RecordingTests", dependencies: ["Recording", "Model", "TestSupport"]),
        // Writes records until SIGKILLed: the durability test's child process.
        .executableTarget(name: "RecordingCrashProbe", dependencies: ["Recording", "Model"], path: "Tests/RecordingCrashProbe"),
        .testTarget(name: "ExchangesTests", dependencies: ["Exchanges", "Model", "Recording", "TestSupport"]),
        .testTarget(name: "BooksTests", dependencies: ["Books", "Exchanges", "Model", "Recording", "TestSupport"]),
        .testTarget(name: "ReliabilityTests", dependencies: ["Reliability", "Model", "TestSupport", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "PublishingTests", dependencies: ["Publishing", "Model", "Recording", "TestSupport"]),
        .testTarget(name: "NATSTransportTests", dependencies: ["NATSTransport", "Publishing", "Model", "TestSupport"]),
        .testTarget(
            name: "SimulationTests",
            dependencies: ["Simulation", "ConfigSupport", "Model", "Recording", "Stack", "Exchanges", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["Model", "Recording", "TestSupport"]),
        .testTarget(name: "LiveTests", dependencies: ["Live", "LoopbackPeers", "Model", "TestSupport"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"]),
        .testTarget(
            name: "ExchangeServerTests",
            dependencies: ["ExchangeServer", "Live", "LoopbackPeers", "Simulation", "Recording", "Exchanges", "Model", "TestSupport"]),
        .testTarget(
            name: "CollectorTests",
            dependencies: [
                "Collector", "CollectorControl", "Stack", "Simulation", "Recording", "Exchanges", "Publishing", "NATSTransport",
                "Live", "LoopbackPeers", "Model", "TestSupport",
            ]),
        .testTarget(
            name: "CollectorAPITests",
            dependencies: [
                "CollectorAPI", "CollectorControl", "Live", "TestSupport",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ]
)
