import Model

/// Frame and REST-body parsing shared by Binance spot and USD-M futures (same envelope and event
/// shapes; futures add `pu`, `T`, markPrice and forceOrder).
///
/// Times: trades use the trade time `T`, everything else the event time `E`; frames without one
/// (spot bookTicker, spot partial depth, spot REST snapshots) take the receive time.
public struct BinanceParser: Sendable {
    let venue: Venue
    /// Whether the event parsers first read the keys in the order Binance sends them
    /// (`JSONScanner.keyIs`) before their general loop; off only in tests, to compare with the loop alone.
    var predictsKeys = true

    // MARK: Envelope

    /// One websocket frame, counted, its partial output rolled back and replaced by `.error` if it fails
    /// (what `VenueAdapter.run` does, without the generic adapter around it).
    func parse(
        frame: UnsafeRawBufferPointer, receivedAt: Instant, catalog: inout InstrumentCatalog,
        levels: inout ReusableLevelArrays, counters: inout ParseCounters, into out: inout [AdapterOutput]
    ) {
        counters.frames += 1
        let mark = out.count
        do {
            var s = JSONScanner(frame)
            try parseFrame(&s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
            counters.count(out, from: mark)
        } catch {
            counters.failed(error, &out, from: mark)
        }
    }

    func parseFrame(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, levels: inout ReusableLevelArrays, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) {
        if try parseStreamFrame(s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out) { return }
        try parseEnvelope(&s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
    }

    /// Any frame: the combined-stream envelope with its keys in any order, subscription answers and
    /// errors, or an unwrapped event.
    func parseEnvelope(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, levels: inout ReusableLevelArrays, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) {
        let start = s.position
        try s.beginObject()
        var first = true
        guard var key = try s.nextKey(&first) else { throw FrameError(.unknownMessage, offset: start) }
        let isEnvelope =
            s.matches(key, "stream") || s.matches(key, "data") || s.matches(key, "result") || s.matches(key, "id")
            || s.matches(key, "code") || s.matches(key, "msg") || s.matches(key, "error")
        guard isEnvelope else {
            s.position = start
            try parseRaw(&s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
            try s.finish()
            return
        }
        var stream: (BinanceStream, symbol: Range<Int>?)?
        var pendingData: Int?
        var sawData = false
        var sawResult = false
        var id: Int64?
        var code: Range<Int>?
        var message: Range<Int>?
        while true {
            if s.matches(key, "stream") {
                let name = try s.readString(field: "stream")
                guard let c = BinanceStream.classify(s, name) else {
                    throw FrameError(.unknownChannel(s.text(name)), field: "stream", offset: name.lowerBound)
                }
                stream = c
            } else if s.matches(key, "data") {
                sawData = true
                if let (kind, symbol) = stream {
                    try parseData(kind, streamSymbol: symbol, &s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
                } else {
                    pendingData = s.position
                    try s.skipValue()
                }
            } else if s.matches(key, "result") {
                sawResult = true
                try s.skipValue()
            } else if s.matches(key, "id") {
                id = try s.optionalInt64Value("id")
            } else if s.matches(key, "code") {
                code = try s.scalarText("code")
            } else if s.matches(key, "msg") {
                message = try s.readString(field: "msg")
            } else if s.matches(key, "error") {
                (code, message) = try s.errorObject(messageKey: "msg")
            } else {
                try s.skipValue()
            }
            guard let next = try s.nextKey(&first) else { break }
            key = next
        }
        try s.finish()
        if let at = pendingData {
            guard let (kind, symbol) = stream else { throw FrameError(.missingField, field: "stream", offset: start) }
            var d = s
            d.position = at
            try parseData(kind, streamSymbol: symbol, &d, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
        }
        if sawData { return }
        if let code {
            out.append(.subscribeError(code: s.text(code), message: message.map { s.text($0) } ?? ""))
        } else if sawResult, let id {
            out.append(.subscribed(channels: ["id:\(id)"]))
        } else {
            throw FrameError(.unknownMessage, offset: start)
        }
    }

    /// The frame as Binance sends it on a combined stream, `{"stream":"<name>","data":<event>}` with
    /// nothing else and no whitespace around the envelope, read without the general loop over keys.
    /// The data is parsed by the very call the general path makes at that point (same scanner state,
    /// so an error it throws is the general path's error). False, with `out` as it was, for anything
    /// else: an unknown stream, another key, whitespace, trailing bytes; `parseFrame` then reads the
    /// frame from the start (parsing the data again gives the same events, and a catalog entry
    /// derived from the naming convention is found the second time, not added twice).
    func parseStreamFrame(
        _ frame: JSONScanner, catalog: inout InstrumentCatalog, levels: inout ReusableLevelArrays, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) -> Bool {
        var s = frame
        let n = s.bytes.count
        // `{"stream":"` is 11 bytes, then at least a name, `","data":`, a value and `}`.
        guard let base = s.bytes.baseAddress, s.position == 0, n >= 24 else { return false }
        let head = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let headTail = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 7, as: UInt32.self))
        // `{"stream` and `m":"` (the two loads overlap in `m`).
        guard head == 0x6D61_6572_7473_227B, headTail == 0x223A_226D else { return false }
        s.position = 10
        // Stream names (`btcusdt@depth@100ms`) fit the inline reader; `stringBody` gives the same range.
        guard let name = s.shortString() ?? (try? s.stringBody()), s.position &+ 8 <= n else { return false }
        let key = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: s.position, as: UInt64.self))
        // `,"data":`
        guard key == 0x3A22_6174_6164_222C, let (kind, symbol) = BinanceStream.classify(s, name) else { return false }
        s.position &+= 8
        s.skipWhitespace()
        let mark = out.count
        try parseData(kind, streamSymbol: symbol, &s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
        guard s.position &+ 1 == n, base.load(fromByteOffset: s.position, as: UInt8.self) == UInt8(ascii: "}") else {
            out.removeSubrange(mark...)
            return false
        }
        return true
    }

    /// An unwrapped event (raw `/ws/<stream>` connection): the type comes from `e`, or the shape.
    func parseRaw(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, levels: inout ReusableLevelArrays, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) {
        var probe = s
        try probe.beginObject()
        var first = true
        var kind: BinanceStream?
        var hasLastUpdateId = false
        var hasBookTickerShape = false
        while let k = try probe.nextKey(&first) {
            if s.matches(k, "e") {
                let e = try probe.readString(field: "e")
                guard let c = BinanceStream.classify(eventType: probe, e) else {
                    throw FrameError(.unknownChannel(probe.text(e)), field: "e", offset: e.lowerBound)
                }
                kind = c
                break
            }
            if s.matches(k, "lastUpdateId") { hasLastUpdateId = true }
            if s.matches(k, "B") { hasBookTickerShape = true }
            try probe.skipValue()
        }
        let resolved = kind ?? (hasLastUpdateId ? .partialDepth : (hasBookTickerShape ? .bookTicker : nil))
        guard let resolved else { throw FrameError(.unknownMessage, offset: s.position) }
        try parseOne(resolved, streamSymbol: nil, &s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
    }

    func parseData(
        _ kind: BinanceStream, streamSymbol: Range<Int>?, _ s: inout JSONScanner, catalog: inout InstrumentCatalog,
        levels: inout ReusableLevelArrays, receivedAt: Instant, out: inout [AdapterOutput]
    ) throws(FrameError) {
        if s.peek() == UInt8(ascii: "[") {
            try s.beginArray(field: "data")
            var first = true
            while try s.nextElement(&first) {
                try parseOne(kind, streamSymbol: nil, &s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
            }
        } else {
            try parseOne(kind, streamSymbol: streamSymbol, &s, catalog: &catalog, levels: &levels, receivedAt: receivedAt, out: &out)
        }
    }

    func parseOne(
        _ kind: BinanceStream, streamSymbol: Range<Int>?, _ s: inout JSONScanner, catalog: inout InstrumentCatalog,
        levels: inout ReusableLevelArrays, receivedAt: Instant, out: inout [AdapterOutput]
    ) throws(FrameError) {
        switch kind {
        case .depth, .partialDepth:
            let book = try parseDepth(
                &s, snapshot: kind == .partialDepth, instrument: nil, streamSymbol: streamSymbol, catalog: &catalog,
                levels: &levels, receivedAt: receivedAt)
            out.append(.event(.book(book)))
        case .trade, .aggTrade:
            out.append(.event(.trade(try parseTrade(&s, aggregate: kind == .aggTrade, catalog: &catalog, receivedAt: receivedAt))))
        case .bookTicker, .ticker24h:
            out.append(.event(.ticker(try parseTicker(&s, streamSymbol: streamSymbol, catalog: &catalog, receivedAt: receivedAt))))
        case .kline:
            out.append(.event(.kline(try parseKline(&s, catalog: &catalog, receivedAt: receivedAt))))
        case .markPrice:
            if let f = try parseMarkPrice(&s, catalog: &catalog, receivedAt: receivedAt) { out.append(.event(.funding(f))) }
        case .forceOrder:
            out.append(.event(.liquidation(try parseForceOrder(&s, catalog: &catalog, receivedAt: receivedAt))))
        }
    }

    // MARK: Instruments

    /// Resolves `s` if the event named it, else the stream's lowercase symbol.
    func instrument(
        _ s: JSONScanner, symbol: Range<Int>?, streamSymbol: Range<Int>?, catalog: inout InstrumentCatalog, at offset: Int
    ) throws(FrameError) -> Instrument {
        if let symbol { return try catalog.require(s, symbol) }
        guard let streamSymbol, streamSymbol.count <= 64 else { throw FrameError(.missingField, field: "s", offset: offset) }
        let found: Instrument? = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: streamSymbol.count) { buf in
            for (k, i) in streamSymbol.enumerated() {
                let c = s.bytes[i]
                buf[k] = (c >= 97 && c <= 122) ? c - 32 : c
            }
            return catalog.resolve(UnsafeRawBufferPointer(buf))
        }
        guard let found else {
            throw FrameError(.unknownInstrument(s.text(streamSymbol).uppercased()), offset: streamSymbol.lowerBound)
        }
        return found
    }

    // MARK: Events

    /// depthUpdate (spot `U/u`, futures `U/u/pu`), partial depth and REST snapshots (`lastUpdateId`).
    func parseDepth(
        _ s: inout JSONScanner, snapshot: Bool, instrument fixed: Instrument?, streamSymbol: Range<Int>?,
        catalog: inout InstrumentCatalog, levels: inout ReusableLevelArrays, receivedAt: Instant
    ) throws(FrameError) -> BookUpdate {
        let start = s.position
        try s.beginObject()
        var first = true
        var eventTime: Int64?
        var firstId: Int64?
        var lastId: Int64?
        var previous: Int64?
        var lastUpdateId: Int64?
        var symbol: Range<Int>?
        var (bids, asks) = levels.take()
        // Spot `e,E,s,U,u,b,a`, futures `e,E,T,s,U,u,pu,b,a`: each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs(UInt8(ascii: "e"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "E"), &first) { eventTime = try s.int64Value("E") }
            if s.keyIs(UInt8(ascii: "T"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "s"), &first) { symbol = try s.readString(field: "s") }
            if s.keyIs(UInt8(ascii: "U"), &first) { firstId = try s.int64Value("U") }
            if s.keyIs(UInt8(ascii: "u"), &first) { lastId = try s.int64Value("u") }
            if s.keyIs(UInt8(ascii: "p"), UInt8(ascii: "u"), &first) { previous = try s.int64Value("pu") }
            if s.keyIs(UInt8(ascii: "b"), &first) { try s.levels("b", into: &bids) }
            if s.keyIs(UInt8(ascii: "a"), &first) { try s.levels("a", into: &asks) }
        }
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "E"): eventTime = try s.int64Value("E")
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case UInt8(ascii: "U"): firstId = try s.int64Value("U")
            case UInt8(ascii: "u"): lastId = try s.int64Value("u")
            case UInt8(ascii: "b"): try s.levels("b", into: &bids)
            case UInt8(ascii: "a"): try s.levels("a", into: &asks)
            case 0:
                if s.matches(k, "pu") {
                    previous = try s.int64Value("pu")
                } else if s.matches(k, "lastUpdateId") {
                    lastUpdateId = try s.int64Value("lastUpdateId")
                } else if s.matches(k, "bids") {
                    try s.levels("bids", into: &bids)
                } else if s.matches(k, "asks") {
                    try s.levels("asks", into: &asks)
                } else {
                    try s.skipValue()
                }
            default: try s.skipValue()
            }
        }
        let sequence: BookSequence
        let kind: BookUpdate.Kind
        if let lastUpdateId {
            sequence = BookSequence(first: lastUpdateId, last: lastUpdateId)
            kind = .snapshot
        } else {
            guard let firstId else { throw FrameError(.missingField, field: "U", offset: start) }
            guard let lastId else { throw FrameError(.missingField, field: "u", offset: start) }
            sequence = BookSequence(first: firstId, last: lastId, previous: previous)
            kind = snapshot ? .snapshot : .delta
        }
        let instrument: Instrument
        if let fixed {
            instrument = fixed
        } else {
            instrument = try self.instrument(s, symbol: symbol, streamSymbol: streamSymbol, catalog: &catalog, at: start)
        }
        levels.keep(bids: bids, asks: asks)
        return BookUpdate(
            instrument: instrument, kind: kind, bids: bids, asks: asks, sequence: sequence,
            exchangeTime: eventTime.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }

