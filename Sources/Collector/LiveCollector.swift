import CollectorControl
import Exchanges
import Foundation
import Live
import Logging
import Model
import NATSTransport
import Publishing
import Recording
import Reliability
import ServiceLifecycle
import Stack

/// How a `LiveCollector` runs beyond its configuration.
public struct LiveCollectorOptions: Sendable {
    /// Receives the canonical output lines (published messages and stack events, as `replay --output`
    /// writes them), in order per feed. For tests and `collect --output`.
    public var output: (@Sendable (String) -> Void)?
    public var logger: Logger
    public var environment: [String: String]
    /// Use this sink instead of the configured one (tests).
    public var sink: LiveSink?
    /// Record everything received here (overrides the config's recording section).
    public var recordDirectory: String?
    /// How often the timer thread looks at the stacks' deadlines.
    public var tickInterval: Nanoseconds
    public var toolVersion: String
    /// The NATS subject answering subscription commands (when a nats section exists); nil turns it off.
    public var commandSubject: String?

    public init(
        output: (@Sendable (String) -> Void)? = nil, logger: Logger = Logger(label: "marketprism.collector"),
        environment: [String: String] = ProcessInfo.processInfo.environment, sink: LiveSink? = nil,
        recordDirectory: String? = nil, tickInterval: Nanoseconds = .milliseconds(5), toolVersion: String = "marketprism 0.1.0",
        commandSubject: String? = CommandResponder.defaultSubject
    ) {
        self.commandSubject = commandSubject
        self.output = output
        self.logger = logger
        self.environment = environment
        self.sink = sink
        self.recordDirectory = recordDirectory
        self.tickInterval = tickInterval
        self.toolVersion = toolVersion
    }
}

/// Why the collector could not start.
public enum CollectorStartError: Error, CustomStringConvertible, Sendable {
    case sink(String)
    case recording(path: String, RecordingError)
    case proxy(venue: String, TransportError)

    public var description: String {
        switch self {
        case .sink(let text): return "cannot open the publisher: \(text)"
        case .recording(let path, let error): return "cannot record to \(path): \(error)"
        case .proxy(let venue, let error): return "\(venue): proxy setting: \(error)"
        }
    }
}

/// What a stop left behind.
public struct CollectorStopSummary: Sendable {
    /// Every published message reached the sink's destination before the timeout.
    public var drained: Bool
    public var publisher: PublisherStats
    /// Finished recording files, per feed in config order.
    public var recordings: [String]
}

/// The live collector: one `CollectorStack` per configured venue feed on real sockets, the wall
/// clock, one sink for all feeds, an optional recorder, and the `CollectorControl` the HTTP API uses.
/// A swift-service-lifecycle `Service`: `run()` starts it and stops it gracefully on shutdown.
public final class LiveCollector: CollectorControl, Service, @unchecked Sendable {
    public let configuration: CollectorConfiguration
    public let sink: LiveSink
    private let feeds: [VenueFeed]
    private let observers = BookObservers()
    private let options: LiveCollectorOptions
    private let logger: Logger
    private let publisherMetrics = PublisherMetrics()
    private let stateLock = NSCondition()
    private var running = false
    private var timerDone = true
    private var stopped = false
    private var summary: CollectorStopSummary?
    private let startedMono = LiveClock.monotonicNanoseconds()
    private var responder: CommandResponder?
    /// Timer thread only.
    private var brokerWatch = BrokerLinkWatch()

