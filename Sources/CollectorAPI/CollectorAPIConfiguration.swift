/// Where the API listens and what it accepts. Loopback by default: the API can steer the
/// collector (subscriptions), so exposing it is an explicit choice.
public struct CollectorAPIConfiguration: Sendable, Equatable {
    public var host: String
    /// 0 picks a free port; `CollectorAPIServer.listeningPort()` tells which.
    public var port: Int
    /// When set, every route (websocket upgrade included) needs `Authorization: Bearer <token>`.
    public var bearerToken: String?
    /// Levels a side when `?depth=` is absent, and the most a client may ask for.
    public var defaultDepth: Int
    public var maxDepth: Int
    /// Book updates waiting for one websocket client; beyond it the oldest update is dropped (and counted).
    public var websocketQueueCapacity: Int
    /// Largest websocket message accepted from a client, and largest frame sent (bigger ones are fragmented).
    public var websocketMaxMessageBytes: Int
    /// Largest request body accepted (subscription requests).
    public var maxRequestBodyBytes: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8086, bearerToken: String? = nil, defaultDepth: Int = 20,
        maxDepth: Int = 1000, websocketQueueCapacity: Int = 1024, websocketMaxMessageBytes: Int = 1 << 16,
        maxRequestBodyBytes: Int = 1 << 16
    ) {
        self.host = host
        self.port = port
        self.bearerToken = bearerToken
        self.defaultDepth = defaultDepth
        self.maxDepth = maxDepth
        self.websocketQueueCapacity = websocketQueueCapacity
        self.websocketMaxMessageBytes = websocketMaxMessageBytes
        self.maxRequestBodyBytes = maxRequestBodyBytes
    }
}
