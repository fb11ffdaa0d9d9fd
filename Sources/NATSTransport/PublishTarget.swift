import Publishing

/// Where published events go, as chosen by flags: in-process (replay's default), an NDJSON
/// file (`--ndjson PATH`), or NATS JetStream (`--nats URL[,URL...]`).
public enum PublishTarget: Hashable, Sendable {
    case inProcess
    case ndjson(path: String)
    case nats(NATSConnectionOptions, stream: StreamConfiguration)

    /// From the two flags; `--nats` wins if both are given.
    public init(nats: String? = nil, ndjson: String? = nil, stream: StreamConfiguration = StreamConfiguration()) {
        if let nats, !nats.isEmpty {
            self = .nats(NATSConnectionOptions(urlList: nats), stream: stream)
        } else if let ndjson, !ndjson.isEmpty {
            self = .ndjson(path: ndjson)
        } else {
            self = .inProcess
        }
    }

    /// Opens the sink. In-process returns a `SinkEventPublisher<InProcessSink>` (its
    /// `sink.messages` hold the output); NATS starts connecting and, with `spoolDirectory`, spools to disk when
    /// memory is full.
    public func open(
        core: PublisherCore.Configuration? = nil, encoder: MessageEncoder = MessageEncoder(), spoolDirectory: String? = nil,
        log: @escaping @Sendable (JetStreamPublisher.LogEvent) -> Void = JetStreamPublisher.standardErrorLog
    ) throws -> any EventPublisher {
        switch self {
        case .inProcess:
            return SinkEventPublisher(SinkPublisher(sink: InProcessSink(), core: PublisherCore(configuration: core ?? .init(), encoder: encoder)))
        case .ndjson(let path):
            return SinkEventPublisher(
                SinkPublisher(sink: try NDJSONFileSink(path: path), core: PublisherCore(configuration: core ?? .init(), encoder: encoder)))
        case .nats(let options, let stream):
            var configuration = JetStreamPublisher.Configuration(connection: options, stream: stream, encoder: encoder)
            if let core { configuration.core = core }
            let spool = try spoolDirectory.map { dir throws(SpoolError) in try DiskSpool(directory: dir) }
            let publisher = JetStreamPublisher(configuration, spool: spool, log: log)
            try publisher.start()
            return publisher
        }
    }
}