    public init(configuration: CollectorConfiguration, options: LiveCollectorOptions = LiveCollectorOptions()) throws {
        self.configuration = configuration
        self.options = options
        logger = options.logger
        if let sink = options.sink {
            self.sink = sink
        } else {
            do {
                switch configuration.publisher.sink {
                case .inProcess: self.sink = InProcessLiveSink()
                case .ndjson(let path): self.sink = try NDJSONLiveSink(path: path)
                case .nats:
                    guard let nats = configuration.nats else { throw CollectorStartError.sink("sink nats needs a nats section") }
                    self.sink = try JetStreamLiveSink(
                        settings: nats, core: configuration.publisher.core, spoolDirectory: configuration.publisher.spoolDirectory)
                }
            } catch let error as CollectorStartError {
                throw error
            } catch {
                throw CollectorStartError.sink("\(error)")
            }
        }
        var recording = configuration.recording
        if let dir = options.recordDirectory {
            recording = RecordingSettings(
                directory: dir, rotateAfterBytes: recording?.rotateAfterBytes, rotateAfterNanoseconds: recording?.rotateAfterNanoseconds,
                compressionLevel: recording?.compressionLevel ?? 3)
        }
        var feeds: [VenueFeed] = []
        for venueConfig in configuration.venues {
            let startNs = LiveClock.wallNanoseconds()
            var recorder: FeedRecorder?
            if let recording {
                do {
                    recorder = try FeedRecorder(
                        directory: recording.directory, venue: venueConfig.venue, subscriptionJSON: venueConfig.subscription.json,
                        settings: recording, startWallNs: startNs, toolVersion: options.toolVersion)
                } catch {
                    throw CollectorStartError.recording(path: recording.directory, error)
                }
            }
            let catalog = Self.catalog(for: venueConfig, recorder: recorder, environment: options.environment, logger: logger)
            let stack = StackConfiguration(
                subscription: venueConfig.subscription, catalog: catalog, books: configuration.books,
                reliability: configuration.reliability[venueConfig.venue], broker: configuration.reliability.broker,
                seed: configuration.seed)
            do {
                feeds.append(try VenueFeed(
                    configuration: venueConfig, stack: stack, sink: sink, recorder: recorder, observers: observers,
                    output: options.output, logger: logger, environment: options.environment))
            } catch {
                throw CollectorStartError.proxy(venue: venueConfig.venue.rawValue, error)
            }
        }
        self.feeds = feeds
    }

    /// The venue's instruments: fetched (and recorded, so replay builds the same catalog) when
    /// configured, else the naming rules; a failed fetch falls back to the naming rules too.
    static func catalog(for venue: VenueFeedConfiguration, recorder: FeedRecorder?, environment: [String: String], logger: Logger)
        -> InstrumentCatalog
    {
        var catalog = InstrumentCatalog(venue: venue.venue)
        guard venue.fetchInstruments else { return catalog }
        let requests: [RestRequest]
        switch venue.venue {
        case .binance: requests = BinanceSpotAdapter(subscription: venue.subscription, catalog: catalog).instrumentsRequests()
        case .binanceFutures: requests = BinanceFuturesAdapter(subscription: venue.subscription, catalog: catalog).instrumentsRequests()
        case .okx: requests = OKXAdapter(subscription: venue.subscription, catalog: catalog).instrumentsRequests()
        case .deribit: requests = DeribitAdapter(subscription: venue.subscription, catalog: catalog).instrumentsRequests()
        }
        let policy = (try? ProxyPolicy(configured: venue.proxy, environment: environment)) ?? ProxyPolicy()
        let tls = venue.caFile.map { Live.TLSOptions(caFile: $0) } ?? .systemTrust
        let options = CurlRestClient.Options(timeoutMilliseconds: 10_000, tls: tls, proxyPolicy: policy)
        for request in requests {
            let url = replacingOrigin(of: request.url, with: venue.restOrigin)
            guard case .success(let response) = RestWorker.fetchOnce(url, options: options, timeoutMilliseconds: 10_000),
                response.status == 200
            else {
                logger.warning("instrument list unavailable; using naming rules", metadata: ["url": "\(url)"])
                continue
            }
            let now = LiveClock.wallNanoseconds()
            recorder?.restResponse(url: request.url, method: request.method, status: response.status, headers: response.headers,
                                   body: response.body, wallNs: now, monoNs: LiveClock.monotonicNanoseconds())
            switch venue.venue {
            case .binance, .binanceFutures:
                if let c = try? InstrumentCatalog.binance(exchangeInfo: response.body, venue: venue.venue) {
                    for i in c.instruments { catalog.insert(i) }
                }
            case .okx: try? catalog.addOKXInstruments(response.body)
            case .deribit: try? catalog.addDeribitInstruments(response.body)
            }
        }
        return catalog
    }

    // MARK: - Running

    /// Starts every feed and the timer thread; returns at once.
    public func start() {
        stateLock.lock()
        guard !running && !stopped else {
            stateLock.unlock()
            return
        }
        running = true
        timerDone = false
        stateLock.unlock()
        for feed in feeds { feed.start() }
        let thread = Thread { [self] in timerLoop() }
        thread.name = "marketprism-collector-timer"
        thread.start()
        if let nats = configuration.nats, options.commandSubject != nil {
            startCommandResponder(nats.connection)
        }
        logger.info("collector started", metadata: ["venues": "\(feeds.map(\.venue.rawValue).joined(separator: ","))", "sink": "\(sink.name)"])
    }

