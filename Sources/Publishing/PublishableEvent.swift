import Model

/// The top of a synced order book at one exchange sequence: what the stack publishes for books.
///
/// Raw deltas are not published: a consumer wants the book, and a book is only published while
/// the book keeper vouches for it. `bids` are best (highest) first, `asks` best (lowest) first;
/// the encoder cuts both to the configured depth.
public struct OrderbookView: Hashable, Sendable {
    public var instrument: Instrument
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    /// The exchange's final update id the book reflects (Binance `u`/`lastUpdateId`, OKX `seqId`, Deribit `change_id`).
    public var sequence: Int64
    public var exchangeTime: Instant
    public var receiveTime: Instant

    public init(
        instrument: Instrument, bids: [BookLevel], asks: [BookLevel], sequence: Int64, exchangeTime: Instant,
        receiveTime: Instant
    ) {
        self.instrument = instrument
        self.bids = bids
        self.asks = asks
        self.sequence = sequence
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }

    /// A venue snapshot taken as a whole book (levels must already be best first).
    public init(snapshot: BookUpdate) {
        self.init(
            instrument: snapshot.instrument, bids: snapshot.bids, asks: snapshot.asks, sequence: snapshot.sequence.last,
            exchangeTime: snapshot.exchangeTime, receiveTime: snapshot.receiveTime)
    }
}

/// Everything the publisher accepts: normalized events, with books as `OrderbookView`s.
public enum PublishableEvent: Hashable, Sendable {
    case trade(Trade)
    case orderbook(OrderbookView)
    case ticker(Ticker)
    case kline(Kline)
    case funding(FundingRate)
    case liquidation(Liquidation)
    case openInterest(OpenInterest)

    /// Non-book events map one to one; a venue book message (`.book`) is nil because only a synced
    /// book's top levels are published (build an `OrderbookView` from the book keeper instead).
    public init?(_ event: MarketEvent) {
        switch event {
        case .trade(let e): self = .trade(e)
        case .book: return nil
        case .ticker(let e): self = .ticker(e)
        case .kline(let e): self = .kline(e)
        case .funding(let e): self = .funding(e)
        case .liquidation(let e): self = .liquidation(e)
        case .openInterest(let e): self = .openInterest(e)
        }
    }

    public var instrument: Instrument {
        switch self {
        case .trade(let e): return e.instrument
        case .orderbook(let e): return e.instrument
        case .ticker(let e): return e.instrument
        case .kline(let e): return e.instrument
        case .funding(let e): return e.instrument
        case .liquidation(let e): return e.instrument
        case .openInterest(let e): return e.instrument
        }
    }

    public var channel: Channel {
        switch self {
        case .trade: return .trade
        case .orderbook: return .orderbook
        case .ticker: return .ticker
        case .kline(let e): return .kline(interval: e.interval)
        case .funding: return .funding
        case .liquidation: return .liquidation
        case .openInterest: return .openInterest
        }
    }

    public var exchangeTime: Instant {
        switch self {
        case .trade(let e): return e.exchangeTime
        case .orderbook(let e): return e.exchangeTime
        case .ticker(let e): return e.exchangeTime
        case .kline(let e): return e.exchangeTime
        case .funding(let e): return e.exchangeTime
        case .liquidation(let e): return e.exchangeTime
        case .openInterest(let e): return e.exchangeTime
        }
    }

    public var receiveTime: Instant {
        switch self {
        case .trade(let e): return e.receiveTime
        case .orderbook(let e): return e.receiveTime
        case .ticker(let e): return e.receiveTime
        case .kline(let e): return e.receiveTime
        case .funding(let e): return e.receiveTime
        case .liquidation(let e): return e.receiveTime
        case .openInterest(let e): return e.receiveTime
        }
    }
}
