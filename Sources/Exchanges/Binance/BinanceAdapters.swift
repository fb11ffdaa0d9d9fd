import Model

/// What Binance spot and USD-M futures share: streams named in the URL, `{"stream","data"}`
/// frames, server-initiated websocket pings, weight-based REST limits.
public protocol BinanceAdapter: VenueAdapter {
    var depthLimit: Int { get }
    var parser: BinanceParser { get }
    var catalogStorage: InstrumentCatalog { get set }
    static var streamHost: String { get }
    static var restHost: String { get }
}

extension BinanceAdapter {
    public var catalog: InstrumentCatalog { catalogStorage }

    /// The stream suffix for a channel; nil where the venue has no such stream.
    static func streamSuffix(_ channel: Channel, venue: Venue) -> String? {
        switch channel {
        case .trades: return "aggTrade"
        case .book: return "depth@100ms"
        case .ticker: return "bookTicker"
        case .kline(let i): return "kline_\(i)"
        case .funding: return venue == .binanceFutures ? "markPrice@1s" : nil
        case .liquidations: return venue == .binanceFutures ? "forceOrder" : nil
        case .openInterest: return nil  // REST only (`openInterestRequest`)
        }
    }

    /// Stream names in subscription order (`nknusdt@depth@100ms`, ...), without duplicates.
    public var streamNames: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for e in subscription.entries {
            guard let suffix = Self.streamSuffix(e.channel, venue: venue) else { continue }
            for native in e.instruments {
                let name = native.lowercased() + "@" + suffix
                if seen.insert(name).inserted { out.append(name) }
            }
        }
        return out
    }

    public var websocketURL: String {
        "wss://\(Self.streamHost)/stream?streams=" + streamNames.joined(separator: "/")
    }

    public func connectFrames() -> [[UInt8]] { [] }
    public func subscribeFrames() -> [[UInt8]] { [] }

    /// A live `SUBSCRIBE` request, for adding streams to an open connection.
    public func liveSubscribeFrame(id: Int64) -> [UInt8] {
        var out: [UInt8] = []
        out.appendASCII("{\"method\":\"SUBSCRIBE\",\"params\":[")
        for (k, name) in streamNames.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendQuoted(name)
        }
        out.appendASCII("],\"id\":")
        out.appendInt(id)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The pong to a server ping carries the ping's payload.
    public func pongPayload(forPing payload: UnsafeRawBufferPointer) -> [UInt8] { Array(payload) }

    public mutating func parseSnapshot(body: UnsafeRawBufferPointer, instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>
    {
        let parser = self.parser
        return runRest { (me: inout Self) throws(FrameError) -> BookUpdate in
            if let e = parser.venueError(body) { throw e }
            var s = JSONScanner(body)
            var fresh = ReusableLevelArrays()
            let book = try parser.parseDepth(
                &s, snapshot: true, instrument: instrument, streamSymbol: nil, catalog: &me.catalogStorage,
                levels: &fresh, receivedAt: receivedAt)
            try s.finish()
            return book
        }
    }
}

/// Binance spot (`wss://stream.binance.com:9443`, `https://api.binance.com`).
public struct BinanceSpotAdapter: BinanceAdapter, Sendable {
    public var venue: Venue { .binance }
    public var subscription: Subscription
    public var catalogStorage: InstrumentCatalog
    public var counters = ParseCounters()
    /// The last depth update's level arrays, reused by the next one.
    var spareLevels = ReusableLevelArrays()
    /// `limit` of REST depth snapshots (EXCHANGES.md: 1000, up to 5000).
    public var depthLimit: Int
    public var parser: BinanceParser { BinanceParser(venue: .binance) }
    public static var streamHost: String { "stream.binance.com:9443" }
    public static var restHost: String { "api.binance.com" }

    public init(subscription: Subscription, catalog: InstrumentCatalog, depthLimit: Int = 1000) {
        self.subscription = subscription
        self.catalogStorage = catalog
        self.depthLimit = depthLimit
    }

    /// Parses one frame. Concrete here, not in the `BinanceAdapter` extension: callers outside the
    /// module (the stack) reached that one unspecialized, through witness tables and the counters'
    /// accessor coroutines on every frame.
    public mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput]) {
        parser.parse(
            frame: frame, receivedAt: receivedAt, catalog: &catalogStorage, levels: &spareLevels, counters: &counters,
            into: &out)
    }

    /// Server pings every 20 s; no pong within 1 min closes the connection.
    public var keepalive: KeepalivePolicy { .answerServerPings(serverPingInterval: .seconds(20), pongDeadline: .minutes(1)) }

    /// REQUEST_WEIGHT of `/api/v3/depth` by limit: 1-100: 5, 101-500: 25, 501-1000: 50, 1001-5000: 250.
    public static func depthWeight(limit: Int) -> Int {
        switch limit {
        case ...100: return 5
        case ...500: return 25
        case ...1000: return 50
        default: return 250
        }
    }

    public func snapshotRequest(for instrument: Instrument) -> RestRequest {
        RestRequest(
            host: Self.restHost, pathAndQuery: "/api/v3/depth?symbol=\(instrument.native)&limit=\(depthLimit)",
            weight: Self.depthWeight(limit: depthLimit), purpose: .bookSnapshot(instrument))
    }

    public func instrumentsRequests() -> [RestRequest] {
        [RestRequest(host: Self.restHost, pathAndQuery: "/api/v3/exchangeInfo", weight: 20, purpose: .instruments)]
    }

    public func openInterestRequest(for instrument: Instrument) -> RestRequest? { nil }
    public func fundingRequest(for instrument: Instrument) -> RestRequest? { nil }

    public mutating func parseRestResponse(body: UnsafeRawBufferPointer, purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
    {
        switch purpose {
        case .bookSnapshot(let i):
            return parseSnapshot(body: body, instrument: i, receivedAt: receivedAt).map { [.book($0)] }
        default:
            return .failure(FrameError(.unknownMessage, offset: 0))
        }
    }
}