    /// Dynamic subscriptions over NATS request/reply; a broker that is down now only loses the command channel.
    private func startCommandResponder(_ connection: NATSConnectionOptions) {
        let responder = CommandResponder(connection: connection, subject: options.commandSubject ?? CommandResponder.defaultSubject) {
            [weak self] request in
            guard let self else { return Array("{\"ok\":false,\"error\":\"collector stopped\"}".utf8) }
            return SubscriptionCommand.answer(request, control: self)
        }
        do {
            try responder.start()
            stateLock.lock()
            self.responder = responder
            stateLock.unlock()
            logger.info("command subject ready", metadata: ["subject": "\(responder.subject)"])
        } catch {
            logger.warning("command subject unavailable", metadata: ["error": "\(error)"])
        }
    }

    /// Stops gracefully: closes the connections, drains the publisher, finishes the recordings.
    /// Idempotent; later calls return the first summary.
    @discardableResult
    public func stop(drainTimeout: Nanoseconds = .seconds(10)) -> CollectorStopSummary {
        stateLock.lock()
        if let summary {
            stateLock.unlock()
            return summary
        }
        running = false
        stopped = true
        stateLock.broadcast()
        while !timerDone { stateLock.wait() }
        let responder = self.responder
        self.responder = nil
        stateLock.unlock()
        responder?.close()
        for feed in feeds { feed.stop() }
        let drained = sink.drain(timeout: drainTimeout)
        let stats = sink.stats
        sink.close()
        var paths: [String] = []
        for feed in feeds { paths += feed.closeRecorder() }
        for feed in feeds { feed.publishMetrics() }
        let result = CollectorStopSummary(drained: drained, publisher: stats, recordings: paths)
        logger.info("collector stopped", metadata: [
            "drained": "\(drained)", "published": "\(stats.published)", "lost": "\(stats.lost)", "recordings": "\(paths.count)",
        ])
        stateLock.lock()
        summary = result
        stateLock.unlock()
        return result
    }

