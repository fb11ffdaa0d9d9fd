import Books
import Exchanges
import Live
import Model
import NATSTransport
import Publishing
import Reliability
import Stack

/// Everything `collect` and `record` run from: the parsed YAML with environment overrides applied.
/// Built by `CollectorConfigurationLoader`; tests may build one directly.
public struct CollectorConfiguration: Sendable {
    public var venues: [VenueFeedConfiguration]
    public var nats: NATSSettings?
    public var publisher: PublisherSettings
    public var books: BookSyncConfiguration
    public var api: APISettings
    public var recording: RecordingSettings?
    public var reliability: ReliabilityConfig
    /// Seed of the stacks' random choices (reconnect jitter): the stack's only nondeterminism.
    public var seed: UInt64
    /// The file it was read from, for messages.
    public var source: String

    public init(
        venues: [VenueFeedConfiguration], nats: NATSSettings? = nil, publisher: PublisherSettings = PublisherSettings(),
        books: BookSyncConfiguration = .standard, api: APISettings = APISettings(), recording: RecordingSettings? = nil,
        reliability: ReliabilityConfig = .defaults, seed: UInt64 = 1, source: String = "<memory>"
    ) {
        self.venues = venues
        self.nats = nats
        self.publisher = publisher
        self.books = books
        self.api = api
        self.recording = recording
        self.reliability = reliability
        self.seed = seed
        self.source = source
    }
}

/// One venue feed: one stack, one websocket (two while rotating), one REST worker.
public struct VenueFeedConfiguration: Sendable {
    public var subscription: Subscription
    /// Replaces scheme, host and port of the venue's websocket URL (with an optional path prefix);
    /// the venue's path and query are appended (Binance names its streams there). Point it at `marketprism serve`.
    public var websocketOrigin: String?
    /// Replaces scheme, host and port (and an optional path prefix) of REST URLs.
    public var restOrigin: String?
    /// `nil`: the environment's proxy variables; "direct": none; else a proxy URL.
    public var proxy: String?
    /// Fetch the venue's instrument list at start (falling back to naming rules when it fails).
    public var fetchInstruments: Bool
    /// Trust this CA file for the venue's TLS (a `serve --tls-cert` test server).
    public var caFile: String?

    public init(
        subscription: Subscription, websocketOrigin: String? = nil, restOrigin: String? = nil, proxy: String? = nil,
        fetchInstruments: Bool = false, caFile: String? = nil
    ) {
        self.subscription = subscription
        self.websocketOrigin = websocketOrigin
        self.restOrigin = restOrigin
        self.proxy = proxy
        self.fetchInstruments = fetchInstruments
        self.caFile = caFile
    }

    public var venue: Venue { subscription.venue }
}

public struct NATSSettings: Sendable {
    public var connection: NATSConnectionOptions
    public var stream: StreamConfiguration

    public init(connection: NATSConnectionOptions, stream: StreamConfiguration = StreamConfiguration()) {
        self.connection = connection
        self.stream = stream
    }
}

/// Which sink the stacks publish into.
public enum SinkChoice: Sendable, Equatable {
    /// Kept in memory (tests, `record` without a broker).
    case inProcess
    case ndjson(path: String)
    /// NATS JetStream (needs a `nats` section).
    case nats
}

public struct PublisherSettings: Sendable {
    public var sink: SinkChoice
    public var core: PublisherCore.Configuration
    /// Where the JetStream publisher spools once its memory bound is reached; nil drops (counted).
    public var spoolDirectory: String?

    public init(sink: SinkChoice = .inProcess, core: PublisherCore.Configuration = .init(), spoolDirectory: String? = nil) {
        self.sink = sink
        self.core = core
        self.spoolDirectory = spoolDirectory
    }
}

public struct APISettings: Sendable, Equatable {
    public var host: String
    /// nil: no API server.
    public var port: Int?
    public var bearerToken: String?

    public init(host: String = "127.0.0.1", port: Int? = nil, bearerToken: String? = nil) {
        self.host = host
        self.port = port
        self.bearerToken = bearerToken
    }
}

public struct RecordingSettings: Sendable, Equatable {
    public var directory: String
    public var rotateAfterBytes: Int64?
    public var rotateAfterNanoseconds: Int64?
    public var compressionLevel: Int32

    public init(directory: String, rotateAfterBytes: Int64? = nil, rotateAfterNanoseconds: Int64? = nil, compressionLevel: Int32 = 3) {
        self.directory = directory
        self.rotateAfterBytes = rotateAfterBytes
        self.rotateAfterNanoseconds = rotateAfterNanoseconds
        self.compressionLevel = compressionLevel
    }
}
