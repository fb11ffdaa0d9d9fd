import CollectorControl
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle

/// The collector's HTTP API as a swift-service-lifecycle `Service`: add it to the collector's
/// `ServiceGroup` and it stops with the group (graceful shutdown closes websockets with 1000).
///
///     let api = CollectorAPIServer(control: collector, configuration: .init(port: 0))
///     // in a ServiceGroup, or: async let _ = api.run()
///     let port = try await api.listeningPort()
public final class CollectorAPIServer: Service, Sendable {
    public let configuration: CollectorAPIConfiguration
    private let control: any CollectorControl
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private let binding = NIOLockedValueBox(Binding())

    private struct Binding {
        var port: Int?
        var ended = false
        var waiters: [CheckedContinuation<Int, any Error>] = []
    }

    /// `registry` is what `/metrics` serves: by default the process's swift-metrics registry
    /// (installed on first use, see `MetricsBootstrap`).
    public init(
        control: any CollectorControl, configuration: CollectorAPIConfiguration = CollectorAPIConfiguration(),
        registry: PrometheusCollectorRegistry = MetricsBootstrap.install(),
        logger: Logger = Logger(label: "marketprism.api")
    ) {
        self.control = control
        self.configuration = configuration
        self.registry = registry
        self.logger = logger
    }

    public enum ServerError: Error, Equatable {
        /// `run()` returned or failed before the server listened (port in use, bad host...).
        case stoppedBeforeListening(host: String, port: Int)
    }

    /// Serves until the task is cancelled or the service group shuts down gracefully.
    public func run() async throws {
        let routes = CollectorAPIRoutes(control: control, configuration: configuration, registry: registry)
        let app = Application(
            router: routes.httpRouter(),
            server: .http1WebSocketUpgrade(
                webSocketRouter: routes.webSocketRouter(),
                configuration: .init(
                    http1: .init(idleTimeout: .seconds(120)),
                    ws: .init(maxFrameSize: configuration.websocketMaxMessageBytes))),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "marketprism"),
            onServerRunning: { [binding, logger, configuration] channel in
                let port = channel.localAddress?.port ?? configuration.port
                logger.info("collector API listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
                let waiters = binding.withLockedValue { b -> [CheckedContinuation<Int, any Error>] in
                    b.port = port
                    defer { b.waiters = [] }
                    return b.waiters
                }
                for waiter in waiters { waiter.resume(returning: port) }
            },
            logger: logger)
        defer { finish() }
        try await app.run()
    }

    /// The port the server listens on, once it does (the real one when configured with port 0).
    /// Throws `ServerError.stoppedBeforeListening` if `run()` ends first.
    public func listeningPort() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready = binding.withLockedValue { b -> Result<Int, any Error>? in
                if let port = b.port { return .success(port) }
                if b.ended {
                    return .failure(ServerError.stoppedBeforeListening(host: configuration.host, port: configuration.port))
                }
                b.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    private func finish() {
        let waiters = binding.withLockedValue { b -> [CheckedContinuation<Int, any Error>] in
            b.ended = true
            defer { b.waiters = [] }
            return b.waiters
        }
        let error = ServerError.stoppedBeforeListening(host: configuration.host, port: configuration.port)
        for waiter in waiters { waiter.resume(throwing: error) }
    }
}
