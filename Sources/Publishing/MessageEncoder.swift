import Model

/// Encodes events into the documented JSON payloads (docs/messages.md), with subjects and ids.
///
/// Field names follow the original system where its consumers read them (`exchange_name`,
/// `symbol_name`, `timestamp`, `collected_at`, `price`, `quantity`, `side`, `trade_id`, `bids`,
/// `asks`, `last_update_id`); times are also given as exact integer nanoseconds (`*_ns`).
public struct MessageEncoder: Sendable {
    public struct Configuration: Hashable, Sendable {
        /// Levels per side in orderbook messages.
        public var orderbookDepth: Int

        public init(orderbookDepth: Int = 20) {
            self.orderbookDepth = max(1, orderbookDepth)
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func encode(_ event: PublishableEvent) -> OutboundMessage {
        let common = Common(event)
        var subjectCount = 0
        var idCount = 0
        let storage = JSONWriter.bytes(capacity: payloadCapacity(event)) { w in
            Subject.write(venue: common.instrument.venue, instrument: common.instrument, channel: event.channel, into: &w)
            subjectCount = w.count
            w.byte(0)
            MessageId.write(for: event, instrument: common.instrument, into: &w)
            idCount = w.count - subjectCount - 1
            w.byte(0)
            encodePayload(event, common, into: &w)
        }
        return OutboundMessage(storage: storage, subjectCount: subjectCount, idCount: idCount)
    }

    /// Room for the whole message: the writer fills the result array in place, so this is an upper bound
    /// (a book level is at most 68 bytes), not a guess to be copied out of a scratch buffer.
    func payloadCapacity(_ event: PublishableEvent) -> Int {
        if case .orderbook(let e) = event { return orderbookCapacity(e) }
        return 1024
    }

    func orderbookCapacity(_ e: OrderbookView) -> Int {
        orderbookCapacity(e.instrument, bidCount: e.bids.count, askCount: e.asks.count)
    }

    func orderbookCapacity(_ instrument: Instrument, bidCount: Int, askCount: Int) -> Int {
        let names = instrument.native.utf8.count + instrument.base.utf8.count + instrument.quote.utf8.count
        return orderbookCapacity(nameBytes: names, bidCount: bidCount, askCount: askCount)
    }

    /// The same for an instrument whose names' UTF-8 lengths add up to `nameBytes`.
    @inline(__always)
    func orderbookCapacity(nameBytes names: Int, bidCount: Int, askCount: Int) -> Int {
        let depth = configuration.orderbookDepth
        let levels = Swift.min(bidCount, depth) + Swift.min(askCount, depth)
        return 640 + 6 * names + levels * 68
    }

    /// The fields every payload starts with, read out of the event in one pass.
    struct Common {
        var instrument: Instrument
        var dataType: StaticString
        var exchangeTime: Instant
        var receiveTime: Instant

        @inline(__always)
        init(_ event: PublishableEvent) {
            switch event {
            case .trade(let e): (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "trade", e.exchangeTime, e.receiveTime)
            case .orderbook(let e): (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "orderbook", e.exchangeTime, e.receiveTime)
            case .ticker(let e): (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "ticker", e.exchangeTime, e.receiveTime)
            case .kline(let e): (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "kline", e.exchangeTime, e.receiveTime)
            case .funding(let e): (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "funding", e.exchangeTime, e.receiveTime)
            case .liquidation(let e):
                (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "liquidation", e.exchangeTime, e.receiveTime)
            case .openInterest(let e):
                (instrument, dataType, exchangeTime, receiveTime) = (e.instrument, "open_interest", e.exchangeTime, e.receiveTime)
            }
        }
    }

    /// The JSON object for one event.
    public func encodePayload(_ event: PublishableEvent, into w: inout JSONWriter) {
        encodePayload(event, Common(event), into: &w)
    }

    /// The fields every payload starts with, from the opening brace to `collected_at_ns`.
    @inline(__always)
    func writeCommonFields(_ common: Common, into w: inout JSONWriter) {
        writeIdentityFields(common.instrument, dataType: common.dataType, into: &w)
        writeTimeFields(exchangeTime: common.exchangeTime, receiveTime: common.receiveTime, into: &w)
    }

    /// The fields that only depend on the instrument and the kind, from the opening brace to `"data_type"`.
    @inline(__always)
    func writeIdentityFields(_ instrument: Instrument, dataType: StaticString, into w: inout JSONWriter) {
        w.raw("{\"exchange_name\":\"")
        w.raw(instrument.venue.name)
        w.raw("\",\"symbol_name\":")
        w.symbol(of: instrument)
        w.raw(",\"instrument_id\":")
        w.string(instrument.native)
        w.raw(",\"data_type\":\"")
        w.raw(dataType)
        w.byte(UInt8(ascii: "\""))
    }

    /// `timestamp` through `collected_at_ns`.
    @inline(__always)
    func writeTimeFields(exchangeTime: Instant, receiveTime: Instant, into w: inout JSONWriter) {
        w.raw(",\"timestamp\":")
        w.isoTime(exchangeTime)
        w.raw(",\"timestamp_ns\":")
        w.nanoseconds(exchangeTime)
        w.raw(",\"collected_at\":")
        w.isoTime(receiveTime)
        w.raw(",\"collected_at_ns\":")
        w.nanoseconds(receiveTime)
    }

    func encodePayload(_ event: PublishableEvent, _ common: Common, into w: inout JSONWriter) {
        writeCommonFields(common, into: &w)
        writeOwnFields(event, into: &w)
        w.byte(UInt8(ascii: "}"))
    }

    /// The fields of the event's kind, after the common ones.
    @inline(__always)
    func writeOwnFields(_ event: PublishableEvent, into w: inout JSONWriter) {
        switch event {
        case .trade(let e): writeTradeFields(e, into: &w)
        case .orderbook(let e): writeOrderbookFields(e, into: &w)
        case .ticker(let e): writeTickerFields(e, into: &w)
        case .kline(let e): writeKlineFields(e, into: &w)
        case .funding(let e): writeFundingFields(e, into: &w)
        case .liquidation(let e): writeLiquidationFields(e, into: &w)
        case .openInterest(let e): writeOpenInterestFields(e, into: &w)
        }
    }

    // Each kind's own fields, after the common ones and before the closing brace.

    @inline(__always)
    func writeTradeFields(_ e: Trade, into w: inout JSONWriter) {
        w.raw(",\"trade_id\":")
        w.string(e.tradeId)
        w.raw(",\"price\":")
        w.decimal(e.price)
        w.raw(",\"quantity\":")
        w.decimal(e.quantity)
        w.raw(e.side == .buy ? ",\"side\":\"buy\"" : ",\"side\":\"sell\"")
    }

    @inline(__always)
    func writeOrderbookFields(_ e: OrderbookView, into w: inout JSONWriter) {
        writeOrderbookFields(sequence: e.sequence, bids: e.bids, asks: e.asks, into: &w) { w, levels, _ in
            w.levels(levels)
        }
    }

    @inline(__always)
    func writeTickerFields(_ e: Ticker, into w: inout JSONWriter) {
        w.raw(",\"best_bid_price\":")
        w.optionalDecimal(e.bestBid?.price)
        w.raw(",\"best_bid_quantity\":")
        w.optionalDecimal(e.bestBid?.size)
        w.raw(",\"best_ask_price\":")
        w.optionalDecimal(e.bestAsk?.price)
        w.raw(",\"best_ask_quantity\":")
        w.optionalDecimal(e.bestAsk?.size)
        w.raw(",\"last_price\":")
        w.optionalDecimal(e.last)
        w.raw(",\"open_24h\":")
        w.optionalDecimal(e.open24h)
        w.raw(",\"high_24h\":")
        w.optionalDecimal(e.high24h)
        w.raw(",\"low_24h\":")
        w.optionalDecimal(e.low24h)
        w.raw(",\"volume_24h\":")
        w.optionalDecimal(e.volume24h)
        w.raw(",\"quote_volume_24h\":")
        w.optionalDecimal(e.quoteVolume24h)
        w.raw(",\"sequence\":")
        if let s = e.sequence { w.integer(s) } else { w.raw("null") }
    }

    @inline(__always)
    func writeKlineFields(_ e: Kline, into w: inout JSONWriter) {
        w.raw(",\"interval\":")
        w.string(e.interval)
        w.raw(",\"open_time\":")
        w.isoTime(e.openTime)
        w.raw(",\"open_time_ns\":")
        w.integer(e.openTime.nanoseconds)
        w.raw(",\"close_time\":")
        w.isoTime(e.closeTime)
        w.raw(",\"close_time_ns\":")
        w.integer(e.closeTime.nanoseconds)
        w.raw(",\"open_price\":")
        w.decimal(e.open)
        w.raw(",\"high_price\":")
        w.decimal(e.high)
        w.raw(",\"low_price\":")
        w.decimal(e.low)
        w.raw(",\"close_price\":")
        w.decimal(e.close)
        w.raw(",\"volume\":")
        w.decimal(e.volume)
        w.raw(",\"is_closed\":")
        w.bool(e.closed)
    }

    @inline(__always)
    func writeFundingFields(_ e: FundingRate, into w: inout JSONWriter) {
        w.raw(",\"current_funding_rate\":")
        w.decimal(e.rate)
        w.raw(",\"next_funding_time\":")
        if let t = e.nextFundingTime { w.isoTime(t) } else { w.raw("null") }
        w.raw(",\"next_funding_time_ns\":")
        if let t = e.nextFundingTime { w.integer(t.nanoseconds) } else { w.raw("null") }
        w.raw(",\"mark_price\":")
        w.optionalDecimal(e.markPrice)
        w.raw(",\"index_price\":")
        w.optionalDecimal(e.indexPrice)
    }

    @inline(__always)
    func writeLiquidationFields(_ e: Liquidation, into w: inout JSONWriter) {
        w.raw(",\"side\":\"")
        w.raw(e.side == .buy ? "buy" : "sell")
        w.raw("\",\"price\":")
        w.decimal(e.price)
        w.raw(",\"quantity\":")
        w.decimal(e.quantity)
        w.raw(",\"value\":")
        w.optionalDecimal(e.value)
    }

    @inline(__always)
    func writeOpenInterestFields(_ e: OpenInterest, into w: inout JSONWriter) {
        w.raw(",\"open_interest\":")
        w.decimal(e.amount)
        w.raw(",\"open_interest_value\":")
        w.optionalDecimal(e.value)
    }

    /// An orderbook payload's own fields, both sides cut to the configured depth; `writeLevels` writes
    /// one side's levels between the brackets (plainly, or copying what an earlier message wrote).
    @inline(__always)
    func writeOrderbookFields(
        sequence: Int64, bids: [BookLevel], asks: [BookLevel], into w: inout JSONWriter,
        writeLevels: (inout JSONWriter, UnsafeBufferPointer<BookLevel>, _ isBid: Bool) -> Void
    ) {
        w.raw(",\"last_update_id\":")
        w.integer(sequence)
        w.raw(",\"bids\":[")
        let depth = configuration.orderbookDepth
        bids.withUnsafeBufferPointer { writeLevels(&w, UnsafeBufferPointer(rebasing: $0.prefix(depth)), true) }
        w.raw("],\"asks\":[")
        asks.withUnsafeBufferPointer { writeLevels(&w, UnsafeBufferPointer(rebasing: $0.prefix(depth)), false) }
        w.byte(UInt8(ascii: "]"))
    }
}
