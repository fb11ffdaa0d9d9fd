import ArgumentParser
import Collector
import CollectorAPI
import ConfigSupport
import Foundation
import Logging
import Model
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Run the live collector: subscriptions from the config, the stack on the wall clock, publishing, optional recording.",
        discussion: """
            Stops gracefully on SIGINT or SIGTERM: connections are closed, the publisher is drained and the
            recording is finished. Environment overrides (MARKETPRISM_NATS_URL, MARKETPRISM_API_PORT, ...) are
            listed in docs/collector.md.

            Examples:
              marketprism collect --config config/collector.example.yaml
              marketprism collect --config config/loopback.yaml --nats nats://127.0.0.1:4222 --record recordings/live
            """)

    @Option(help: "The collector configuration (YAML).")
    var config: String

    @Option(help: "Publish to NATS JetStream at these comma-separated URLs (overrides the config's nats.urls).")
    var nats: String?

    @Option(help: "Record everything received into this directory (rotating .mprec files).")
    var record: String?

    @OptionGroup var runner: CollectorRunOptions

    func run() throws {
        var overrides = runner.environmentOverrides
        if let nats { overrides[CollectorConfigurationLoader.Environment.natsURL] = nats }
        let configuration = try runner.load(config, overrides: overrides)
        try runner.execute(configuration, recordDirectory: record, label: "collect", progress: false)
    }
}

/// What `collect` and `record` share: logging, the config, the service group and the stop.
struct CollectorRunOptions: ParsableArguments {
    @Option(help: "Stop after this long (e.g. 30s, 5m); without it, run until SIGINT/SIGTERM.")
    var duration: String?

    @Option(name: .customLong("canonical-output"), help: "Write the canonical output (published messages and stack events, as replay --output writes it) here.")
    var canonicalOutput: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    var environmentOverrides: [String: String] { [:] }

    func load(_ path: String, overrides: [String: String]) throws -> CollectorConfiguration {
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in overrides { environment[k] = v }
        do {
            return try CollectorConfigurationLoader.load(path: path, environment: environment)
        } catch {
            throw CLIError("\(error)")
        }
    }

    func durationNanoseconds() throws -> Int64? {
        guard let duration else { return nil }
        guard let ns = DurationText.parse(duration), ns > 0 else {
            throw ValidationError("--duration expects a duration like 30s or 5m, got '\(duration)'")
        }
        return ns
    }

    func execute(_ configuration: CollectorConfiguration, recordDirectory: String?, label: String, progress: Bool,
                 sink: LiveSink? = nil) throws {
        signal(SIGPIPE, SIG_IGN)
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level expects trace, debug, info, notice, warning, error or critical")
        }
        LoggingBootstrap.once(level: level)
        let logger = Logger(label: "marketprism.\(label)")
        let stopAfter = try durationNanoseconds()
        let output = try canonicalOutput.map { try LockedLineFile(path: $0) }
        CollectorAPIHook.prepareMetrics(for: configuration)
        let collector: LiveCollector
        do {
            collector = try LiveCollector(
                configuration: configuration,
                options: LiveCollectorOptions(
                    output: output.map { file in { @Sendable line in file.write(line) } }, logger: logger, sink: sink,
                    recordDirectory: recordDirectory, toolVersion: "marketprism \(ToolVersion.current)"))
        } catch {
            throw CLIError("\(error)")
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: collector)]
        services += CollectorAPIHook.services(for: collector, configuration: configuration, logger: logger)
        if progress, isatty(2) != 0 { services.append(.init(service: ProgressLine(collector: collector))) }
        if let stopAfter {
            services.append(.init(service: StopAfter(nanoseconds: stopAfter), successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let failure = ErrorBox()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { try await group.run() } catch { failure.set(error) }
            done.signal()
        }
        done.wait()
        let summary = collector.stop()
        try output?.close()
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        for path in summary.recordings { print("recorded \(path)") }
        for problem in collector.recorderFailures { FileHandle.standardError.write(Data("marketprism: recording failed: \(problem)\n".utf8)) }
        if let error = failure.error { throw CLIError("\(label): \(error)") }
        if !summary.drained { throw CLIError("\(label): the publisher did not drain: \(summary.publisher.buffered) message(s) still buffered") }
    }
}

/// The HTTP API (target CollectorAPI) as another service of the group, when the config gives a port.
/// Listed after the collector, so a graceful shutdown stops the API first and the collector last.
enum CollectorAPIHook {
    /// swift-metrics must have its Prometheus factory before the collector creates its metrics.
    static func prepareMetrics(for configuration: CollectorConfiguration) {
        if configuration.api.port != nil { MetricsBootstrap.install() }
    }

    static func services(for collector: LiveCollector, configuration: CollectorConfiguration, logger: Logger)
        -> [ServiceGroupConfiguration.ServiceConfiguration]
    {
        guard let port = configuration.api.port else { return [] }
        let api = CollectorAPIServer(
            control: collector,
            configuration: CollectorAPIConfiguration(
                host: configuration.api.host, port: port, bearerToken: configuration.api.bearerToken,
                defaultDepth: configuration.books.publishedDepth),
            logger: Logger(label: "marketprism.api"))
        return [.init(service: api)]
    }
}

/// swift-log to stderr, set up once per process.
enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false
    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

/// Ends the group gracefully after a set time (`--duration`).
struct StopAfter: Service {
    var nanoseconds: Int64
    func run() async throws {
        try? await Task.sleep(nanoseconds: UInt64(nanoseconds))
    }
}

/// The `record` progress line on a terminal every few seconds.
struct ProgressLine: Service {
    let collector: LiveCollector
    func run() async throws {
        var last = collector.frameTotals
        var lastNs = LiveClock.monotonicNanoseconds()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(nanoseconds: 2_000_000_000)
            let now = collector.frameTotals
            let ns = LiveClock.monotonicNanoseconds()
            let rate = Double(now.frames - last.frames) / max(1e-9, Double(ns - lastNs) / 1e9)
            let recording = collector.status().recording
            let ratio = recording.map { $0.bytesOut > 0 ? Double($0.bytesIn) / Double($0.bytesOut) : 0 } ?? 0
            let line = String(format: "\r\u{1B}[K%.0f frames/s, %d frames, %.1f MB received, compression %.1fx, %d gaps",
                              rate, now.frames, Double(now.bytes) / 1e6, ratio, now.gaps)
            FileHandle.standardError.write(Data(line.utf8))
            last = now
            lastNs = ns
        }
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var error: (any Error)?
    func set(_ e: any Error) {
        lock.lock()
        error = e
        lock.unlock()
    }
}

/// Canonical output lines from several feed threads into one file.
final class LockedLineFile: @unchecked Sendable {
    private let lock = NSLock()
    private let file: OutputFile
    init(path: String) throws { file = try OutputFile(path: path) }
    func write(_ line: String) {
        lock.lock()
        file.write(line)
        lock.unlock()
    }
    func close() throws {
        lock.lock()
        defer { lock.unlock() }
        try file.close()
    }
}
