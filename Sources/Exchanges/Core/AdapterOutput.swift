import Model

/// Everything a frame can mean to the collector: market data, or protocol traffic it must act on.
public enum AdapterOutput: Hashable, Sendable {
    case event(MarketEvent)
    /// A subscription acknowledgement, with the channels it names in the venue's own spelling
    /// (OKX `books:BTC-USDT`, Deribit `book.BTC-PERPETUAL.100ms`, Binance the request id).
    case subscribed(channels: [String])
    /// The venue rejected a request (OKX `event:error`, Deribit JSON-RPC error, Binance `{"code":..}`).
    case subscribeError(code: String, message: String)
    /// The answer to our keepalive (OKX text `pong`).
    case pong
    /// The venue asked for a reply that must be sent at once (Deribit `test_request`, a server text `ping`).
    case replyRequired(frame: [UInt8])
    /// The venue's own heartbeat, needing no answer (Deribit `heartbeat` type `heartbeat`).
    case heartbeat
    /// A JSON-RPC result that is not a subscription (Deribit `public/set_heartbeat` "ok", `public/test`).
    case response(id: Int64)
    /// A venue notice, e.g. OKX `event:notice` before a service upgrade disconnect.
    case notice(code: String, message: String)
    /// The frame could not be parsed (also counted in the adapter's `counters`).
    case error(FrameError)
}

extension AdapterOutput {
    /// The market event, if this output is one.
    public var marketEvent: MarketEvent? {
        if case .event(let e) = self { return e }
        return nil
    }
}

/// An HTTP request the driver should perform, with the weight the rate limiter charges for it.
public struct RestRequest: Hashable, Sendable, CustomStringConvertible {
    public enum Purpose: Hashable, Sendable {
        case instruments
        case bookSnapshot(Instrument)
        case openInterest(Instrument)
        case funding(Instrument)
    }

    public var method: String
    public var host: String
    /// Path and query, e.g. `/api/v3/depth?symbol=BTCUSDT&limit=1000`.
    public var pathAndQuery: String
    /// Units charged against the venue's request budget (Binance REQUEST_WEIGHT; 1 where the venue counts requests).
    public var weight: Int
    public var purpose: Purpose

    public init(method: String = "GET", host: String, pathAndQuery: String, weight: Int, purpose: Purpose) {
        self.method = method
        self.host = host
        self.pathAndQuery = pathAndQuery
        self.weight = weight
        self.purpose = purpose
    }

    public var url: String { "https://\(host)\(pathAndQuery)" }
    public var description: String { "\(method) \(url)" }
}

/// How the connection is kept alive, so the reliability layer knows what to send and expect.
public enum KeepalivePolicy: Hashable, Sendable {
    /// The server sends websocket pings; answer each with a pong carrying the same payload (Binance).
    case answerServerPings(serverPingInterval: Nanoseconds, pongDeadline: Nanoseconds)
    /// Send `frame` after `idle` without traffic and expect a pong within `deadline` (OKX text `ping`).
    case clientPing(frame: [UInt8], idle: Nanoseconds, deadline: Nanoseconds)
    /// Ask the server for heartbeats at connect (frames from `connectFrames`) and answer its test requests (Deribit).
    case serverHeartbeat(interval: Nanoseconds)
}
