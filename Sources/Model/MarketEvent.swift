/// Taker side of a trade, or the side of a liquidated position's closing order.
public enum Side: String, Hashable, Sendable {
    case buy
    case sell
}

/// One price level. A size of zero in a delta deletes the level.
public struct BookLevel: Hashable, Sendable {
    public var price: FixedDecimal
    public var size: FixedDecimal

    @inlinable
    public init(price: FixedDecimal, size: FixedDecimal) {
        self.price = price
        self.size = size
    }
}

/// The exchange's sequencing of one book message, in each venue's own terms:
/// Binance `U`/`u`/`pu`, OKX `seqId`/`prevSeqId`, Deribit `change_id`/`prev_change_id`.
public struct BookSequence: Hashable, Sendable {
    /// First update id covered (Binance `U`); equals `last` where the venue has one id per message.
    public var first: Int64
    /// Final update id (Binance `u`, OKX `seqId`, Deribit `change_id`).
    public var last: Int64
    /// The previous message's final id (Binance futures `pu`, OKX `prevSeqId`, Deribit `prev_change_id`), if sent.
    public var previous: Int64?

    @inlinable
    public init(first: Int64, last: Int64, previous: Int64? = nil) {
        self.first = first
        self.last = last
        self.previous = previous
    }
}

/// A book message as the venue sent it: a full snapshot or a delta.
public struct BookUpdate: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable {
        case snapshot
        case delta
    }

    public var instrument: Instrument
    public var kind: Kind
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    public var sequence: BookSequence
    /// OKX legacy CRC32 over the top 25 levels; nil where the venue sends none (or sends 0 since 2026-06).
    public var checksum: Int32?
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, kind: Kind, bids: [BookLevel], asks: [BookLevel], sequence: BookSequence,
        checksum: Int32? = nil, exchangeTime: Instant, receiveTime: Instant
    ) {
        self.instrument = instrument
        self.kind = kind
        self.bids = bids
        self.asks = asks
        self.sequence = sequence
        self.checksum = checksum
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

public struct Trade: Hashable, Sendable {
    public var instrument: Instrument
    /// The venue's trade id (Binance aggregate trade id `a`, OKX `tradeId`, Deribit `trade_id`).
    public var tradeId: String
    public var price: FixedDecimal
    public var quantity: FixedDecimal
    public var side: Side
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, tradeId: String, price: FixedDecimal, quantity: FixedDecimal, side: Side,
        exchangeTime: Instant, receiveTime: Instant
    ) {
        self.instrument = instrument
        self.tradeId = tradeId
        self.price = price
        self.quantity = quantity
        self.side = side
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

/// Best bid/ask and, where the channel carries them, last price and 24 h statistics.
public struct Ticker: Hashable, Sendable {
    public var instrument: Instrument
    public var bestBid: BookLevel?
    public var bestAsk: BookLevel?
    public var last: FixedDecimal?
    public var open24h: FixedDecimal?
    public var high24h: FixedDecimal?
    public var low24h: FixedDecimal?
    /// Base-currency volume over 24 h.
    public var volume24h: FixedDecimal?
    /// Quote-currency volume over 24 h.
    public var quoteVolume24h: FixedDecimal?
    /// A venue sequence for the ticker if it has one (Binance bookTicker `u`), used for message ids.
    public var sequence: Int64?
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, bestBid: BookLevel? = nil, bestAsk: BookLevel? = nil, last: FixedDecimal? = nil,
        open24h: FixedDecimal? = nil, high24h: FixedDecimal? = nil, low24h: FixedDecimal? = nil,
        volume24h: FixedDecimal? = nil, quoteVolume24h: FixedDecimal? = nil, sequence: Int64? = nil,
        exchangeTime: Instant, receiveTime: Instant
    ) {
        self.instrument = instrument
        self.bestBid = bestBid
        self.bestAsk = bestAsk
        self.last = last
        self.open24h = open24h
        self.high24h = high24h
        self.low24h = low24h
        self.volume24h = volume24h
        self.quoteVolume24h = quoteVolume24h
        self.sequence = sequence
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

public struct Kline: Hashable, Sendable {
    public var instrument: Instrument
    /// Venue-neutral interval name: `1m`, `5m`, `1h`, `1d`.
    public var interval: String
    public var openTime: Instant
    public var closeTime: Instant
    public var open: FixedDecimal
    public var high: FixedDecimal
    public var low: FixedDecimal
    public var close: FixedDecimal
    public var volume: FixedDecimal
    /// Whether this candle is final.
    public var closed: Bool
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, interval: String, openTime: Instant, closeTime: Instant, open: FixedDecimal,
        high: FixedDecimal, low: FixedDecimal, close: FixedDecimal, volume: FixedDecimal, closed: Bool,
        exchangeTime: Instant, receiveTime: Instant
    ) {
        self.instrument = instrument
        self.interval = interval
        self.openTime = openTime
        self.closeTime = closeTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.closed = closed
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

public struct FundingRate: Hashable, Sendable {
    public var instrument: Instrument
    public var rate: FixedDecimal
    public var nextFundingTime: Instant?
    public var markPrice: FixedDecimal?
    public var indexPrice: FixedDecimal?
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, rate: FixedDecimal, nextFundingTime: Instant? = nil, markPrice: FixedDecimal? = nil,
        indexPrice: FixedDecimal? = nil, exchangeTime: Instant, receiveTime: Instant
    ) {
        self.instrument = instrument
        self.rate = rate
        self.nextFundingTime = nextFundingTime
        self.markPrice = markPrice
        self.indexPrice = indexPrice
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

public struct Liquidation: Hashable, Sendable {
    public var instrument: Instrument
    public var side: Side
    public var price: FixedDecimal
    public var quantity: FixedDecimal
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, side: Side, price: FixedDecimal, quantity: FixedDecimal, exchangeTime: Instant,
        receiveTime: Instant
    ) {
        self.instrument = instrument
        self.side = side
        self.price = price
        self.quantity = quantity
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }

    /// Notional in quote currency; nil only if the product overflows 64 bits.
    public var value: FixedDecimal? { price.multipliedExactly(by: quantity) }
}

public struct OpenInterest: Hashable, Sendable {
    public var instrument: Instrument
    /// Open interest in contracts or base currency, as the venue reports it.
    public var amount: FixedDecimal
    /// Notional value where the venue reports it.
    public var value: FixedDecimal?
    public var exchangeTime: Instant
    public var receiveTime: Instant

    @inlinable
    public init(
        instrument: Instrument, amount: FixedDecimal, value: FixedDecimal? = nil, exchangeTime: Instant,
        receiveTime: Instant
    ) {
        self.instrument = instrument
        self.amount = amount
        self.value = value
        self.exchangeTime = exchangeTime
        self.receiveTime = receiveTime
    }
}

/// Every normalized event the collector produces.
public enum MarketEvent: Hashable, Sendable {
    case trade(Trade)
    case book(BookUpdate)
    case ticker(Ticker)
    case kline(Kline)
    case funding(FundingRate)
    case liquidation(Liquidation)
    case openInterest(OpenInterest)

    public var instrument: Instrument {
        switch self {
        case .trade(let e): return e.instrument
        case .book(let e): return e.instrument
        case .ticker(let e): return e.instrument
        case .kline(let e): return e.instrument
        case .funding(let e): return e.instrument
        case .liquidation(let e): return e.instrument
        case .openInterest(let e): return e.instrument
        }
    }

    public var receiveTime: Instant {
        switch self {
        case .trade(let e): return e.receiveTime
        case .book(let e): return e.receiveTime
        case .ticker(let e): return e.receiveTime
        case .kline(let e): return e.receiveTime
        case .funding(let e): return e.receiveTime
        case .liquidation(let e): return e.receiveTime
        case .openInterest(let e): return e.receiveTime
        }
    }
}
