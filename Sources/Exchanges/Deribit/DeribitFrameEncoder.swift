import Model

/// Writes Deribit JSON-RPC notifications, responses and REST results from normalized events, the
/// inverse of `DeribitAdapter`'s parsing. Numbers go out as JSON numbers in plain notation.
/// Book entries: `new` in snapshots; in changes `delete` for size 0, else `change`.
public struct DeribitFrameEncoder: Sendable {
    public var interval: DeribitAdapter.Interval

    public init(interval: DeribitAdapter.Interval = .ms100) {
        self.interval = interval
    }

    func open(_ prefix: StaticString, _ i: Instrument, into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"")
        out.appendASCII(prefix)
        out.append(contentsOf: i.native.utf8)
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: interval.rawValue.utf8)
        out.appendASCII("\",\"data\":")
    }

    func entries(_ levels: [BookLevel], snapshot: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (k, l) in levels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            if snapshot {
                out.appendASCII("[\"new\",")
            } else {
                out.appendASCII(l.size.isZero ? "[\"delete\"," : "[\"change\",")
            }
            out.appendDecimal(l.price)
            out.append(UInt8(ascii: ","))
            out.appendDecimal(l.size)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    func bookData(_ b: BookUpdate, rest: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "{"))
        if !rest {
            out.appendASCII(b.kind == .snapshot ? "\"type\":\"snapshot\"," : "\"type\":\"change\",")
        }
        out.appendASCII("\"timestamp\":")
        out.appendInt(b.exchangeTime.milliseconds)
        if let p = b.sequence.previous {
            out.appendASCII(",\"prev_change_id\":")
            out.appendInt(p)
        }
        out.appendASCII(",\"instrument_name\":")
        out.appendQuoted(b.instrument.native)
        out.appendASCII(",\"change_id\":")
        out.appendInt(b.sequence.last)
        if rest {
            // get_order_book levels are plain [price, amount] pairs.
            for (key, levels) in [(",\"bids\":" as StaticString, b.bids), (",\"asks\":", b.asks)] {
                out.appendASCII(key)
                out.append(UInt8(ascii: "["))
                for (k, l) in levels.enumerated() {
                    if k > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(UInt8(ascii: "["))
                    out.appendDecimal(l.price)
                    out.append(UInt8(ascii: ","))
                    out.appendDecimal(l.size)
                    out.append(UInt8(ascii: "]"))
                }
                out.append(UInt8(ascii: "]"))
            }
        } else {
            out.appendASCII(",\"bids\":")
            entries(b.bids, snapshot: b.kind == .snapshot, into: &out)
            out.appendASCII(",\"asks\":")
            entries(b.asks, snapshot: b.kind == .snapshot, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    public func encodeBook(_ b: BookUpdate, into out: inout [UInt8]) {
        open("book.", b.instrument, into: &out)
        bookData(b, rest: false, into: &out)
        out.appendASCII("}}")
    }

    /// `public/get_order_book` response body.
    public func encodeBookSnapshotBody(_ b: BookUpdate, into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"result\":")
        bookData(b, rest: true, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    func tradeData(_ t: Trade, liquidation: Bool, into out: inout [UInt8]) {
        out.appendASCII("{\"trade_id\":")
        out.appendQuoted(t.tradeId)
        out.appendASCII(",\"timestamp\":")
        out.appendInt(t.exchangeTime.milliseconds)
        out.appendASCII(",\"tick_direction\":0,\"price\":")
        out.appendDecimal(t.price)
        out.appendASCII(",\"instrument_name\":")
        out.appendQuoted(t.instrument.native)
        out.appendASCII(t.side == .buy ? ",\"direction\":\"buy\"" : ",\"direction\":\"sell\"")
        out.appendASCII(",\"amount\":")
        out.appendDecimal(t.quantity)
        if liquidation { out.appendASCII(",\"liquidation\":\"T\"") }
        out.append(UInt8(ascii: "}"))
    }

    /// A trades notification carrying `trades` (all of one instrument).
    public func encodeTrades(_ trades: [Trade], into out: inout [UInt8]) {
        guard let first = trades.first else { return }
        open("trades.", first.instrument, into: &out)
        out.append(UInt8(ascii: "["))
        for (k, t) in trades.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            tradeData(t, liquidation: false, into: &out)
        }
        out.appendASCII("]}}")
    }

    /// A liquidation travels as a trade flagged `liquidation` (taker side = the liquidation's side);
    /// it parses back as that trade plus the liquidation.
    public func encodeLiquidation(_ l: Liquidation, tradeId: String, into out: inout [UInt8]) {
        open("trades.", l.instrument, into: &out)
        out.append(UInt8(ascii: "["))
        let t = Trade(
            instrument: l.instrument, tradeId: tradeId, price: l.price, quantity: l.quantity, side: l.side,
            exchangeTime: l.exchangeTime, receiveTime: l.receiveTime)
        tradeData(t, liquidation: true, into: &out)
        out.appendASCII("]}}")
    }

    func number(_ key: StaticString, _ value: FixedDecimal?, into out: inout [UInt8]) {
        guard let value else { return }
        out.appendASCII(key)
        out.appendDecimal(value)
    }

    /// The ticker object: any of a ticker, a funding rate (`funding_8h`, mark, index) and open interest
    /// for one instrument and timestamp.
    func tickerData(
        instrument: Instrument, time: Instant, ticker: Ticker?, funding: FundingRate?, openInterest: OpenInterest?,
        into out: inout [UInt8]
    ) {
        out.appendASCII("{\"timestamp\":")
        out.appendInt(time.milliseconds)
        if let t = ticker {
            out.appendASCII(",\"stats\":{")
            var any = false
            for (key, v) in [("\"volume\":" as StaticString, t.volume24h), ("\"low\":", t.low24h), ("\"high\":", t.high24h)] {
                if any { out.append(UInt8(ascii: ",")) }
                out.appendASCII(key)
                if let v { out.appendDecimal(v) } else { out.appendASCII("null") }
                any = true
            }
            out.append(UInt8(ascii: "}"))
        }
        out.appendASCII(",\"state\":\"open\"")
        number(",\"open_interest\":", openInterest?.amount, into: &out)
        number(",\"mark_price\":", funding?.markPrice, into: &out)
        number(",\"last_price\":", ticker?.last, into: &out)
        out.appendASCII(",\"instrument_name\":")
        out.appendQuoted(instrument.native)
        number(",\"index_price\":", funding?.indexPrice, into: &out)
        number(",\"funding_8h\":", funding?.rate, into: &out)
        if let t = ticker {
            out.appendASCII(",\"best_bid_price\":")
            out.appendDecimal(t.bestBid?.price ?? .zero)
            out.appendASCII(",\"best_bid_amount\":")
            out.appendDecimal(t.bestBid?.size ?? .zero)
            out.appendASCII(",\"best_ask_price\":")
            out.appendDecimal(t.bestAsk?.price ?? .zero)
            out.appendASCII(",\"best_ask_amount\":")
            out.appendDecimal(t.bestAsk?.size ?? .zero)
        }
        out.append(UInt8(ascii: "}"))
    }

    public func encodeTicker(
        instrument: Instrument, time: Instant, ticker: Ticker? = nil, funding: FundingRate? = nil,
        openInterest: OpenInterest? = nil, into out: inout [UInt8]
    ) {
        open("ticker.", instrument, into: &out)
        tickerData(instrument: instrument, time: time, ticker: ticker, funding: funding, openInterest: openInterest, into: &out)
        out.appendASCII("}}")
    }

    /// `public/ticker` response body (REST funding and open interest).
    public func encodeTickerBody(
        instrument: Instrument, time: Instant, ticker: Ticker? = nil, funding: FundingRate? = nil,
        openInterest: OpenInterest? = nil, into out: inout [UInt8]
    ) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"result\":")
        tickerData(instrument: instrument, time: time, ticker: ticker, funding: funding, openInterest: openInterest, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    public func encodeChart(_ k: Kline, into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"chart.trades.")
        out.append(contentsOf: k.instrument.native.utf8)
        out.append(UInt8(ascii: "."))
        out.append(contentsOf: (DeribitAdapter.resolution(k.interval) ?? k.interval).utf8)
        out.appendASCII("\",\"data\":{\"volume\":")
        out.appendDecimal(k.volume)
        out.appendASCII(",\"tick\":")
        out.appendInt(k.openTime.milliseconds)
        out.appendASCII(",\"open\":")
        out.appendDecimal(k.open)
        out.appendASCII(",\"low\":")
        out.appendDecimal(k.low)
        out.appendASCII(",\"high\":")
        out.appendDecimal(k.high)
        out.appendASCII(",\"cost\":0,\"close\":")
        out.appendDecimal(k.close)
        out.appendASCII("}}}")
    }

    /// The server's heartbeat; `testRequest` demands a `public/test` call.
    public func encodeHeartbeat(testRequest: Bool, into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":")
        out.appendASCII(testRequest ? "\"test_request\"}}" : "\"heartbeat\"}}")
    }

    /// The answer to `public/subscribe`: the channels now subscribed.
    public func encodeSubscribeResult(id: Int64, channels: [String], into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"id\":")
        out.appendInt(id)
        out.appendASCII(",\"result\":[")
        for (k, c) in channels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendQuoted(c)
        }
        out.appendASCII("]}")
    }

    public func encodeError(id: Int64, code: Int64, message: String, into out: inout [UInt8]) {
        out.appendASCII("{\"jsonrpc\":\"2.0\",\"id\":")
        out.appendInt(id)
        out.appendASCII(",\"error\":{\"code\":")
        out.appendInt(code)
        out.appendASCII(",\"message\":")
        out.appendQuoted(message)
        out.appendASCII("}}")
    }

    /// The notification for an event on its usual channel.
    @discardableResult
    public func encode(_ event: MarketEvent, into out: inout [UInt8]) -> Bool {
        switch event {
        case .book(let b): encodeBook(b, into: &out)
        case .trade(let t): encodeTrades([t], into: &out)
        case .ticker(let t): encodeTicker(instrument: t.instrument, time: t.exchangeTime, ticker: t, into: &out)
        case .kline(let k): encodeChart(k, into: &out)
        case .funding(let f): encodeTicker(instrument: f.instrument, time: f.exchangeTime, funding: f, into: &out)
        case .liquidation(let l): encodeLiquidation(l, tradeId: "liq-\(l.exchangeTime.milliseconds)", into: &out)
        case .openInterest(let o): encodeTicker(instrument: o.instrument, time: o.exchangeTime, openInterest: o, into: &out)
        }
        return true
    }
}
