import ArgumentParser
import ConfigSupport
import Foundation
import Model
import NATSTransport
import Publishing
import Simulation

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a recording through the full collector stack in virtual time, optionally under a fault scenario.",
        discussion: """
            The replay is deterministic: the same recording, scenario, seed and configuration give the same
            output and digest on any machine and at any speed.

            Examples:
              marketprism replay recordings/binance-btcusdt.mprec
              marketprism replay recordings/okx-btcusdt.mprec --scenario scenarios/okx-drop-resync.yaml --seed 7
              marketprism replay REC --speed 10x --output out.ndjson --report-json report.json
            """)

    @Argument(help: "The recording to replay.")
    var recording: String

    @Option(help: "A scenario file (YAML) with faults and expectations; its own recording is replaced by REC.")
    var scenario: String?

    @Option(help: "Seed for every random choice (overrides the scenario's).")
    var seed: UInt64?

    @Option(help: "max, or a multiple of real time such as 10x.")
    var speed: String?

    @OptionGroup var options: RunOptions

    func run() throws {
        var s: Scenario
        if let scenario {
            s = try loadScenario(scenario)
        } else {
            s = Scenario(name: "fault-free", recording: recording)
        }
        s.recording = recording
        if let seed { s.seed = seed }
        if let speed {
            guard let value = ReplaySpeed(speed) else {
                throw ValidationError("--speed expects max or a multiple like 10x, got '\(speed)'")
            }
            s.speed = value
        }
        let report = try options.execute(s)
        if !report.passed { throw ExitCode(1) }
    }
}

/// Options shared by `replay`, `scenario run` and `demo`.
struct RunOptions: ParsableArguments {
    @Option(help: "Write the canonical output (published messages and stack events) as NDJSON here.")
    var output: String?

    @Option(name: .customLong("report-json"), help: "Write the report as JSON here.")
    var reportJSON: String?

    @Flag(help: "Print the report as JSON instead of text.")
    var json = false

    @Option(help: "Levels a side in published order books.")
    var depth: Int?

    @Flag(name: .customLong("no-oracle"), help: "Skip the truth books and invariant checks (pure throughput runs).")
    var noOracle = false

    @Option(help: "Also publish the replayed stream to NATS JetStream (comma-separated URLs); ids dedupe reruns.")
    var nats: String?

    @Option(name: .customLong("nats-stream"), help: "JetStream stream to create or update over market.>.")
    var natsStream = "MARKET_DATA"

    func execute(_ scenario: Scenario, quiet: Bool = false) throws -> ReplayReport {
        let report = try replay(scenario)
        if !quiet {
            print(json ? report.json : report.text)
        }
        if let reportJSON {
            try Data((report.json + "\n").utf8).write(to: URL(fileURLWithPath: reportJSON))
        }
        return report
    }

    func replay(_ scenario: Scenario) throws -> ReplayReport {
        let feed: RecordedFeed
        do { feed = try RecordedFeed.load(path: scenario.recording) } catch { throw CLIError(error.description) }
        var options = SimulationOptions(oracle: !noOracle, wallClock: WallClock.nanoseconds)
        if let depth { options.books.publishedDepth = max(1, depth) }
        var sink: OutputFile?
        if let output {
            sink = try OutputFile(path: output)
            options.output = { line in sink?.write(line) }
        }
        options.progress = Progress.reporter(label: scenario.name)
        let publisher = try nats.map { try startPublisher(urls: $0) }
        if let publisher { options.stored = { publisher.publish(encoded: $0) } }
        let simulator = Simulator(feed: feed, scenario: scenario, options: options)
        var report: ReplayReport
        do { report = try simulator.run() } catch { throw CLIError(error.description) }
        Progress.clear()
        try sink?.close()
        if let publisher {
            let drained = publisher.flush(timeout: .seconds(60))
            let stats = publisher.stats
            publisher.close()
            report.nats = NATSSinkReport(
                published: stats.published, acked: stats.acked, duplicates: stats.duplicates, lost: stats.lost,
                outages: stats.outages, outageMilliseconds: stats.outageTime.value / 1_000_000,
                bufferedMax: stats.bufferedMax, spooled: stats.spooled, drained: drained)
            guard drained else {
                throw CLIError("NATS \(nats ?? ""): \(stats.published - stats.acked) message(s) still unacknowledged after 60 s")
            }
        }
        return report
    }

    private func startPublisher(urls: String) throws -> JetStreamPublisher {
        var stream = StreamConfiguration()
        stream.name = natsStream
        let publisher = JetStreamPublisher(.init(connection: NATSConnectionOptions(urlList: urls), stream: stream))
        do { try publisher.start() } catch { throw CLIError("NATS \(urls): \(error)") }
        return publisher
    }
}

func loadScenario(_ path: String) throws -> Scenario {
    do {
        var s = try Scenario.load(path: path)
        if !s.recording.hasPrefix("/") {
            let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
            s.recording = dir.appendingPathComponent(s.recording).standardizedFileURL.path
        }
        return s
    } catch {
        throw CLIError(error.description)
    }
}
