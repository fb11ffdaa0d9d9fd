import Model

/// OKX v5 public websocket (`wss://ws.okx.com:8443/ws/v5/public`) and REST (`https://www.okx.com`).
///
/// Book messages keep the venue's sequencing as sent: `seqId` -> `last` (and `first`), `prevSeqId`
/// -> `previous` (-1 on legacy snapshots); frames from before `seqId` existed get
/// `BookSequence.unsequenced`. A `checksum` of 0 (always 0 in production since 2026-06) becomes nil.
public struct OKXAdapter: VenueAdapter, Sendable {
    public var venue: Venue { .okx }
    public var subscription: Subscription
    public private(set) var catalog: InstrumentCatalog
    public var counters = ParseCounters()
    /// `sz` of REST book snapshots (the `books` channel depth).
    public var snapshotDepth: Int
    /// Subscribe args per frame (OKX caps a request's total size; 100 short args stay well below it).
    public var argsPerFrame = 100
    /// The last book update's level arrays, reused by the next one.
    var spareLevels = ReusableLevelArrays()
    /// Whether book and trade pushes first read the keys in OKX's order (`JSONScanner.keyIs`) before
    /// their general loop; off only in tests, to compare with the loop alone.
    var predictsKeys = true

    public static let restHost = "www.okx.com"

    public init(subscription: Subscription, catalog: InstrumentCatalog, snapshotDepth: Int = 400) {
        self.subscription = subscription
        self.catalog = catalog
        self.snapshotDepth = snapshotDepth
    }

    public var websocketURL: String { "wss://ws.okx.com:8443/ws/v5/public" }

    /// Text `ping` after 25 s of silence (the server drops a connection idle for 30 s); `pong` expected.
    public var keepalive: KeepalivePolicy {
        .clientPing(frame: OKXAdapter.pingFrame, idle: .seconds(25), deadline: .seconds(30))
    }

    public static let pingFrame: [UInt8] = Array("ping".utf8)

    // MARK: Subscriptions

    static func channelName(_ channel: Channel) -> String {
        switch channel {
        case .trades: return "trades"
        case .book: return "books"
        case .ticker: return "tickers"
        case .kline(let i): return "candle" + KlineInterval.toOKX(i)
        case .funding: return "funding-rate"
        case .liquidations: return "liquidation-orders"
        case .openInterest: return "open-interest"
        }
    }

    static func instType(_ i: Instrument) -> String {
        switch i.kind {
        case .spot: return "SPOT"
        case .perpetual: return "SWAP"
        case .future: return "FUTURES"
        case .option: return "OPTION"
        }
    }

    /// Subscribe args as (channel, key, value): `instId` per instrument; liquidations by `instType`.
    public var subscribeArgs: [(channel: String, key: String, value: String)] {
        var out: [(String, String, String)] = []
        var seen = Set<String>()
        for e in subscription.entries {
            let name = Self.channelName(e.channel)
            for native in e.instruments {
                let (key, value): (String, String)
                if e.channel == .liquidations {
                    guard let i = catalog.instrument(native: native), i.kind != .spot else { continue }
                    (key, value) = ("instType", Self.instType(i))
                } else {
                    (key, value) = ("instId", native)
                }
                if seen.insert(name + "|" + key + "|" + value).inserted { out.append((name, key, value)) }
            }
        }
        return out
    }

    public func subscribeFrames() -> [[UInt8]] {
        let args = subscribeArgs
        var frames: [[UInt8]] = []
        var start = 0
        while start < args.count {
            let end = min(args.count, start + max(1, argsPerFrame))
            var f: [UInt8] = []
            f.appendASCII("{\"op\":\"subscribe\",\"args\":[")
            for k in start..<end {
                if k > start { f.append(UInt8(ascii: ",")) }
                f.appendASCII("{\"channel\":")
                f.appendQuoted(args[k].channel)
                f.append(UInt8(ascii: ","))
                f.appendQuoted(args[k].key)
                f.append(UInt8(ascii: ":"))
                f.appendQuoted(args[k].value)
                f.append(UInt8(ascii: "}"))
            }
            f.appendASCII("]}")
            frames.append(f)
            start = end
        }
        return frames
    }