    /// `trade` (id `t`; older frames also carry order ids `b`/`a`) and `aggTrade` (id `a`);
    /// `m` (buyer is maker) true means the taker sold.
    func parseTrade(_ s: inout JSONScanner, aggregate: Bool, catalog: inout InstrumentCatalog, receivedAt: Instant)
        throws(FrameError) -> Trade
    {
        let idKey = aggregate ? UInt8(ascii: "a") : UInt8(ascii: "t")
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var id: Range<Int>?
        var price: FixedDecimal?
        var quantity: FixedDecimal?
        var time: Int64?
        var eventTime: Int64?
        var buyerIsMaker: Bool?
        // `e,E,s,a,p,q,f,l,T,m,M` (aggTrade; `t` for the id of a trade): each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs(UInt8(ascii: "e"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "E"), &first) { eventTime = try s.int64Value("E") }
            if s.keyIs(UInt8(ascii: "s"), &first) { symbol = try s.readString(field: "s") }
            if s.keyIs(idKey, &first) { id = try s.scalarText("a") }
            if s.keyIs(UInt8(ascii: "p"), &first) { price = try s.decimalValue("p") }
            if s.keyIs(UInt8(ascii: "q"), &first) { quantity = try s.decimalValue("q") }
            if s.keyIs(UInt8(ascii: "f"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "l"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "T"), &first) { time = try s.int64Value("T") }
            if s.keyIs(UInt8(ascii: "m"), &first) { buyerIsMaker = try s.boolValue("m") }
            if s.keyIs(UInt8(ascii: "M"), &first) { try s.skipValue() }
        }
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case idKey: id = try s.scalarText("a")
            case UInt8(ascii: "p"): price = try s.decimalValue("p")
            case UInt8(ascii: "q"): quantity = try s.decimalValue("q")
            case UInt8(ascii: "T"): time = try s.int64Value("T")
            case UInt8(ascii: "E"): eventTime = try s.int64Value("E")
            case UInt8(ascii: "m"): buyerIsMaker = try s.boolValue("m")
            default: try s.skipValue()
            }
        }
        guard let symbol else { throw FrameError(.missingField, field: "s", offset: start) }
        guard let id else { throw FrameError(.missingField, field: "a", offset: start) }
        guard let price else { throw FrameError(.missingField, field: "p", offset: start) }
        guard let quantity else { throw FrameError(.missingField, field: "q", offset: start) }
        guard let buyerIsMaker else { throw FrameError(.missingField, field: "m", offset: start) }
        guard let at = time ?? eventTime else { throw FrameError(.missingField, field: "T", offset: start) }
        return Trade(
            instrument: try catalog.require(s, symbol), tradeId: s.text(id), price: price, quantity: quantity,
            side: buyerIsMaker ? .sell : .buy, exchangeTime: .milliseconds(at), receiveTime: receivedAt)
    }

    /// bookTicker (`u`, `b/B/a/A`) and 24hrTicker (`c`, `o/h/l`, `v`, `q`, and on spot `b/B/a/A`).
    func parseTicker(
        _ s: inout JSONScanner, streamSymbol: Range<Int>?, catalog: inout InstrumentCatalog, receivedAt: Instant
    ) throws(FrameError) -> Ticker {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var bid: FixedDecimal?, bidSize: FixedDecimal?, ask: FixedDecimal?, askSize: FixedDecimal?
        var last: FixedDecimal?, open: FixedDecimal?, high: FixedDecimal?, low: FixedDecimal?
        var volume: FixedDecimal?, quoteVolume: FixedDecimal?
        var sequence: Int64?
        var eventTime: Int64?
        // bookTicker, spot `u,s,b,B,a,A`, futures `e,u,E,T,s,b,B,a,A`: each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs(UInt8(ascii: "e"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "u"), &first) { sequence = try s.int64Value("u") }
            if s.keyIs(UInt8(ascii: "E"), &first) { eventTime = try s.int64Value("E") }
            if s.keyIs(UInt8(ascii: "T"), &first) { try s.skipValue() }
            if s.keyIs(UInt8(ascii: "s"), &first) { symbol = try s.readString(field: "s") }
            if s.keyIs(UInt8(ascii: "b"), &first) { bid = try s.decimalValue("b") }
            if s.keyIs(UInt8(ascii: "B"), &first) { bidSize = try s.decimalValue("B") }
            if s.keyIs(UInt8(ascii: "a"), &first) { ask = try s.decimalValue("a") }
            if s.keyIs(UInt8(ascii: "A"), &first) { askSize = try s.decimalValue("A") }
        }
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case UInt8(ascii: "u"): sequence = try s.int64Value("u")
            case UInt8(ascii: "E"): eventTime = try s.int64Value("E")
            case UInt8(ascii: "b"): bid = try s.decimalValue("b")
            case UInt8(ascii: "B"): bidSize = try s.decimalValue("B")
            case UInt8(ascii: "a"): ask = try s.decimalValue("a")
            case UInt8(ascii: "A"): askSize = try s.decimalValue("A")
            case UInt8(ascii: "c"): last = try s.decimalValue("c")
            case UInt8(ascii: "o"): open = try s.decimalValue("o")
            case UInt8(ascii: "h"): high = try s.decimalValue("h")
            case UInt8(ascii: "l"): low = try s.decimalValue("l")
            case UInt8(ascii: "v"): volume = try s.decimalValue("v")
            case UInt8(ascii: "q"): quoteVolume = try s.decimalValue("q")
            default: try s.skipValue()
            }
        }
        let instrument = try self.instrument(s, symbol: symbol, streamSymbol: streamSymbol, catalog: &catalog, at: start)
        var bestBid: BookLevel?
        var bestAsk: BookLevel?
        if let bid, let bidSize { bestBid = BookLevel(price: bid, size: bidSize) }
        if let ask, let askSize { bestAsk = BookLevel(price: ask, size: askSize) }
        guard bestBid != nil || bestAsk != nil || last != nil else { throw FrameError(.missingField, field: "b", offset: start) }
        return Ticker(
            instrument: instrument, bestBid: bestBid, bestAsk: bestAsk, last: last, open24h: open, high24h: high,
            low24h: low, volume24h: volume, quoteVolume24h: quoteVolume, sequence: sequence,
            exchangeTime: eventTime.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }

    func parseKline(_ s: inout JSONScanner, catalog: inout InstrumentCatalog, receivedAt: Instant) throws(FrameError) -> Kline {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var eventTime: Int64?
        var kline: Kline?
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case UInt8(ascii: "E"): eventTime = try s.int64Value("E")
            case UInt8(ascii: "k"): kline = try parseKlineBody(&s, symbol: &symbol, receivedAt: receivedAt)
            default: try s.skipValue()
            }
        }
        guard var kline, let symbol else { throw FrameError(.missingField, field: "k", offset: start) }
        kline.instrument = try catalog.require(s, symbol)
        kline.exchangeTime = eventTime.map(Instant.milliseconds) ?? receivedAt
        return kline
    }

    /// The candle object `k`; its instrument is filled in by the caller once `s` is known.
    func parseKlineBody(_ s: inout JSONScanner, symbol: inout Range<Int>?, receivedAt: Instant) throws(FrameError) -> Kline {
        let instrument = Instrument(venue: venue, native: "", base: "", quote: "", kind: .spot)
        let start = s.position
        try s.beginObject(field: "k")
        var first = true
        var openTime: Int64?, closeTime: Int64?
        var interval: Range<Int>?
        var o: FixedDecimal?, h: FixedDecimal?, l: FixedDecimal?, c: FixedDecimal?, v: FixedDecimal?
        var closed = false
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "t"): openTime = try s.int64Value("t")
            case UInt8(ascii: "T"): closeTime = try s.int64Value("T")
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case UInt8(ascii: "i"): interval = try s.readString(field: "i")
            case UInt8(ascii: "o"): o = try s.decimalValue("o")
            case UInt8(ascii: "h"): h = try s.decimalValue("h")
            case UInt8(ascii: "l"): l = try s.decimalValue("l")
            case UInt8(ascii: "c"): c = try s.decimalValue("c")
            case UInt8(ascii: "v"): v = try s.decimalValue("v")
            case UInt8(ascii: "x"): closed = try s.boolValue("x")
            default: try s.skipValue()
            }
        }
        guard let openTime, let closeTime, let interval, let o, let h, let l, let c, let v else {
            throw FrameError(.missingField, field: "k", offset: start)
        }
        return Kline(
            instrument: instrument, interval: s.text(interval), openTime: .milliseconds(openTime),
            closeTime: .milliseconds(closeTime), open: o, high: h, low: l, close: c, volume: v, closed: closed,
            exchangeTime: receivedAt, receiveTime: receivedAt)
    }

    /// markPriceUpdate: `r` funding rate, `T` next funding time, `p` mark, `i` index. Delivery
    /// contracts send `r:""`: no funding event then.
    func parseMarkPrice(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, receivedAt: Instant
    ) throws(FrameError) -> FundingRate? {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var eventTime: Int64?
        var rate: FixedDecimal?, mark: FixedDecimal?, index: FixedDecimal?
        var next: Int64?
        while let k = try s.nextKey(&first) {
            switch s.singleByte(k) {
            case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
            case UInt8(ascii: "E"): eventTime = try s.int64Value("E")
            case UInt8(ascii: "r"): rate = try s.optionalDecimalValue("r")
            case UInt8(ascii: "p"): mark = try s.optionalDecimalValue("p")
            case UInt8(ascii: "i"): index = try s.optionalDecimalValue("i")
            case UInt8(ascii: "T"): next = try s.optionalInt64Value("T")
            default: try s.skipValue()
            }
        }
        guard let symbol else { throw FrameError(.missingField, field: "s", offset: start) }
        let instrument = try catalog.require(s, symbol)
        guard let rate else { return nil }
        return FundingRate(
            instrument: instrument, rate: rate, nextFundingTime: next.flatMap { $0 > 0 ? .milliseconds($0) : nil },
            markPrice: mark, indexPrice: index, exchangeTime: eventTime.map(Instant.milliseconds) ?? receivedAt,
            receiveTime: receivedAt)
    }

    /// forceOrder: the liquidation order in `o` (`S` side, `p` price, `q` quantity, `T` time).
    func parseForceOrder(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, receivedAt: Instant
    ) throws(FrameError) -> Liquidation {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var side: Side?
        var price: FixedDecimal?, quantity: FixedDecimal?
        var time: Int64?
        var sawOrder = false
        while let k = try s.nextKey(&first) {
            guard s.singleByte(k) == UInt8(ascii: "o") else {
                try s.skipValue()
                continue
            }
            sawOrder = true
            try s.beginObject(field: "o")
            var f = true
            while let ok = try s.nextKey(&f) {
                switch s.singleByte(ok) {
                case UInt8(ascii: "s"): symbol = try s.readString(field: "s")
                case UInt8(ascii: "S"):
                    let r = try s.readString(field: "S")
                    if s.matches(r, "BUY") {
                        side = .buy
                    } else if s.matches(r, "SELL") {
                        side = .sell
                    } else {
                        throw FrameError(.invalidValue, field: "S", offset: r.lowerBound)
                    }
                case UInt8(ascii: "p"): price = try s.decimalValue("p")
                case UInt8(ascii: "q"): quantity = try s.decimalValue("q")
                case UInt8(ascii: "T"): time = try s.int64Value("T")
                default: try s.skipValue()
                }
            }
        }
        guard sawOrder, let symbol, let side, let price, let quantity, let time else {
            throw FrameError(.missingField, field: "o", offset: start)
        }
        return Liquidation(
            instrument: try catalog.require(s, symbol), side: side, price: price, quantity: quantity,
            exchangeTime: .milliseconds(time), receiveTime: receivedAt)
    }

    // MARK: REST

    /// A REST error body `{"code":-1121,"msg":"Invalid symbol."}` becomes `.venueError`.
    func venueError(_ body: UnsafeRawBufferPointer) -> FrameError? {
        var s = JSONScanner(body)
        guard (try? s.beginObject()) != nil else { return nil }
        var first = true
        var code: Range<Int>?
        var msg: Range<Int>?
        while let k = try? s.nextKey(&first) {
            if s.matches(k, "code") {
                code = try? s.scalarText("code")
            } else if s.matches(k, "msg") {
                msg = try? s.readString(field: "msg")
            } else if (try? s.skipValue()) == nil {
                return nil
            }
        }
        guard let code, let msg else { return nil }
        return FrameError(.venueError(code: s.text(code), message: s.text(msg)), offset: 0)
    }

    func parseOpenInterest(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, receivedAt: Instant
    ) throws(FrameError) -> OpenInterest {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var amount: FixedDecimal?
        var time: Int64?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "openInterest") {
                amount = try s.decimalValue("openInterest")
            } else if s.matches(k, "symbol") {
                symbol = try s.readString(field: "symbol")
            } else if s.matches(k, "time") {
                time = try s.int64Value("time")
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        guard let symbol, let amount else { throw FrameError(.missingField, field: "openInterest", offset: start) }
        return OpenInterest(
            instrument: try catalog.require(s, symbol), amount: amount,
            exchangeTime: time.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }

    /// `/fapi/v1/premiumIndex`: `lastFundingRate`, `nextFundingTime`, `markPrice`, `indexPrice`, `time`.
    func parsePremiumIndex(
        _ s: inout JSONScanner, catalog: inout InstrumentCatalog, receivedAt: Instant
    ) throws(FrameError) -> FundingRate {
        let start = s.position
        try s.beginObject()
        var first = true
        var symbol: Range<Int>?
        var rate: FixedDecimal?, mark: FixedDecimal?, index: FixedDecimal?
        var next: Int64?, time: Int64?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "symbol") {
                symbol = try s.readString(field: "symbol")
            } else if s.matches(k, "lastFundingRate") {
                rate = try s.optionalDecimalValue("lastFundingRate")
            } else if s.matches(k, "markPrice") {
                mark = try s.optionalDecimalValue("markPrice")
            } else if s.matches(k, "indexPrice") {
                index = try s.optionalDecimalValue("indexPrice")
            } else if s.matches(k, "nextFundingTime") {
                next = try s.optionalInt64Value("nextFundingTime")
            } else if s.matches(k, "time") {
                time = try s.int64Value("time")
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        guard let symbol, let rate else { throw FrameError(.missingField, field: "lastFundingRate", offset: start) }
        return FundingRate(
            instrument: try catalog.require(s, symbol), rate: rate,
            nextFundingTime: next.flatMap { $0 > 0 ? .milliseconds($0) : nil }, markPrice: mark, indexPrice: index,
            exchangeTime: time.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }
}
