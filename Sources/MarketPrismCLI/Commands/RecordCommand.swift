import ArgumentParser
import Collector
import Foundation

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record a live session: every frame and REST response, with the stack running so snapshots are fetched as the collector would.",
        discussion: """
            Files rotate as the config's recording section says and replay with `marketprism replay FILE` to the
            same output as the live stack produced. Published messages are counted, not kept, unless --nats is
            given. A progress line (frames/s, bytes, compression ratio, gaps) shows every few seconds on a terminal.

            Example:
              marketprism record --config config/loopback.yaml --output recordings/session --duration 60s
            """)

    @Option(help: "The collector configuration (YAML).")
    var config: String

    @Option(name: .customLong("output"), help: "Directory for the recording files.")
    var directory: String

    @Option(help: "Also publish to NATS JetStream at these comma-separated URLs.")
    var nats: String?

    @OptionGroup var runner: CollectorRunOptions

    func run() throws {
        var overrides: [String: String] = [:]
        if let nats { overrides[CollectorConfigurationLoader.Environment.natsURL] = nats }
        let configuration = try runner.load(config, overrides: overrides)
        // Without --nats the messages are only counted: a long session must not fill memory.
        let sink: LiveSink? = nats == nil ? InProcessLiveSink(keeps: false) : nil
        try runner.execute(configuration, recordDirectory: directory, label: "record", progress: true, sink: sink)
    }
}
