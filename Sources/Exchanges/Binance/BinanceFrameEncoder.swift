import Model

/// Writes Binance frames and REST bodies from normalized events: the synthetic generator and the
/// simulated exchange speak Binance through this, and `parse(encode(e)) == e` holds for every
/// event kind (see the round-trip tests for the few fields a format cannot carry, e.g. spot
/// bookTicker has no event time, so it parses back with the receive time).
public struct BinanceFrameEncoder: Sendable {
    public var venue: Venue

    public init(venue: Venue = .binance) {
        self.venue = venue
    }

    var isFutures: Bool { venue == .binanceFutures }

    /// `{"stream":"<native lowercased>@<suffix>","data":`
    func open(_ i: Instrument, _ suffix: StaticString, into out: inout [UInt8]) {
        out.appendASCII("{\"stream\":\"")
        for b in i.native.utf8 { out.append((b >= 65 && b <= 90) ? b + 32 : b) }
        out.append(UInt8(ascii: "@"))
        out.appendASCII(suffix)
        out.appendASCII("\",\"data\":")
    }

    func levels(_ levels: [BookLevel], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (k, l) in levels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendASCII("[\"")
            out.appendDecimal(l.price)
            out.appendASCII("\",\"")
            out.appendDecimal(l.size)
            out.appendASCII("\"]")
        }
        out.append(UInt8(ascii: "]"))
    }

    func symbol(_ i: Instrument, into out: inout [UInt8]) {
        out.appendASCII(",\"s\":")
        out.appendQuoted(i.native)
    }

    /// A diff-depth event (`depthUpdate` with `U`, `u`, and `pu` where the sequence has a previous id).
    public func encodeDepthUpdate(_ b: BookUpdate, into out: inout [UInt8]) {
        open(b.instrument, "depth@100ms", into: &out)
        out.appendASCII("{\"e\":\"depthUpdate\",\"E\":")
        out.appendInt(b.exchangeTime.milliseconds)
        if isFutures {
            out.appendASCII(",\"T\":")
            out.appendInt(b.exchangeTime.milliseconds)
        }
        symbol(b.instrument, into: &out)
        out.appendASCII(",\"U\":")
        out.appendInt(b.sequence.first)
        out.appendASCII(",\"u\":")
        out.appendInt(b.sequence.last)
        if let pu = b.sequence.previous {
            out.appendASCII(",\"pu\":")
            out.appendInt(pu)
        }
        out.appendASCII(",\"b\":")
        levels(b.bids, into: &out)
        out.appendASCII(",\"a\":")
        levels(b.asks, into: &out)
        out.appendASCII("}}")
    }

    /// A partial-depth (`@depth20@100ms`) frame carrying a snapshot.
    public func encodePartialDepth(_ b: BookUpdate, into out: inout [UInt8]) {
        open(b.instrument, "depth20@100ms", into: &out)
        encodeDepthSnapshot(b, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// The REST depth body: `{"lastUpdateId":..,"bids":..,"asks":..}` (futures add `E` and `T`).
    public func encodeDepthSnapshot(_ b: BookUpdate, into out: inout [UInt8]) {
        out.appendASCII("{\"lastUpdateId\":")
        out.appendInt(b.sequence.last)
        if isFutures {
            out.appendASCII(",\"E\":")
            out.appendInt(b.exchangeTime.milliseconds)
            out.appendASCII(",\"T\":")
            out.appendInt(b.exchangeTime.milliseconds)
        }
        out.appendASCII(",\"bids\":")
        levels(b.bids, into: &out)
        out.appendASCII(",\"asks\":")
        levels(b.asks, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    static func appendId(_ id: String, into out: inout [UInt8]) {
        if !id.isEmpty, id.utf8.count <= 18, id.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
            out.append(contentsOf: id.utf8)
        } else {
            out.appendQuoted(id)
        }
    }

    /// An aggTrade; `m` (buyer is maker) is true when the taker sold.
    public func encodeTrade(_ t: Trade, into out: inout [UInt8]) {
        open(t.instrument, "aggTrade", into: &out)
        out.appendASCII("{\"e\":\"aggTrade\",\"E\":")
        out.appendInt(t.exchangeTime.milliseconds)
        symbol(t.instrument, into: &out)
        out.appendASCII(",\"a\":")
        Self.appendId(t.tradeId, into: &out)
        out.appendASCII(",\"p\":")
        out.appendQuotedDecimal(t.price)
        out.appendASCII(",\"q\":")
        out.appendQuotedDecimal(t.quantity)
        out.appendASCII(",\"f\":0,\"l\":0,\"T\":")
        out.appendInt(t.exchangeTime.milliseconds)
        out.appendASCII(",\"m\":")
        out.appendBool(t.side == .sell)
        out.appendASCII(isFutures ? "}}" : ",\"M\":true}}")
    }

    /// A bookTicker: best bid/ask and the update id `u` (futures add `e`, `E`, `T`).
    public func encodeBookTicker(_ t: Ticker, into out: inout [UInt8]) {
        open(t.instrument, "bookTicker", into: &out)
        if isFutures {
            out.appendASCII("{\"e\":\"bookTicker\",\"u\":")
            out.appendInt(t.sequence ?? 0)
            out.appendASCII(",\"E\":")
            out.appendInt(t.exchangeTime.milliseconds)
            out.appendASCII(",\"T\":")
            out.appendInt(t.exchangeTime.milliseconds)
        } else {
            out.appendASCII("{\"u\":")
            out.appendInt(t.sequence ?? 0)
        }
        symbol(t.instrument, into: &out)
        bestLevels(t, into: &out)
        out.appendASCII("}}")
    }

    func bestLevels(_ t: Ticker, into out: inout [UInt8]) {
        if let b = t.bestBid {
            out.appendASCII(",\"b\":")
            out.appendQuotedDecimal(b.price)
            out.appendASCII(",\"B\":")
            out.appendQuotedDecimal(b.size)
        }
        if let a = t.bestAsk {
            out.appendASCII(",\"a\":")
            out.appendQuotedDecimal(a.price)
            out.appendASCII(",\"A\":")
            out.appendQuotedDecimal(a.size)
        }
    }

    /// A 24hrTicker (last, open/high/low, base and quote volume, best levels on spot).
    public func encode24hrTicker(_ t: Ticker, into out: inout [UInt8]) {
        open(t.instrument, "ticker", into: &out)
        out.appendASCII("{\"e\":\"24hrTicker\",\"E\":")
        out.appendInt(t.exchangeTime.milliseconds)
        symbol(t.instrument, into: &out)
        let fields: [(StaticString, FixedDecimal?)] = [
            (",\"c\":", t.last), (",\"o\":", t.open24h), (",\"h\":", t.high24h), (",\"l\":", t.low24h),
            (",\"v\":", t.volume24h), (",\"q\":", t.quoteVolume24h),
        ]
        for (key, value) in fields {
            guard let value else { continue }
            out.appendASCII(key)
            out.appendQuotedDecimal(value)
        }
        bestLevels(t, into: &out)
        out.appendASCII("}}")
    }

    public func encodeKline(_ k: Kline, into out: inout [UInt8]) {
        out.appendASCII("{\"stream\":\"")
        for b in k.instrument.native.utf8 { out.append((b >= 65 && b <= 90) ? b + 32 : b) }
        out.appendASCII("@kline_")
        out.append(contentsOf: k.interval.utf8)
        out.appendASCII("\",\"data\":{\"e\":\"kline\",\"E\":")
        out.appendInt(k.exchangeTime.milliseconds)
        symbol(k.instrument, into: &out)
        out.appendASCII(",\"k\":{\"t\":")
        out.appendInt(k.openTime.milliseconds)
        out.appendASCII(",\"T\":")
        out.appendInt(k.closeTime.milliseconds)
        symbol(k.instrument, into: &out)
        out.appendASCII(",\"i\":")
        out.appendQuoted(k.interval)
        out.appendASCII(",\"o\":")
        out.appendQuotedDecimal(k.open)
        out.appendASCII(",\"c\":")
        out.appendQuotedDecimal(k.close)
        out.appendASCII(",\"h\":")
        out.appendQuotedDecimal(k.high)
        out.appendASCII(",\"l\":")
        out.appendQuotedDecimal(k.low)
        out.appendASCII(",\"v\":")
        out.appendQuotedDecimal(k.volume)
        out.appendASCII(",\"x\":")
        out.appendBool(k.closed)
        out.appendASCII("}}}")
    }

    /// markPriceUpdate (futures): `r` rate, `T` next funding time, `p` mark, `i` index.
    public func encodeMarkPrice(_ f: FundingRate, into out: inout [UInt8]) {
        open(f.instrument, "markPrice@1s", into: &out)
        out.appendASCII("{\"e\":\"markPriceUpdate\",\"E\":")
        out.appendInt(f.exchangeTime.milliseconds)
        symbol(f.instrument, into: &out)
        if let p = f.markPrice {
            out.appendASCII(",\"p\":")
            out.appendQuotedDecimal(p)
        }
        if let i = f.indexPrice {
            out.appendASCII(",\"i\":")
            out.appendQuotedDecimal(i)
        }
        out.appendASCII(",\"r\":")
        out.appendQuotedDecimal(f.rate)
        out.appendASCII(",\"T\":")
        out.appendInt(f.nextFundingTime?.milliseconds ?? 0)
        out.appendASCII("}}")
    }

    /// forceOrder (futures): the liquidation order in `o`.
    public func encodeForceOrder(_ l: Liquidation, into out: inout [UInt8]) {
        open(l.instrument, "forceOrder", into: &out)
        out.appendASCII("{\"e\":\"forceOrder\",\"E\":")
        out.appendInt(l.exchangeTime.milliseconds)
        out.appendASCII(",\"o\":{\"s\":")
        out.appendQuoted(l.instrument.native)
        out.appendASCII(l.side == .buy ? ",\"S\":\"BUY\"" : ",\"S\":\"SELL\"")
        out.appendASCII(",\"o\":\"LIMIT\",\"f\":\"IOC\",\"q\":")
        out.appendQuotedDecimal(l.quantity)
        out.appendASCII(",\"p\":")
        out.appendQuotedDecimal(l.price)
        out.appendASCII(",\"ap\":")
        out.appendQuotedDecimal(l.price)
        out.appendASCII(",\"X\":\"FILLED\",\"l\":")
        out.appendQuotedDecimal(l.quantity)
        out.appendASCII(",\"z\":")
        out.appendQuotedDecimal(l.quantity)
        out.appendASCII(",\"T\":")
        out.appendInt(l.exchangeTime.milliseconds)
        out.appendASCII("}}}")
    }

    /// `/fapi/v1/openInterest` body.
    public func encodeOpenInterest(_ o: OpenInterest, into out: inout [UInt8]) {
        out.appendASCII("{\"openInterest\":")
        out.appendQuotedDecimal(o.amount)
        out.appendASCII(",\"symbol\":")
        out.appendQuoted(o.instrument.native)
        out.appendASCII(",\"time\":")
        out.appendInt(o.exchangeTime.milliseconds)
        out.append(UInt8(ascii: "}"))
    }

    /// `/fapi/v1/premiumIndex` body.
    public func encodePremiumIndex(_ f: FundingRate, into out: inout [UInt8]) {
        out.appendASCII("{\"symbol\":")
        out.appendQuoted(f.instrument.native)
        if let p = f.markPrice {
            out.appendASCII(",\"markPrice\":")
            out.appendQuotedDecimal(p)
        }
        if let i = f.indexPrice {
            out.appendASCII(",\"indexPrice\":")
            out.appendQuotedDecimal(i)
        }
        out.appendASCII(",\"lastFundingRate\":")
        out.appendQuotedDecimal(f.rate)
        out.appendASCII(",\"nextFundingTime\":")
        out.appendInt(f.nextFundingTime?.milliseconds ?? 0)
        out.appendASCII(",\"time\":")
        out.appendInt(f.exchangeTime.milliseconds)
        out.append(UInt8(ascii: "}"))
    }

    /// A subscription acknowledgement for a live `SUBSCRIBE` with `id`.
    public func encodeSubscribeAck(id: Int64, into out: inout [UInt8]) {
        out.appendASCII("{\"result\":null,\"id\":")
        out.appendInt(id)
        out.append(UInt8(ascii: "}"))
    }

    /// The websocket frame for an event on its usual stream; false for open interest (REST only).
    /// Books: deltas as depthUpdate, snapshots as partial depth; tickers with a last price as
    /// 24hrTicker, others as bookTicker.
    @discardableResult
    public func encode(_ event: MarketEvent, into out: inout [UInt8]) -> Bool {
        switch event {
        case .book(let b):
            if b.kind == .delta { encodeDepthUpdate(b, into: &out) } else { encodePartialDepth(b, into: &out) }
        case .trade(let t): encodeTrade(t, into: &out)
        case .ticker(let t):
            if t.last != nil { encode24hrTicker(t, into: &out) } else { encodeBookTicker(t, into: &out) }
        case .kline(let k): encodeKline(k, into: &out)
        case .funding(let f): encodeMarkPrice(f, into: &out)
        case .liquidation(let l): encodeForceOrder(l, into: &out)
        case .openInterest: return false
        }
        return true
    }
}
