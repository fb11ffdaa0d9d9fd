import Model

/// Where each venue lives on the server's one port.
///
/// Websocket paths get a venue prefix, because Binance spot and futures both use `/stream` and `/ws`
/// upstream: `/binance/stream`, `/binance_futures/ws`, `/okx/ws/v5/public`, `/deribit/ws/api/v2`. The
/// unprefixed upstream path is accepted too when only one served venue has it. REST keeps the venues' own
/// paths after the host (`/api/v3/depth`, `/fapi/v1/depth`, `/api/v5/market/books`, `/api/v2/public/...`),
/// which never overlap, because the collector replaces only `https://host` of its REST URLs.
public enum ServedPaths {
    /// `/binance`, `/binance_futures`, `/okx`, `/deribit`.
    public static func prefix(_ venue: Venue) -> String { "/" + venue.rawValue }

    /// The venue's own websocket paths.
    public static func upstreamWebSocketPaths(_ venue: Venue) -> [String] {
        switch venue {
        case .binance, .binanceFutures: return ["/stream", "/ws"]
        case .okx: return ["/ws/v5/public"]
        case .deribit: return ["/ws/api/v2"]
        }
    }

    /// The websocket path a client should use for a venue (prefixed).
    public static func webSocketPath(_ venue: Venue) -> String {
        prefix(venue) + upstreamWebSocketPaths(venue)[0]
    }

    /// The venue whose REST API a path belongs to.
    public static func restVenue(path: String) -> Venue? {
        if path.hasPrefix("/api/v3/") { return .binance }
        if path.hasPrefix("/fapi/") { return .binanceFutures }
        if path.hasPrefix("/api/v5/") { return .okx }
        if path.hasPrefix("/api/v2/") { return .deribit }
        return nil
    }

    /// Which venue and endpoint a websocket request path names, among the served venues.
    static func webSocketRoute(path: String, served: [Venue]) -> WebSocketRoute? {
        for venue in served {
            let prefix = prefix(venue)
            guard path.hasPrefix(prefix + "/") else { continue }
            if let route = upstreamRoute(String(path.dropFirst(prefix.count)), venue: venue) { return route }
        }
        // Unprefixed upstream paths, when exactly one served venue answers to them.
        let candidates = served.compactMap { upstreamRoute(path, venue: $0) }
        return candidates.count == 1 ? candidates[0] : nil
    }

    private static func upstreamRoute(_ path: String, venue: Venue) -> WebSocketRoute? {
        switch venue {
        case .binance, .binanceFutures:
            if path == "/stream" { return WebSocketRoute(venue: venue, binanceRaw: false, rawStreams: []) }
            if path == "/ws" { return WebSocketRoute(venue: venue, binanceRaw: true, rawStreams: []) }
            if path.hasPrefix("/ws/") {
                // `/ws/<stream>` or `/ws/<a>/<b>`: raw streams named in the path (stream names have an `@`).
                let names = path.dropFirst(4).split(separator: "/").map(String.init)
                guard !names.isEmpty, names.allSatisfy({ $0.contains("@") }) else { return nil }
                return WebSocketRoute(venue: venue, binanceRaw: true, rawStreams: names)
            }
            return nil
        case .okx, .deribit:
            return path == upstreamWebSocketPaths(venue)[0] ? WebSocketRoute(venue: venue, binanceRaw: false, rawStreams: []) : nil
        }
    }
}

/// A websocket request resolved to a venue.
struct WebSocketRoute: Equatable {
    var venue: Venue
    /// Binance `/ws`: frames are the bare `data` objects, not `{"stream","data"}`.
    var binanceRaw: Bool
    /// Binance `/ws/<stream>`: streams subscribed by the path.
    var rawStreams: [String]
}
