import Foundation
import Model
import NATSTransport
import Publishing

/// Where the live stacks' deliveries go. Called from feed threads (under each feed's lock, so
/// concurrently for different feeds): implementations are thread-safe and never block for long.
public protocol LiveSink: AnyObject, Sendable {
    var name: String { get }
    /// Takes one message; false means it was refused and the stack should resend it later.
    func publish(_ message: OutboundMessage) -> Bool
    /// Whether messages reach their destination now (the broker's connection for NATS).
    var isConnected: Bool { get }
    var stats: PublisherStats { get }
    /// Periodic housekeeping from the timer thread (flush buffered file output).
    func tick()
    /// Waits until everything taken is stored, or the timeout passes; true if all settled.
    func drain(timeout: Nanoseconds) -> Bool
    func close()
    /// The broker link's story for a sink that has one (NATS), polled by the timer thread.
    var brokerHealth: ConnectionHealth? { get }
}

extension LiveSink {
    public var brokerHealth: ConnectionHealth? { nil }
}

/// What a sink reports for /status and metrics.
public struct PublisherStats: Sendable, Equatable {
    public var published = 0
    public var acked = 0
    public var inFlight = 0
    public var buffered = 0
    public var spooled = 0
    public var lost = 0
    public init() {}

    /// A synchronous sink's figures: everything taken is stored at once.
    static func stored(_ count: Int) -> PublisherStats {
        var s = PublisherStats()
        s.published = count
        s.acked = count
        return s
    }
}

/// Keeps every message in memory, in publish order (tests, and `record` without a broker).
public final class InProcessLiveSink: LiveSink, @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [OutboundMessage] = []
    public let keeps: Bool

    /// `keeps: false` counts messages without holding them (a long `record` session).
    public init(keeps: Bool = true) { self.keeps = keeps }

    public var name: String { "in_process" }
    public var isConnected: Bool { true }

    public func publish(_ message: OutboundMessage) -> Bool {
        lock.lock()
        if keeps { stored.append(message) }
        count += 1
        lock.unlock()
        return true
    }
    private var count = 0

    public var messages: [OutboundMessage] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }

    public var stats: PublisherStats {
        lock.lock()
        defer { lock.unlock() }
        return .stored(count)
    }

    public func tick() {}
    public func drain(timeout: Nanoseconds) -> Bool { true }
    public func close() {}
}

/// One NDJSON line per message (`{"subject","id","data"}`), through Publishing's file sink.
public final class NDJSONLiveSink: LiveSink, @unchecked Sendable {
    private let lock = NSLock()
    private var sink: NDJSONFileSink
    private var count = 0
    private var failures = 0

    public init(path: String) throws(SinkError) { sink = try NDJSONFileSink(path: path) }

    public var name: String { "ndjson" }
    public var isConnected: Bool { true }

    public func publish(_ message: OutboundMessage) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        do {
            try sink.write(message)
            count += 1
            return true
        } catch {
            failures += 1
            return false
        }
    }

    public var stats: PublisherStats {
        lock.lock()
        defer { lock.unlock() }
        return .stored(count)
    }

    public func tick() {
        lock.lock()
        try? sink.flush()
        lock.unlock()
    }

    public func drain(timeout: Nanoseconds) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        return (try? sink.flush()) != nil
    }

    public func close() {
        lock.lock()
        try? sink.close()
        lock.unlock()
    }
}

/// NATS JetStream through `JetStreamPublisher`, which owns the broker side: its own ordered resend
/// after reconnects, the dedup ids, the memory bound and the disk spool. Taking a message is
/// therefore final for the stack; a broker outage shows as `isConnected == false` and in `stats`.
public final class JetStreamLiveSink: LiveSink, @unchecked Sendable {
    public let publisher: JetStreamPublisher

    public init(settings: NATSSettings, core: PublisherCore.Configuration, spoolDirectory: String?,
                log: @escaping @Sendable (JetStreamPublisher.LogEvent) -> Void = JetStreamPublisher.standardErrorLog) throws {
        var configuration = JetStreamPublisher.Configuration(connection: settings.connection, stream: settings.stream)
        configuration.core = core
        // A live feed never waits for the broker: a full window spools (or is counted lost).
        configuration.backpressure = false
        let spool = try spoolDirectory.map { dir throws(SpoolError) in try DiskSpool(directory: dir) }
        publisher = JetStreamPublisher(configuration, spool: spool, log: log)
        try publisher.start()
    }

    public var name: String { "nats" }
    public var isConnected: Bool { publisher.isConnected }
    public var brokerHealth: ConnectionHealth? { publisher.health }

    public func publish(_ message: OutboundMessage) -> Bool {
        publisher.publish(encoded: message)
        return true
    }

    public var stats: PublisherStats {
        let core = publisher.stats
        var s = PublisherStats()
        s.published = core.published
        s.acked = core.acked
        s.inFlight = max(0, core.sent - core.acked - core.failures)
        s.buffered = core.buffered
        s.spooled = core.spooled
        s.lost = core.lost
        return s
    }

    public func tick() {}
    public func drain(timeout: Nanoseconds) -> Bool { publisher.flush(timeout: timeout) }
    public func close() { publisher.close() }
}
