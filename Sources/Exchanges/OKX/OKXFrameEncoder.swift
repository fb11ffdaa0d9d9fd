import Model

/// Writes OKX v5 push frames, acknowledgements and REST bodies from normalized events, the inverse
/// of `OKXAdapter`'s parsing. Book levels go out as `[px, sz, "0", "1"]`; the sequence as
/// `seqId`/`prevSeqId` unless it is `.unsequenced`; a nil checksum as 0 (the 2026 production value).
public struct OKXFrameEncoder: Sendable {
    public init() {}

    func open(_ channel: StaticString, _ i: Instrument, into out: inout [UInt8]) {
        out.appendASCII("{\"arg\":{\"channel\":\"")
        out.appendASCII(channel)
        out.appendASCII("\",\"instId\":")
        out.appendQuoted(i.native)
        out.append(UInt8(ascii: "}"))
    }

    func levels(_ levels: [BookLevel], into out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (k, l) in levels.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            out.appendASCII("[\"")
            out.appendDecimal(l.price)
            out.appendASCII("\",\"")
            out.appendDecimal(l.size)
            out.appendASCII(l.size.isZero ? "\",\"0\",\"0\"]" : "\",\"0\",\"1\"]")
        }
        out.append(UInt8(ascii: "]"))
    }

    /// The data element of a book push or REST answer.
    func bookData(_ b: BookUpdate, into out: inout [UInt8]) {
        out.appendASCII("{\"asks\":")
        levels(b.asks, into: &out)
        out.appendASCII(",\"bids\":")
        levels(b.bids, into: &out)
        out.appendASCII(",\"ts\":")
        out.appendQuotedInt(b.exchangeTime.milliseconds)
        out.appendASCII(",\"checksum\":")
        out.appendInt(Int64(b.checksum ?? 0))
        if !b.sequence.isUnsequenced {
            if let p = b.sequence.previous {
                out.appendASCII(",\"prevSeqId\":")
                out.appendInt(p)
            }
            out.appendASCII(",\"seqId\":")
            out.appendInt(b.sequence.last)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A `books` push (`action` snapshot or update).
    public func encodeBook(_ b: BookUpdate, into out: inout [UInt8]) {
        open("books", b.instrument, into: &out)
        out.appendASCII(b.kind == .snapshot ? ",\"action\":\"snapshot\",\"data\":[" : ",\"action\":\"update\",\"data\":[")
        bookData(b, into: &out)
        out.appendASCII("]}")
    }

    /// The `/api/v5/market/books` answer.
    public func encodeBookSnapshotBody(_ b: BookUpdate, into out: inout [UInt8]) {
        out.appendASCII("{\"code\":\"0\",\"msg\":\"\",\"data\":[")
        bookData(b, into: &out)
        out.appendASCII("]}")
    }

    public func encodeTrade(_ t: Trade, into out: inout [UInt8]) {
        open("trades", t.instrument, into: &out)
        out.appendASCII(",\"data\":[{\"instId\":")
        out.appendQuoted(t.instrument.native)
        out.appendASCII(",\"tradeId\":")
        out.appendQuoted(t.tradeId)
        out.appendASCII(",\"px\":")
        out.appendQuotedDecimal(t.price)
        out.appendASCII(",\"sz\":")
        out.appendQuotedDecimal(t.quantity)
        out.appendASCII(t.side == .buy ? ",\"side\":\"buy\",\"ts\":" : ",\"side\":\"sell\",\"ts\":")
        out.appendQuotedInt(t.exchangeTime.milliseconds)
        out.appendASCII("}]}")
    }

    func optional(_ key: StaticString, _ value: FixedDecimal?, into out: inout [UInt8]) {
        out.appendASCII(key)
        if let value { out.appendQuotedDecimal(value) } else { out.appendASCII("\"\"") }
    }

    /// A `tickers` push; volumes follow OKX's units (see `OKXAdapter.parseTicker`).
    public func encodeTicker(_ t: Ticker, into out: inout [UInt8]) {
        let isSpot = t.instrument.kind == .spot
        open("tickers", t.instrument, into: &out)
        out.appendASCII(",\"data\":[{\"instType\":\"")
        out.append(contentsOf: OKXAdapter.instType(t.instrument).utf8)
        out.appendASCII("\",\"instId\":")
        out.appendQuoted(t.instrument.native)
        optional(",\"last\":", t.last, into: &out)
        optional(",\"askPx\":", t.bestAsk?.price, into: &out)
        optional(",\"askSz\":", t.bestAsk?.size, into: &out)
        optional(",\"bidPx\":", t.bestBid?.price, into: &out)
        optional(",\"bidSz\":", t.bestBid?.size, into: &out)
        optional(",\"open24h\":", t.open24h, into: &out)
        optional(",\"high24h\":", t.high24h, into: &out)
        optional(",\"low24h\":", t.low24h, into: &out)
        optional(",\"volCcy24h\":", isSpot ? t.quoteVolume24h : t.volume24h, into: &out)
        optional(",\"vol24h\":", isSpot ? t.volume24h : nil, into: &out)
        out.appendASCII(",\"ts\":")
        out.appendQuotedInt(t.exchangeTime.milliseconds)
        out.appendASCII("}]}")
    }

    /// A `bbo-tbt` push: best bid and ask, with `seqId` from the ticker's sequence.
    public func encodeBBO(_ t: Ticker, into out: inout [UInt8]) {
        open("bbo-tbt", t.instrument, into: &out)
        out.appendASCII(",\"data\":[")
        let book = BookUpdate(
            instrument: t.instrument, kind: .snapshot, bids: t.bestBid.map { [$0] } ?? [], asks: t.bestAsk.map { [$0] } ?? [],
            sequence: t.sequence.map { BookSequence(first: $0, last: $0) } ?? .unsequenced, exchangeTime: t.exchangeTime,
            receiveTime: t.receiveTime)
        bookData(book, into: &out)
        out.appendASCII("]}")
    }

    func fundingData(_ f: FundingRate, into out: inout [UInt8]) {
        out.appendASCII("{\"instId\":")
        out.appendQuoted(f.instrument.native)
        out.appendASCII(",\"instType\":\"SWAP\",\"fundingRate\":")
        out.appendQuotedDecimal(f.rate)
        if let next = f.nextFundingTime {
            out.appendASCII(",\"fundingTime\":")
            out.appendQuotedInt(next.milliseconds)
        }
        out.appendASCII(",\"ts\":")
        out.appendQuotedInt(f.exchangeTime.milliseconds)
        out.append(UInt8(ascii: "}"))
    }

    public func encodeFunding(_ f: FundingRate, into out: inout [UInt8]) {
        open("funding-rate", f.instrument, into: &out)
        out.appendASCII(",\"data\":[")
        fundingData(f, into: &out)
        out.appendASCII("]}")
    }

    func openInterestData(_ o: OpenInterest, into out: inout [UInt8]) {
        out.appendASCII("{\"instId\":")
        out.appendQuoted(o.instrument.native)
        out.appendASCII(",\"instType\":\"")
        out.append(contentsOf: OKXAdapter.instType(o.instrument).utf8)
        out.appendASCII("\",\"oi\":")
        out.appendQuotedDecimal(o.amount)
        if let v = o.value {
            out.appendASCII(",\"oiUsd\":")
            out.appendQuotedDecimal(v)
        }
        out.appendASCII(",\"ts\":")
        out.appendQuotedInt(o.exchangeTime.milliseconds)
        out.append(UInt8(ascii: "}"))
    }

    public func encodeOpenInterest(_ o: OpenInterest, into out: inout [UInt8]) {
        open("open-interest", o.instrument, into: &out)
        out.appendASCII(",\"data\":[")
        openInterestData(o, into: &out)
        out.appendASCII("]}")
    }

    /// REST `/api/v5/public/open-interest` and `/funding-rate` bodies.
    public func encodeOpenInterestBody(_ o: OpenInterest, into out: inout [UInt8]) {
        out.appendASCII("{\"code\":\"0\",\"msg\":\"\",\"data\":[")
        openInterestData(o, into: &out)
        out.appendASCII("]}")
    }

    public func encodeFundingBody(_ f: FundingRate, into out: inout [UInt8]) {
        out.appendASCII("{\"code\":\"0\",\"msg\":\"\",\"data\":[")
        fundingData(f, into: &out)
        out.appendASCII("]}")
    }

    /// A `liquidation-orders` push (subscribed by instType) with one detail.
    public func encodeLiquidation(_ l: Liquidation, into out: inout [UInt8]) {
        out.appendASCII("{\"arg\":{\"channel\":\"liquidation-orders\",\"instType\":\"")
        out.append(contentsOf: OKXAdapter.instType(l.instrument).utf8)
        out.appendASCII("\"},\"data\":[{\"details\":[{\"bkLoss\":\"0\",\"bkPx\":")
        out.appendQuotedDecimal(l.price)
        out.appendASCII(",\"ccy\":\"\",\"posSide\":")
        out.appendASCII(l.side == .buy ? "\"short\",\"side\":\"buy\"" : "\"long\",\"side\":\"sell\"")
        out.appendASCII(",\"sz\":")
        out.appendQuotedDecimal(l.quantity)
        out.appendASCII(",\"ts\":")
        out.appendQuotedInt(l.exchangeTime.milliseconds)
        out.appendASCII("}],\"instId\":")
        out.appendQuoted(l.instrument.native)
        out.appendASCII("}]}")
    }

    /// A candle push; OKX volumes: `vol` in contracts (base on spot), `volCcy` in base currency.
    public func encodeCandle(_ k: Kline, into out: inout [UInt8]) {
        out.appendASCII("{\"arg\":{\"channel\":\"candle")
        out.append(contentsOf: KlineInterval.toOKX(k.interval).utf8)
        out.appendASCII("\",\"instId\":")
        out.appendQuoted(k.instrument.native)
        out.appendASCII("},\"data\":[[")
        out.appendQuotedInt(k.openTime.milliseconds)
        for v in [k.open, k.high, k.low, k.close, k.volume, k.volume] {
            out.append(UInt8(ascii: ","))
            out.appendQuotedDecimal(v)
        }
        out.appendASCII(",\"0\"")
        out.appendASCII(k.closed ? ",\"1\"]]}" : ",\"0\"]]}")
    }

    public func encodeSubscribeAck(channel: String, instId: String, into out: inout [UInt8]) {
        out.appendASCII("{\"event\":\"subscribe\",\"arg\":{\"channel\":")
        out.appendQuoted(channel)
        out.appendASCII(",\"instId\":")
        out.appendQuoted(instId)
        out.appendASCII("}}")
    }

    public func encodeError(code: String, message: String, into out: inout [UInt8]) {
        out.appendASCII("{\"event\":\"error\",\"code\":")
        out.appendQuoted(code)
        out.appendASCII(",\"msg\":")
        out.appendQuoted(message)
        out.append(UInt8(ascii: "}"))
    }

    /// The push for an event on its usual channel. Tickers without a last price but with a
    /// sequence go out as `bbo-tbt`.
    @discardableResult
    public func encode(_ event: MarketEvent, into out: inout [UInt8]) -> Bool {
        switch event {
        case .book(let b): encodeBook(b, into: &out)
        case .trade(let t): encodeTrade(t, into: &out)
        case .ticker(let t):
            if t.last == nil && t.sequence != nil { encodeBBO(t, into: &out) } else { encodeTicker(t, into: &out) }
        case .kline(let k): encodeCandle(k, into: &out)
        case .funding(let f): encodeFunding(f, into: &out)
        case .liquidation(let l): encodeLiquidation(l, into: &out)
        case .openInterest(let o): encodeOpenInterest(o, into: &out)
        }
        return true
    }
}