    public func connectFrames() -> [[UInt8]] { subscribeFrames() }

    // MARK: REST

    public func snapshotRequest(for instrument: Instrument) -> RestRequest {
        RestRequest(
            host: Self.restHost, pathAndQuery: "/api/v5/market/books?instId=\(instrument.native)&sz=\(snapshotDepth)",
            weight: 1, purpose: .bookSnapshot(instrument))
    }

    public func instrumentsRequests() -> [RestRequest] {
        ["SPOT", "SWAP", "FUTURES"].map {
            RestRequest(
                host: Self.restHost, pathAndQuery: "/api/v5/public/instruments?instType=\($0)", weight: 1,
                purpose: .instruments)
        }
    }

    public func openInterestRequest(for instrument: Instrument) -> RestRequest? {
        guard instrument.kind != .spot else { return nil }
        return RestRequest(
            host: Self.restHost,
            pathAndQuery: "/api/v5/public/open-interest?instType=\(Self.instType(instrument))&instId=\(instrument.native)",
            weight: 1, purpose: .openInterest(instrument))
    }

    public func fundingRequest(for instrument: Instrument) -> RestRequest? {
        guard instrument.kind == .perpetual else { return nil }
        return RestRequest(
            host: Self.restHost, pathAndQuery: "/api/v5/public/funding-rate?instId=\(instrument.native)", weight: 1,
            purpose: .funding(instrument))
    }

    // MARK: Frames