    /// `Service`: runs until graceful shutdown (SIGINT/SIGTERM through the ServiceGroup), then stops.
    public func run() async throws {
        start()
        try? await gracefulShutdown()
        // Stopping blocks (joins threads, drains): keep it off the cooperative pool.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                stop()
                continuation.resume()
            }
            thread.start()
        }
    }

    /// How often the broker link's health is handed to the stacks' breakers.
    static let brokerPollInterval: Int64 = 50_000_000

    private func timerLoop() {
        var lastMetrics = LiveClock.monotonicNanoseconds()
        var lastBrokerPoll = lastMetrics
        while true {
            stateLock.lock()
            let go = running
            stateLock.unlock()
            guard go else { break }
            for feed in feeds { feed.tick() }
            let mono = LiveClock.monotonicNanoseconds()
            if mono - lastBrokerPoll >= Self.brokerPollInterval, let link = sink.brokerHealth {
                lastBrokerPoll = mono
                let outcomes = brokerWatch.observe(link, monotonicNs: mono)
                if !outcomes.isEmpty { for feed in feeds { feed.brokerOutcomes(outcomes) } }
            }
            if mono - lastMetrics >= 1_000_000_000 {
                lastMetrics = mono
                sink.tick()
                for feed in feeds { feed.publishMetrics() }
                publisherMetrics.update(sink.stats, connected: sink.isConnected)
            }
            LiveClock.sleep(nanoseconds: options.tickInterval.value)
        }
        stateLock.lock()
        timerDone = true
        stateLock.broadcast()
        stateLock.unlock()
    }

    // MARK: - Reading

    /// Receive-to-publish latency over every feed since start.
    public var latencyHistogram: LatencyHistogram {
        var total = LatencyHistogram()
        for feed in feeds { total.merge(feed.latencySnapshot) }
        return total
    }

    public var latencySummary: LatencySummary {
        let h = latencyHistogram
        return LatencySummary(
            count: Int(h.count), p50Us: Double(h.percentile(0.5)) / 1_000, p99Us: Double(h.percentile(0.99)) / 1_000,
            maxUs: Double(h.maxNanoseconds) / 1_000)
    }

    /// Frames, bytes and gaps over every feed (the `record` progress line).
    public var frameTotals: (frames: Int, bytes: Int, gaps: Int) {
        feeds.reduce((0, 0, 0)) { acc, f in
            let t = f.frameTotals
            return (acc.0 + t.frames, acc.1 + t.bytes, acc.2 + t.gaps)
        }
    }

    /// A recorder that failed (disk full, ...) and why.
    public var recorderFailures: [String] { feeds.compactMap { f in f.recorderFailure.map { "\(f.venue.rawValue): \($0)" } } }

    private func feed(_ exchange: String) -> VenueFeed? { feeds.first { $0.venue.rawValue == exchange } }

    // MARK: - CollectorControl

    public func health() -> HealthReport {
        let now = LiveClock.wallNanoseconds()
        var reasons = feeds.flatMap { $0.healthReasons(nowWallNs: now) }
        if !sink.isConnected {
            reasons.append(HealthReason(exchange: "*", stream: "broker", problem: "broker_down", detail: brokerDownDetail()))
        }
        return HealthReport(reasons: reasons)
    }

    /// `nats: <why> (down 2.4 s, 130 buffered)`: what an operator needs to see first.
    private func brokerDownDetail() -> String {
        guard let link = sink.brokerHealth else { return sink.name }
        var text = "\(sink.name): \(link.lastError ?? "not connected yet")"
        var parts: [String] = []
        if let since = link.downSinceMonotonicNs {
            let seconds = Double(max(0, LiveClock.monotonicNanoseconds() - since)) / 1e9
            parts.append("down \((seconds * 10).rounded() / 10) s")
        }
        parts.append("\(link.buffered) buffered")
        if link.lost > 0 { parts.append("\(link.lost) lost") }
        text += " (" + parts.joined(separator: ", ") + ")"
        return text
    }

    public func status() -> CollectorStatus {
        let stats = sink.stats
        let link = sink.brokerHealth
        let recordings = feeds.compactMap(\.recordingStatus)
        let recording = recordings.first.map { first in
            RecordingStatus(
                directory: first.directory, currentFile: recordings.map(\.currentFile).joined(separator: ","),
                records: recordings.map(\.records).reduce(0, +), bytesIn: recordings.map(\.bytesIn).reduce(0, +),
                bytesOut: recordings.map(\.bytesOut).reduce(0, +))
        }
        return CollectorStatus(
            uptimeSeconds: Double(LiveClock.monotonicNanoseconds() - startedMono) / 1e9, venues: feeds.map { $0.status() },
            publisher: PublisherStatus(
                sink: sink.name, brokerConnected: sink.isConnected, published: stats.published, acked: stats.acked,
                inFlight: stats.inFlight, buffered: stats.buffered, spooled: stats.spooled, lost: stats.lost,
                brokerLastError: link?.lastError,
                brokerDownSeconds: link?.downSinceMonotonicNs.map { Double(max(0, LiveClock.monotonicNanoseconds() - $0)) / 1e9 },
                brokerConnectionsLost: link?.connectionsLost ?? 0, brokerConnectFailures: link?.connectAttemptsFailed ?? 0,
                publishFailures: link?.publishFailures ?? 0),
            latency: latencySummary, recording: recording)
    }

    public func orderBook(exchange: String, symbol: String, depth: Int) -> OrderBookView? {
        feed(exchange)?.orderBook(symbol: symbol, depth: depth)
    }

    public func subscribe(_ request: SubscriptionRequest) -> SubscriptionResult { change(request, adding: true) }

    public func unsubscribe(_ request: SubscriptionRequest) -> SubscriptionResult { change(request, adding: false) }

    private func change(_ request: SubscriptionRequest, adding: Bool) -> SubscriptionResult {
        func failure(_ text: String) -> SubscriptionResult {
            SubscriptionResult(ok: false, exchange: request.exchange, changed: [], error: text)
        }
        guard let feed = feed(request.exchange) else {
            return failure("no feed for exchange '\(request.exchange)'; running: \(feeds.map(\.venue.rawValue).joined(separator: ", "))")
        }
        let symbols = request.symbols.filter { !$0.isEmpty }
        guard !symbols.isEmpty else { return failure("symbols must name at least one instrument") }
        var channels: [Exchanges.Channel] = []
        if let names = request.channels, !names.isEmpty {
            for name in names {
                guard let channel = Exchanges.Channel(name: name) else { return failure("unknown channel '\(name)'") }
                channels.append(channel)
            }
        } else {
            channels = feed.configuration.subscription.entries.map(\.channel)
        }
        let entries = channels.map { Subscription.Entry(channel: $0, instruments: symbols) }
        let change = feed.changeSubscription(adding: adding ? entries : [], removing: adding ? [] : entries)
        logger.info(adding ? "subscribed" : "unsubscribed", metadata: [
            "exchange": "\(request.exchange)", "changed": "\(change.changedPairs.joined(separator: ","))",
        ])
        return SubscriptionResult(ok: true, exchange: request.exchange, changed: change.changedPairs)
    }

    public func observeBooks(_ handler: @escaping @Sendable (OrderBookView) -> Void) -> BookObservation {
        let token = observers.add(handler)
        return BookObservation { [observers] in observers.remove(token) }
    }
}
