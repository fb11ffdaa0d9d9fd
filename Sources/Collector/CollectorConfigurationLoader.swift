import ConfigSupport
import Books
import Exchanges
import Foundation
import Live
import Model
import NATSTransport
import Publishing
import Reliability
import Yams

/// Reads the collector's YAML, applies environment overrides and validates everything, so a bad
/// setting fails at start with `file:line: 'key.path' ...` instead of misbehaving later.
public enum CollectorConfigurationLoader {
    public static let topLevelKeys = ["venues", "nats", "publisher", "books", "api", "recording", "reliability", "seed"]

    /// Environment variables that override the file (see docs/collector.md).
    public enum Environment {
        public static let natsURL = "MARKETPRISM_NATS_URL"
        public static let natsUser = "MARKETPRISM_NATS_USER"
        public static let natsPassword = "MARKETPRISM_NATS_PASSWORD"
        public static let natsToken = "MARKETPRISM_NATS_TOKEN"
        public static let natsCreds = "MARKETPRISM_NATS_CREDS"
        public static let apiHost = "MARKETPRISM_API_HOST"
        public static let apiPort = "MARKETPRISM_API_PORT"
        public static let apiToken = "MARKETPRISM_API_TOKEN"
        public static let recordingDir = "MARKETPRISM_RECORDING_DIR"
        /// `MARKETPRISM_BINANCE_PROXY`, `MARKETPRISM_BINANCE_FUTURES_PROXY`, `MARKETPRISM_OKX_PROXY`, ...
        public static func proxy(_ venue: Venue) -> String { "MARKETPRISM_\(venue.rawValue.uppercased())_PROXY" }
    }

    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError)
        -> CollectorConfiguration
    {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, line: nil, path: "", problem: .unreadable(reason: "\(error.localizedDescription)"))
        }
        return try parse(text, file: path, environment: environment)
    }

    public static func parse(_ text: String, file: String, environment: [String: String] = [:]) throws(ConfigError)
        -> CollectorConfiguration
    {
        let root = try YAMLReader.parse(text, file: file)
        try root.requireKeys(in: topLevelKeys)
        var config = CollectorConfiguration(venues: [], source: file)
        config.seed = try root.optional("seed").map { r throws(ConfigError) in UInt64(max(0, try r.int())) } ?? 1
        config.reliability = try reliability(root.optional("reliability"))
        let venuesNode = try root.required("venues")
        let venueItems = try venuesNode.items
        guard !venueItems.isEmpty else { throw venuesNode.error(.invalidValue(expected: "at least one venue", found: "an empty list")) }
        var seen: [Venue] = []
        for item in venueItems {
            let feed = try venue(item, environment: environment)
            if seen.contains(feed.venue) {
                throw item.error(.invalidValue(expected: "each exchange once", found: feed.venue.rawValue), at: "\(item.path).exchange")
            }
            seen.append(feed.venue)
            config.venues.append(feed)
        }
        config.nats = try nats(root.optional("nats"))
        config.publisher = try publisher(root.optional("publisher"))
        if config.nats != nil, config.publisher.sink == .inProcess, try root.optional("publisher")?.optional("sink") == nil {
            config.publisher.sink = .nats  // a nats section without a sink choice means: publish there
        }
        if let books = try root.optional("books") {
            try books.requireKeys(in: ["depth", "max_buffered_updates"])
            if let depth = try books.optional("depth") {
                let n = try depth.int()
                guard (1...5_000).contains(n) else { throw depth.error(.invalidValue(expected: "1...5000", found: "\(n)")) }
                config.books.publishedDepth = n
            }
            if let buffered = try books.optional("max_buffered_updates") {
                let n = try buffered.int()
                guard n > 0 else { throw buffered.error(.invalidValue(expected: "a positive integer", found: "\(n)")) }
                config.books.maxBufferedUpdates = n
            }
        }
        config.api = try api(root.optional("api"))
        config.recording = try recording(root.optional("recording"))
        try applyEnvironment(environment, to: &config, file: file)
        if config.publisher.sink == .nats && config.nats == nil {
            throw ConfigError(file: file, line: try root.optional("publisher")?.line, path: "publisher.sink",
                              problem: .invalidValue(expected: "a nats section (or MARKETPRISM_NATS_URL) for sink nats", found: "nats"))
        }
        return config
    }

    // MARK: - Sections

    static func venue(_ r: YAMLReader, environment: [String: String]) throws(ConfigError) -> VenueFeedConfiguration {
        try r.requireKeys(in: ["exchange", "channels", "symbols", "websocket_url", "rest_url", "proxy", "instruments", "ca_file"])
        let exchange = try r.required("exchange")
        let venue = Venue(rawValue: try exchange.oneOf(Venue.allCases.map(\.rawValue)))!
        let channelsNode = try r.required("channels")
        var channels: [Exchanges.Channel] = []
        for c in try channelsNode.items {
            let name = try c.string()
            guard let channel = Exchanges.Channel(name: name) else {
                throw c.error(.invalidValue(expected: "trades, book, ticker, kline_<interval>, funding, liquidations or open_interest", found: name))
            }
            channels.append(channel)
        }
        guard !channels.isEmpty else { throw channelsNode.error(.invalidValue(expected: "at least one channel", found: "an empty list")) }
        let symbolsNode = try r.required("symbols")
        var symbols: [String] = []
        for s in try symbolsNode.items {
            let name = try s.string()
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == "/" || $0 == "\"" }) else {
                throw s.error(.invalidValue(expected: "the venue's native instrument name, e.g. BTCUSDT or BTC-USDT", found: name))
            }
            symbols.append(name)
        }
        guard !symbols.isEmpty else { throw symbolsNode.error(.invalidValue(expected: "at least one symbol", found: "an empty list")) }
        var feed = VenueFeedConfiguration(subscription: Subscription(venue: venue, channels: channels, instruments: symbols))
        if let ws = try r.optional("websocket_url") { feed.websocketOrigin = try origin(ws, schemes: ["ws", "wss"]) }
        if let rest = try r.optional("rest_url") { feed.restOrigin = try origin(rest, schemes: ["http", "https"]) }
        if let proxy = try r.optional("proxy") { feed.proxy = try proxySetting(proxy, try proxy.string()) }
        if let value = environment[Environment.proxy(venue)], !value.isEmpty {
            feed.proxy = try proxySetting(nil, value, variable: Environment.proxy(venue))
        }
        if let instruments = try r.optional("instruments") { feed.fetchInstruments = try instruments.oneOf(["fetch", "naming"]) == "fetch" }
        if let ca = try r.optional("ca_file") { feed.caFile = try existingFile(ca) }
        return feed
    }

    /// `scheme://host[:port][/prefix]`: the venue's own path and query are appended to it (so
    /// `ws://127.0.0.1:9443/binance` reaches `marketprism serve`'s `/binance/stream?streams=...`).
    static func origin(_ r: YAMLReader, schemes: [String]) throws(ConfigError) -> String {
        var text = try r.string()
        while text.hasSuffix("/") { text.removeLast() }
        let expected = "a \(schemes.joined(separator: " or ")) URL like \(schemes[0])://127.0.0.1:9443[/prefix] (no query)"
        guard let url = try? TransportURL(text), schemes.contains(url.scheme), !text.contains("?"), !text.contains("#") else {
            throw r.error(.invalidValue(expected: expected, found: text))
        }
        return text
    }

    static func proxySetting(_ r: YAMLReader?, _ text: String, variable: String? = nil) throws(ConfigError) -> String {
        do {
            _ = try ProxyPolicy(configured: text, environment: [:])
        } catch {
            let problem = ConfigError.Problem.invalidValue(expected: "direct, none, or a proxy URL like socks5h://host:1080", found: text)
            if let r { throw r.error(problem) }
            throw ConfigError(file: "environment", line: nil, path: variable ?? "proxy", problem: problem)
        }
        return text
    }

    static func existingFile(_ r: YAMLReader) throws(ConfigError) -> String {
        let path = try r.string()
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw r.error(.invalidValue(expected: "a readable file", found: path))
        }
        return path
    }

    static func nats(_ r: YAMLReader?) throws(ConfigError) -> NATSSettings? {
        guard let r else { return nil }
        try r.requireKeys(in: ["urls", "user", "password", "token", "creds_file", "tls", "stream", "duplicate_window", "storage"])
        var urls: [String] = []
        let urlsNode = try r.required("urls")
        for u in try urlsNode.items {
            let text = try u.string()
            guard text.hasPrefix("nats://") || text.hasPrefix("tls://") else {
                throw u.error(.invalidValue(expected: "a nats:// or tls:// URL", found: text))
            }
            urls.append(text)
        }
        guard !urls.isEmpty else { throw urlsNode.error(.invalidValue(expected: "at least one URL", found: "an empty list")) }
        var connection = NATSConnectionOptions(urls: urls, name: "marketprism-collector")
        connection.user = try r.optional("user")?.string()
        connection.password = try r.optional("password")?.string()
        connection.token = try r.optional("token")?.string()
        if let creds = try r.optional("creds_file") { connection.credentialsFile = try existingFile(creds) }
        if let tls = try r.optional("tls") {
            try tls.requireKeys(in: ["ca_file", "cert_file", "key_file", "hostname"])
            connection.tls = NATSTransport.TLSOptions(
                caFile: try tls.optional("ca_file").map { x throws(ConfigError) in try existingFile(x) },
                certificateFile: try tls.optional("cert_file").map { x throws(ConfigError) in try existingFile(x) },
                keyFile: try tls.optional("key_file").map { x throws(ConfigError) in try existingFile(x) },
                expectedHostname: try tls.optional("hostname")?.string())
        }
        var stream = StreamConfiguration()
        if let name = try r.optional("stream") {
            let text = try name.string()
            guard !text.isEmpty, text.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw name.error(.invalidValue(expected: "a stream name of letters, digits, _ and -", found: text))
            }
            stream.name = text
        }
        if let window = try r.optional("duplicate_window") {
            let ns = try window.durationNanoseconds()
            guard ns >= 1_000_000_000 else { throw window.error(.invalidValue(expected: "at least 1s", found: DurationText.format(ns))) }
            stream.duplicateWindow = Nanoseconds(ns)
        }
        if let storage = try r.optional("storage") { stream.storage = try storage.oneOf(["file", "memory"]) == "file" ? .file : .memory }
        return NATSSettings(connection: connection, stream: stream)
    }

    static func publisher(_ r: YAMLReader?) throws(ConfigError) -> PublisherSettings {
        var settings = PublisherSettings()
        guard let r else { return settings }
        try r.requireKeys(in: ["sink", "ndjson_path", "max_in_flight", "memory_limit_messages", "memory_limit_bytes", "ack_timeout", "spool_dir"])
        var core = PublisherCore.Configuration()
        func positive(_ key: String, _ current: Int) throws(ConfigError) -> Int {
            guard let node = try r.optional(key) else { return current }
            let n = try node.int()
            guard n > 0 else { throw node.error(.invalidValue(expected: "a positive integer", found: "\(n)")) }
            return n
        }
        let inFlight = try positive("max_in_flight", core.maxInFlight)
        let messages = try positive("memory_limit_messages", core.memoryLimitMessages)
        let bytes = try positive("memory_limit_bytes", core.memoryLimitBytes)
        var ackTimeout = core.ackTimeout
        if let t = try r.optional("ack_timeout") {
            let ns = try t.durationNanoseconds()
            guard ns > 0 else { throw t.error(.invalidValue(expected: "a positive duration", found: "0")) }
            ackTimeout = Nanoseconds(ns)
        }
        core = PublisherCore.Configuration(
            maxInFlight: inFlight, memoryLimitMessages: messages, memoryLimitBytes: bytes, ackTimeout: ackTimeout)
        settings.core = core
        let ndjson = try r.optional("ndjson_path")?.string()
        if let sink = try r.optional("sink") {
            switch try sink.oneOf(["nats", "ndjson", "in_process"]) {
            case "nats": settings.sink = .nats
            case "ndjson":
                guard let ndjson else { throw sink.error(.missingKey, at: "publisher.ndjson_path") }
                settings.sink = .ndjson(path: ndjson)
            default: settings.sink = .inProcess
            }
        } else if let ndjson {
            settings.sink = .ndjson(path: ndjson)
        }
        settings.spoolDirectory = try r.optional("spool_dir")?.string()
        return settings
    }

    static func api(_ r: YAMLReader?) throws(ConfigError) -> APISettings {
        var settings = APISettings()
        guard let r else { return settings }
        try r.requireKeys(in: ["host", "port", "token"])
        if let host = try r.optional("host") { settings.host = try host.string() }
        if let port = try r.optional("port") { settings.port = try portNumber(port) }
        settings.bearerToken = try r.optional("token")?.string()
        return settings
    }

    static func portNumber(_ r: YAMLReader) throws(ConfigError) -> Int {
        let n = try r.int()
        guard (0...65_535).contains(n) else { throw r.error(.invalidValue(expected: "a port in 0...65535", found: "\(n)")) }
        return n
    }

    static func recording(_ r: YAMLReader?) throws(ConfigError) -> RecordingSettings? {
        guard let r else { return nil }
        try r.requireKeys(in: ["dir", "rotate_bytes", "rotate_after", "compression_level"])
        var settings = RecordingSettings(directory: try r.required("dir").string())
        if let bytes = try r.optional("rotate_bytes") {
            let n = try bytes.int()
            guard n >= 1 << 16 else { throw bytes.error(.invalidValue(expected: "at least 65536 bytes", found: "\(n)")) }
            settings.rotateAfterBytes = Int64(n)
        }
        if let after = try r.optional("rotate_after") {
            let ns = try after.durationNanoseconds()
            guard ns >= 1_000_000_000 else { throw after.error(.invalidValue(expected: "at least 1s", found: DurationText.format(ns))) }
            settings.rotateAfterNanoseconds = ns
        }
        if let level = try r.optional("compression_level") {
            let n = try level.int()
            guard (1...19).contains(n) else { throw level.error(.invalidValue(expected: "1...19", found: "\(n)")) }
            settings.compressionLevel = Int32(n)
        }
        return settings
    }

    /// Reliability's own parser reads the section; its key-path errors get the line of that key here.
    static func reliability(_ r: YAMLReader?) throws(ConfigError) -> ReliabilityConfig {
        guard let r else { return .defaults }
        do {
            return try YAMLDecoder().decode(ReliabilityConfig.self, from: r.node)
        } catch {
            let problem = ReliabilityConfigError.unwrap(error)
            let keyPath = problem?.keyPath ?? "reliability"
            let node = locate(keyPath: keyPath, in: r)
            let described: ConfigError.Problem
            switch problem?.problem {
            case .invalidValue(let requirement, let got)?: described = .invalidValue(expected: "a value that \(requirement)", found: got)
            case .unknownKey(let allowed)?: described = .unknownKey(allowed: allowed)
            case .wrongType(let expected)?: described = .wrongType(expected: expected, found: "something else")
            case nil: described = .syntax(reason: "\(error)")
            }
            throw ConfigError(file: r.file, line: node.mark?.line, column: node.mark?.column, path: keyPath, problem: described)
        }
    }

    /// The key node of the deepest key found along `reliability.a.b.c`: its line is where to look.
    static func locate(keyPath: String, in r: YAMLReader) -> Node {
        var node = r.node
        var found = r.node
        for part in keyPath.split(separator: ".").dropFirst() {
            guard case .mapping(let mapping) = node, let pair = mapping.first(where: { $0.key.string == String(part) }) else { break }
            found = pair.key
            node = pair.value
        }
        return found
    }

    // MARK: - Environment

    static func applyEnvironment(_ env: [String: String], to config: inout CollectorConfiguration, file: String) throws(ConfigError) {
        func envError(_ name: String, _ expected: String, _ found: String) -> ConfigError {
            ConfigError(file: "environment", line: nil, path: name, problem: .invalidValue(expected: expected, found: found))
        }
        if let urls = env[Environment.natsURL], !urls.isEmpty {
            let list = NATSConnectionOptions(urlList: urls).urls
            guard !list.isEmpty, list.allSatisfy({ $0.hasPrefix("nats://") || $0.hasPrefix("tls://") }) else {
                throw envError(Environment.natsURL, "comma-separated nats:// or tls:// URLs", urls)
            }
            var nats = config.nats ?? NATSSettings(connection: NATSConnectionOptions(urls: list, name: "marketprism-collector"))
            nats.connection.urls = list
            config.nats = nats
            config.publisher.sink = .nats
        }
        if config.nats != nil {
            if let v = env[Environment.natsUser] { config.nats!.connection.user = v }
            if let v = env[Environment.natsPassword] { config.nats!.connection.password = v }
            if let v = env[Environment.natsToken] { config.nats!.connection.token = v }
            if let v = env[Environment.natsCreds] { config.nats!.connection.credentialsFile = v }
        }
        if let v = env[Environment.apiHost], !v.isEmpty { config.api.host = v }
        if let v = env[Environment.apiPort], !v.isEmpty {
            guard let port = Int(v), (0...65_535).contains(port) else { throw envError(Environment.apiPort, "a port in 0...65535", v) }
            config.api.port = port
        }
        if let v = env[Environment.apiToken], !v.isEmpty { config.api.bearerToken = v }
        if let v = env[Environment.recordingDir], !v.isEmpty {
            var recording = config.recording ?? RecordingSettings(directory: v)
            recording.directory = v
            config.recording = recording
        }
    }
}