    public mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput]) {
        run(&out) { (me: inout OKXAdapter, out: inout [AdapterOutput]) throws(FrameError) in
            var s = JSONScanner(frame)
            if s.peek() != UInt8(ascii: "{") {
                let start = s.position
                var end = frame.count
                while end > start, [0x20, 0x0A, 0x0D, 0x09].contains(frame[end - 1]) { end -= 1 }
                if s.matches(start..<end, "pong") {
                    out.append(.pong)
                    return
                }
                if s.matches(start..<end, "ping") {
                    out.append(.replyRequired(frame: Array("pong".utf8)))
                    return
                }
                throw s.unexpected(.object)
            }
            try me.parseObject(&s, receivedAt: receivedAt, out: &out)
        }
    }

    /// Which data channel a push belongs to.
    enum Stream: Equatable {
        case books(streamed: Bool)
        case bbo
        case trades
        case tickers
        case funding
        case openInterest
        case liquidations
        case candles(interval: String)
    }

    func classify(_ s: JSONScanner, _ r: Range<Int>) -> Stream? {
        if s.matches(r, "books") || s.matches(r, "books-l2-tbt") || s.matches(r, "books50-l2-tbt")
            || s.matches(r, "books-elp")
        {
            return .books(streamed: true)
        }
        if s.matches(r, "books5") { return .books(streamed: false) }
        if s.matches(r, "bbo-tbt") { return .bbo }
        if s.matches(r, "trades") || s.matches(r, "trades-all") { return .trades }
        if s.matches(r, "tickers") { return .tickers }
        if s.matches(r, "funding-rate") { return .funding }
        if s.matches(r, "open-interest") { return .openInterest }
        if s.matches(r, "liquidation-orders") { return .liquidations }
        if s.hasPrefix(r, "candle"), r.count > 6 {
            return .candles(interval: KlineInterval.fromOKX(s.text((r.lowerBound + 6)..<r.upperBound)))
        }
        return nil
    }

    mutating func parseObject(_ s: inout JSONScanner, receivedAt: Instant, out: inout [AdapterOutput]) throws(FrameError) {
        let start = s.position
        try s.beginObject()
        var first = true
        var event: Range<Int>?
        var code: Range<Int>?
        var msg: Range<Int>?
        var channel: Range<Int>?
        var instId: Range<Int>?
        var action: Range<Int>?
        var dataAt: Int?
        var parsedData = false
        // A push starts `{"arg":{"channel":..,"instId":..},"action":..` (or no action): those keys read
        // as the loop below reads them.
        if predictsKeys {
            if s.keyIs("arg", &first) { try readArg(&s, channel: &channel, instId: &instId) }
            if s.keyIs("action", &first) { action = try s.readString(field: "action") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "arg") {
                try readArg(&s, channel: &channel, instId: &instId)
            } else if s.matches(k, "data") {
                // The usual order (arg, action, data) lets the data be parsed in place; otherwise defer.
                if event == nil, let channel, !(classify(s, channel) == .books(streamed: true) && action == nil) {
                    try parseData(channel: channel, instId: instId, action: action, &s, receivedAt: receivedAt, out: &out)
                    parsedData = true
                } else {
                    dataAt = s.position
                    try s.skipValue()
                }
            } else if s.matches(k, "action") {
                action = try s.readString(field: "action")
            } else if s.matches(k, "event") {
                event = try s.readString(field: "event")
            } else if s.matches(k, "code") {
                code = try s.scalarText("code")
            } else if s.matches(k, "msg") {
                msg = try s.readString(field: "msg")
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        if let event {
            guard !parsedData else { throw FrameError(.unknownMessage, field: "event", offset: event.lowerBound) }
            let codeText = code.map { s.text($0) } ?? ""
            let msgText = msg.map { s.text($0) } ?? ""
            if s.matches(event, "subscribe") || s.matches(event, "unsubscribe") {
                guard let channel else { throw FrameError(.missingField, field: "arg", offset: start) }
                let name = s.text(channel) + (instId.map { ":" + s.text($0) } ?? "")
                if s.matches(event, "subscribe") { out.append(.subscribed(channels: [name])) } else { out.append(.notice(code: "unsubscribe", message: name)) }
            } else if s.matches(event, "error") {
                out.append(.subscribeError(code: codeText, message: msgText))
            } else {
                out.append(.notice(code: codeText.isEmpty ? s.text(event) : codeText, message: msgText))
            }
            return
        }
        if parsedData { return }
        guard let dataAt else { throw FrameError(.unknownMessage, offset: start) }
        guard let channel else { throw FrameError(.missingField, field: "arg", offset: start) }
        s.position = dataAt
        try parseData(channel: channel, instId: instId, action: action, &s, receivedAt: receivedAt, out: &out)
    }

    /// A push's `arg` object: the `channel` and `instId` it has overwrite those given.
    func readArg(_ s: inout JSONScanner, channel: inout Range<Int>?, instId: inout Range<Int>?) throws(FrameError) {
        try s.beginObject(field: "arg")
        var f = true
        if predictsKeys {
            if s.keyIs("channel", &f) { channel = try s.readString(field: "channel") }
            if s.keyIs("instId", &f) { instId = try s.readString(field: "instId") }
        }
        while let ak = try s.nextKey(&f) {
            if s.matches(ak, "channel") {
                channel = try s.readString(field: "channel")
            } else if s.matches(ak, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
    }

    /// The `data` array of a push on `channel`, with the scanner at its opening bracket.
    mutating func parseData(
        channel: Range<Int>, instId: Range<Int>?, action: Range<Int>?, _ s: inout JSONScanner, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) {
        guard let stream = classify(s, channel) else {
            throw FrameError(.unknownChannel(s.text(channel)), field: "channel", offset: channel.lowerBound)
        }
        var fixed: Instrument?
        if let instId { fixed = try catalog.require(s, instId) }
        var kind: BookUpdate.Kind = .snapshot
        if let action, s.matches(action, "update") { kind = .delta }
        try s.beginArray(field: "data")
        var f = true
        while try s.nextElement(&f) {
            try parseItem(stream, &s, instrument: fixed, bookKind: kind, receivedAt: receivedAt, out: &out)
        }
    }

    mutating func parseItem(
        _ stream: Stream, _ s: inout JSONScanner, instrument: Instrument?, bookKind: BookUpdate.Kind, receivedAt: Instant,
        out: inout [AdapterOutput]
    ) throws(FrameError) {
        switch stream {
        case .books:
            out.append(.event(.book(try parseBook(&s, instrument: instrument, kind: bookKind, receivedAt: receivedAt))))
        case .bbo:
            // Read as a book element, keeping only each side's first level.
            var bids = FirstBookLevel()
            var asks = FirstBookLevel()
            let b = try readBook(&s, instrument: instrument, bids: &bids, asks: &asks)
            let sequence = b.sequence
            out.append(
                .event(
                    .ticker(
                        Ticker(
                            instrument: b.instrument, bestBid: bids.level, bestAsk: asks.level,
                            sequence: sequence.isUnsequenced ? nil : sequence.last,
                            exchangeTime: b.ts.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt))))
        case .trades:
            out.append(.event(.trade(try parseTrade(&s, instrument: instrument, receivedAt: receivedAt))))
        case .tickers:
            out.append(.event(.ticker(try parseTicker(&s, instrument: instrument, receivedAt: receivedAt))))
        case .funding:
            out.append(.event(.funding(try parseFunding(&s, instrument: instrument, receivedAt: receivedAt))))
        case .openInterest:
            out.append(.event(.openInterest(try parseOpenInterest(&s, instrument: instrument, receivedAt: receivedAt))))
        case .liquidations:
            try parseLiquidations(&s, instrument: instrument, receivedAt: receivedAt, out: &out)
        case .candles(let interval):
            guard let instrument else { throw FrameError(.missingField, field: "instId", offset: s.position) }
            out.append(.event(.kline(try parseCandle(&s, instrument: instrument, interval: interval, receivedAt: receivedAt))))
        }
    }

    mutating func instrument(_ s: JSONScanner, fixed: Instrument?, instId: Range<Int>?, at offset: Int) throws(FrameError)
        -> Instrument
    {
        if let fixed { return fixed }
        guard let instId else { throw FrameError(.missingField, field: "instId", offset: offset) }
        return try catalog.require(s, instId)
    }

    /// One element of a books* push or a REST books answer.
    mutating func parseBook(_ s: inout JSONScanner, instrument: Instrument?, kind: BookUpdate.Kind, receivedAt: Instant)
        throws(FrameError) -> BookUpdate
    {
        var (bids, asks) = spareLevels.take()
        let b = try readBook(&s, instrument: instrument, bids: &bids, asks: &asks)
        spareLevels.keep(bids: bids, asks: asks)
        return BookUpdate(
            instrument: b.instrument, kind: kind, bids: bids, asks: asks, sequence: b.sequence,
            checksum: b.checksum.flatMap { $0 == 0 ? nil : Int32(truncatingIfNeeded: $0) },
            exchangeTime: b.ts.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }

    /// The fields of one books* element besides its sides.
    struct BookFields {
        var instrument: Instrument
        var ts: Int64?
        var checksum: Int64?
        var sequence: BookSequence
    }

    /// One books* element, its sides read into `bids` and `asks` (all levels, or the best only).
    mutating func readBook<Sides: BookLevelSink>(
        _ s: inout JSONScanner, instrument: Instrument?, bids: inout Sides, asks: inout Sides
    ) throws(FrameError) -> BookFields {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var ts: Int64?
        var checksum: Int64?
        var seqId: Int64?
        var prevSeqId: Int64?
        var instId: Range<Int>?
        // OKX's order (`asks,bids,ts,checksum,prevSeqId,seqId`), each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs("asks", &first) { try s.levels("asks", into: &asks) }
            if s.keyIs("bids", &first) { try s.levels("bids", into: &bids) }
            if s.keyIs(UInt8(ascii: "t"), UInt8(ascii: "s"), &first) { ts = try s.int64Value("ts") }
            if s.keyIs("checksum", &first) { checksum = try s.optionalInt64Value("checksum") }
            if s.keyIs("prevSeqId", &first) { prevSeqId = try s.optionalInt64Value("prevSeqId") }
            if s.keyIs("seqId", &first) { seqId = try s.optionalInt64Value("seqId") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "asks") {
                try s.levels("asks", into: &asks)
            } else if s.matches(k, "bids") {
                try s.levels("bids", into: &bids)
            } else if s.matches(k, "ts") {
                ts = try s.int64Value("ts")
            } else if s.matches(k, "checksum") {
                checksum = try s.optionalInt64Value("checksum")
            } else if s.matches(k, "seqId") {
                seqId = try s.optionalInt64Value("seqId")
            } else if s.matches(k, "prevSeqId") {
                prevSeqId = try s.optionalInt64Value("prevSeqId")
            } else if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
        let i = try self.instrument(s, fixed: instrument, instId: instId, at: start)
        let sequence = seqId.map { BookSequence(first: $0, last: $0, previous: prevSeqId) } ?? .unsequenced
        return BookFields(instrument: i, ts: ts, checksum: checksum, sequence: sequence)
    }

    mutating func parseTrade(_ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant) throws(FrameError) -> Trade {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var instId: Range<Int>?, id: Range<Int>?, side: Side?
        var px: FixedDecimal?, sz: FixedDecimal?
        var ts: Int64?
        // OKX's order (`instId,tradeId,px,sz,side,ts`), each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs("instId", &first) { instId = try s.readString(field: "instId") }
            if s.keyIs("tradeId", &first) { id = try s.scalarText("tradeId") }
            if s.keyIs(UInt8(ascii: "p"), UInt8(ascii: "x"), &first) { px = try s.decimalValue("px") }
            if s.keyIs(UInt8(ascii: "s"), UInt8(ascii: "z"), &first) { sz = try s.decimalValue("sz") }
            if s.keyIs("side", &first) { side = try Self.side(&s, "side") }
            if s.keyIs(UInt8(ascii: "t"), UInt8(ascii: "s"), &first) { ts = try s.int64Value("ts") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "px") {
                px = try s.decimalValue("px")
            } else if s.matches(k, "sz") {
                sz = try s.decimalValue("sz")
            } else if s.matches(k, "tradeId") {
                id = try s.scalarText("tradeId")
            } else if s.matches(k, "side") {
                side = try Self.side(&s, "side")
            } else if s.matches(k, "ts") {
                ts = try s.int64Value("ts")
            } else if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
        guard let id, let px, let sz, let side, let ts else { throw FrameError(.missingField, field: "tradeId", offset: start) }
        return Trade(
            instrument: try self.instrument(s, fixed: instrument, instId: instId, at: start), tradeId: s.text(id), price: px,
            quantity: sz, side: side, exchangeTime: .milliseconds(ts), receiveTime: receivedAt)
    }

    static func side(_ s: inout JSONScanner, _ field: StaticString) throws(FrameError) -> Side {
        let r = try s.readString(field: field)
        if s.matches(r, "buy") { return .buy }
        if s.matches(r, "sell") { return .sell }
        throw FrameError(.invalidValue, field: "\(field)", offset: r.lowerBound)
    }

    /// `vol24h` is in contracts for derivatives and base currency for spot; `volCcy24h` is base
    /// currency for derivatives and quote currency for spot.
    mutating func parseTicker(_ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant) throws(FrameError) -> Ticker {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var instId: Range<Int>?
        var last: FixedDecimal?, bid: FixedDecimal?, bidSz: FixedDecimal?, ask: FixedDecimal?, askSz: FixedDecimal?
        var open: FixedDecimal?, high: FixedDecimal?, low: FixedDecimal?, vol: FixedDecimal?, volCcy: FixedDecimal?
        var ts: Int64?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "last") {
                last = try s.optionalDecimalValue("last")
            } else if s.matches(k, "bidPx") {
                bid = try s.optionalDecimalValue("bidPx")
            } else if s.matches(k, "bidSz") {
                bidSz = try s.optionalDecimalValue("bidSz")
            } else if s.matches(k, "askPx") {
                ask = try s.optionalDecimalValue("askPx")
            } else if s.matches(k, "askSz") {
                askSz = try s.optionalDecimalValue("askSz")
            } else if s.matches(k, "open24h") {
                open = try s.optionalDecimalValue("open24h")
            } else if s.matches(k, "high24h") {
                high = try s.optionalDecimalValue("high24h")
            } else if s.matches(k, "low24h") {
                low = try s.optionalDecimalValue("low24h")
            } else if s.matches(k, "vol24h") {
                vol = try s.optionalDecimalValue("vol24h")
            } else if s.matches(k, "volCcy24h") {
                volCcy = try s.optionalDecimalValue("volCcy24h")
            } else if s.matches(k, "ts") {
                ts = try s.int64Value("ts")
            } else if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
        let i = try self.instrument(s, fixed: instrument, instId: instId, at: start)
        guard let ts else { throw FrameError(.missingField, field: "ts", offset: start) }
        let isSpot = i.kind == .spot
        return Ticker(
            instrument: i, bestBid: Self.level(bid, bidSz), bestAsk: Self.level(ask, askSz), last: last, open24h: open,
            high24h: high, low24h: low, volume24h: isSpot ? vol : volCcy, quoteVolume24h: isSpot ? volCcy : nil,
            exchangeTime: .milliseconds(ts), receiveTime: receivedAt)
    }

    static func level(_ p: FixedDecimal?, _ q: FixedDecimal?) -> BookLevel? {
        guard let p, let q else { return nil }
        return BookLevel(price: p, size: q)
    }

    /// `fundingTime` is the settlement the current `fundingRate` applies at: the next funding time.
    mutating func parseFunding(_ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant) throws(FrameError)
        -> FundingRate
    {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var instId: Range<Int>?
        var rate: FixedDecimal?
        var fundingTime: Int64?, ts: Int64?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "fundingRate") {
                rate = try s.optionalDecimalValue("fundingRate")
            } else if s.matches(k, "fundingTime") {
                fundingTime = try s.optionalInt64Value("fundingTime")
            } else if s.matches(k, "ts") {
                ts = try s.optionalInt64Value("ts")
            } else if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
        guard let rate else { throw FrameError(.missingField, field: "fundingRate", offset: start) }
        return FundingRate(
            instrument: try self.instrument(s, fixed: instrument, instId: instId, at: start), rate: rate,
            nextFundingTime: fundingTime.map(Instant.milliseconds), exchangeTime: ts.map(Instant.milliseconds) ?? receivedAt,
            receiveTime: receivedAt)
    }

    /// `oi` (contracts) is the amount; `oiUsd`, where sent, the value.
    mutating func parseOpenInterest(_ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant)
        throws(FrameError) -> OpenInterest
    {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var instId: Range<Int>?
        var oi: FixedDecimal?, usd: FixedDecimal?
        var ts: Int64?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "oi") {
                oi = try s.decimalValue("oi")
            } else if s.matches(k, "oiUsd") {
                usd = try s.optionalDecimalValue("oiUsd")
            } else if s.matches(k, "ts") {
                ts = try s.int64Value("ts")
            } else if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else {
                try s.skipValue()
            }
        }
        guard let oi, let ts else { throw FrameError(.missingField, field: "oi", offset: start) }
        return OpenInterest(
            instrument: try self.instrument(s, fixed: instrument, instId: instId, at: start), amount: oi, value: usd,
            exchangeTime: .milliseconds(ts), receiveTime: receivedAt)
    }

    /// liquidation-orders: `{instId, details:[{side, bkPx, sz, ts}]}`, one event per detail.
    mutating func parseLiquidations(
        _ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant, out: inout [AdapterOutput]
    ) throws(FrameError) {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var instId: Range<Int>?
        var detailsAt: Int?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "instId") {
                instId = try s.readString(field: "instId")
            } else if s.matches(k, "details") {
                detailsAt = s.position
                try s.skipValue()
            } else {
                try s.skipValue()
            }
        }
        guard let detailsAt else { throw FrameError(.missingField, field: "details", offset: start) }
        let i = try self.instrument(s, fixed: instrument, instId: instId, at: start)
        let end = s.position
        s.position = detailsAt
        try s.beginArray(field: "details")
        var f = true
        while try s.nextElement(&f) {
            let at = s.position
            try s.beginObject(field: "details")
            var g = true
            var side: Side?, px: FixedDecimal?, sz: FixedDecimal?, ts: Int64?
            while let k = try s.nextKey(&g) {
                if s.matches(k, "side") {
                    side = try Self.side(&s, "side")
                } else if s.matches(k, "bkPx") {
                    px = try s.decimalValue("bkPx")
                } else if s.matches(k, "sz") {
                    sz = try s.decimalValue("sz")
                } else if s.matches(k, "ts") {
                    ts = try s.int64Value("ts")
                } else {
                    try s.skipValue()
                }
            }
            guard let side, let px, let sz, let ts else { throw FrameError(.missingField, field: "details", offset: at) }
            out.append(
                .event(
                    .liquidation(
                        Liquidation(
                            instrument: i, side: side, price: px, quantity: sz, exchangeTime: .milliseconds(ts),
                            receiveTime: receivedAt))))
        }
        s.position = end
    }

    /// `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`; the candle's open time doubles as its
    /// exchange time (OKX sends no other).
    mutating func parseCandle(_ s: inout JSONScanner, instrument: Instrument, interval: String, receivedAt: Instant)
        throws(FrameError) -> Kline
    {
        let start = s.position
        try s.beginArray(field: "data")
        var values: [Range<Int>] = []
        values.reserveCapacity(9)
        var f = true
        while try s.nextElement(&f) { values.append(try s.scalarText("data")) }
        guard values.count >= 7 else { throw FrameError(.missingField, field: "data", offset: start) }
        func dec(_ k: Int) throws(FrameError) -> FixedDecimal {
            guard let d = s.decimal(values[k]) else { throw FrameError(.invalidNumber, field: "data", offset: values[k].lowerBound) }
            return d
        }
        guard let ts = s.int64(values[0]) else { throw FrameError(.invalidNumber, field: "data", offset: values[0].lowerBound) }
        let volume = instrument.kind == .spot ? try dec(5) : try dec(6)
        let closed = values.count >= 9 && s.matches(values[8], "1")
        let close = KlineInterval.closeTime(openTime: ts, interval: interval) ?? ts
        return Kline(
            instrument: instrument, interval: interval, openTime: .milliseconds(ts), closeTime: .milliseconds(close),
            open: try dec(1), high: try dec(2), low: try dec(3), close: try dec(4), volume: volume, closed: closed,
            exchangeTime: .milliseconds(ts), receiveTime: receivedAt)
    }

    // MARK: REST bodies

    /// Opens `{"code":"0","msg":"","data":[...]}`, leaving the scanner at the first data element.
    /// A non-zero code becomes `.venueError`.
    static func openRestData(_ s: inout JSONScanner) throws(FrameError) {
        let start = s.position
        try s.beginObject()
        var first = true
        var code: Range<Int>?, msg: Range<Int>?
        var dataAt: Int?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "code") {
                code = try s.scalarText("code")
            } else if s.matches(k, "msg") {
                msg = try s.readString(field: "msg")
            } else if s.matches(k, "data") {
                dataAt = s.position
                try s.skipValue()
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        if let code, !s.matches(code, "0") {
            throw FrameError(.venueError(code: s.text(code), message: msg.map { s.text($0) } ?? ""), offset: start)
        }
        guard let dataAt else { throw FrameError(.missingField, field: "data", offset: start) }
        s.position = dataAt
        try s.beginArray(field: "data")
    }

    /// `/api/v5/market/books`: one data element; `seqId` where the venue sends it (2026 protocol).
    public mutating func parseSnapshot(body: UnsafeRawBufferPointer, instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>
    {
        runRest { (me: inout OKXAdapter) throws(FrameError) -> BookUpdate in
            var s = JSONScanner(body)
            try Self.openRestData(&s)
            var f = true
            guard try s.nextElement(&f) else { throw FrameError(.missingField, field: "data", offset: s.position) }
            return try me.parseBook(&s, instrument: instrument, kind: .snapshot, receivedAt: receivedAt)
        }
    }

    public mutating func parseRestResponse(body: UnsafeRawBufferPointer, purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
    {
        switch purpose {
        case .bookSnapshot(let i):
            return parseSnapshot(body: body, instrument: i, receivedAt: receivedAt).map { [.book($0)] }
        case .openInterest(let i), .funding(let i):
            return runRest { (me: inout OKXAdapter) throws(FrameError) -> [MarketEvent] in
                var s = JSONScanner(body)
                try Self.openRestData(&s)
                var f = true
                var events: [MarketEvent] = []
                while try s.nextElement(&f) {
                    if case .funding = purpose {
                        events.append(.funding(try me.parseFunding(&s, instrument: i, receivedAt: receivedAt)))
                    } else {
                        events.append(.openInterest(try me.parseOpenInterest(&s, instrument: i, receivedAt: receivedAt)))
                    }
                }
                return events
            }
        case .instruments:
            return .failure(FrameError(.unknownMessage, offset: 0))
        }
    }
}