/// Binance USD-M futures (`wss://fstream.binance.com`, `https://fapi.binance.com`).
public struct BinanceFuturesAdapter: BinanceAdapter, Sendable {
    public var venue: Venue { .binanceFutures }
    public var subscription: Subscription
    public var catalogStorage: InstrumentCatalog
    public var counters = ParseCounters()
    /// The last depth update's level arrays, reused by the next one.
    var spareLevels = ReusableLevelArrays()
    public var depthLimit: Int
    public var parser: BinanceParser { BinanceParser(venue: .binanceFutures) }
    public static var streamHost: String { "fstream.binance.com" }
    public static var restHost: String { "fapi.binance.com" }

    public init(subscription: Subscription, catalog: InstrumentCatalog, depthLimit: Int = 1000) {
        self.subscription = subscription
        self.catalogStorage = catalog
        self.depthLimit = depthLimit
    }

    /// Parses one frame. Concrete here, not in the `BinanceAdapter` extension: callers outside the
    /// module (the stack) reached that one unspecialized, through witness tables and the counters'
    /// accessor coroutines on every frame.
    public mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput]) {
        parser.parse(
            frame: frame, receivedAt: receivedAt, catalog: &catalogStorage, levels: &spareLevels, counters: &counters,
            into: &out)
    }

    /// Server pings every 3 min; pong within 10 min.
    public var keepalive: KeepalivePolicy { .answerServerPings(serverPingInterval: .minutes(3), pongDeadline: .minutes(10)) }

    /// Weight of `/fapi/v1/depth` by limit: 5-50: 2, 100: 5, 500: 10, 1000: 20.
    public static func depthWeight(limit: Int) -> Int {
        switch limit {
        case ...50: return 2
        case ...100: return 5
        case ...500: return 10
        default: return 20
        }
    }

    public func snapshotRequest(for instrument: Instrument) -> RestRequest {
        RestRequest(
            host: Self.restHost, pathAndQuery: "/fapi/v1/depth?symbol=\(instrument.native)&limit=\(depthLimit)",
            weight: Self.depthWeight(limit: depthLimit), purpose: .bookSnapshot(instrument))
    }

    public func instrumentsRequests() -> [RestRequest] {
        [RestRequest(host: Self.restHost, pathAndQuery: "/fapi/v1/exchangeInfo", weight: 1, purpose: .instruments)]
    }

    public func openInterestRequest(for instrument: Instrument) -> RestRequest? {
        RestRequest(
            host: Self.restHost, pathAndQuery: "/fapi/v1/openInterest?symbol=\(instrument.native)", weight: 1,
            purpose: .openInterest(instrument))
    }

    /// Current funding, mark and index (`/fapi/v1/premiumIndex`).
    public func fundingRequest(for instrument: Instrument) -> RestRequest? {
        RestRequest(
            host: Self.restHost, pathAndQuery: "/fapi/v1/premiumIndex?symbol=\(instrument.native)", weight: 1,
            purpose: .funding(instrument))
    }

    public mutating func parseRestResponse(body: UnsafeRawBufferPointer, purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
    {
        let parser = self.parser
        switch purpose {
        case .bookSnapshot(let i):
            return parseSnapshot(body: body, instrument: i, receivedAt: receivedAt).map { [.book($0)] }
        case .openInterest:
            return runRest { (me: inout Self) throws(FrameError) -> [MarketEvent] in
                if let e = parser.venueError(body) { throw e }
                var s = JSONScanner(body)
                return [.openInterest(try parser.parseOpenInterest(&s, catalog: &me.catalogStorage, receivedAt: receivedAt))]
            }
        case .funding:
            return runRest { (me: inout Self) throws(FrameError) -> [MarketEvent] in
                if let e = parser.venueError(body) { throw e }
                var s = JSONScanner(body)
                return [.funding(try parser.parsePremiumIndex(&s, catalog: &me.catalogStorage, receivedAt: receivedAt))]
            }
        case .instruments:
            return .failure(FrameError(.unknownMessage, offset: 0))
        }
    }
}
