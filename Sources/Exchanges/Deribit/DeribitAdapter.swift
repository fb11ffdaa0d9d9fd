import Model

/// Deribit JSON-RPC 2.0 over `wss://www.deribit.com/ws/api/v2` (REST: the same methods over HTTPS GET).
///
/// Numbers arrive as JSON numbers (sometimes `1e-05`, sometimes `null`). One `ticker` notification
/// carries a ticker, the perpetual funding rate and the open interest: each is emitted when its
/// channel is subscribed for that instrument (all three when the subscription names none of them).
public struct DeribitAdapter: VenueAdapter, Sendable {
    public enum Interval: String, Sendable {
        /// Every change; needs an authorized connection today.
        case raw
        case ms100 = "100ms"
    }

    public var venue: Venue { .deribit }
    public var subscription: Subscription
    public private(set) var catalog: InstrumentCatalog
    public var counters = ParseCounters()
    public var interval: Interval
    /// Seconds between server heartbeats (Deribit's minimum is 10).
    public var heartbeatInterval: Int
    /// Depth of REST book snapshots.
    public var snapshotDepth: Int
    /// Ids for requests the adapter itself sends (heartbeat answers); subscribe frames use 1, 2, ...
    public private(set) var nextRequestId: Int64 = 1_000_000

    let tickerNames: Set<String>
    let fundingNames: Set<String>
    let openInterestNames: Set<String>
    /// What a ticker notification emits for an instrument, remembered for the first few native names
    /// (a ticker otherwise hashed its name into the three sets every time).
    var knownTickerOutputs: [(native: String, outputs: TickerOutputs)] = []
    /// The last book update's level arrays, reused by the next one.
    var spareLevels = ReusableLevelArrays()
    /// Whether book, trade and ticker notifications first read the keys in Deribit's order
    /// (`JSONScanner.keyIs`) before their general loop; off only in tests, to compare with the loop alone.
    var predictsKeys = true

    public static let restHost = "www.deribit.com"

    public init(
        subscription: Subscription, catalog: InstrumentCatalog, interval: Interval = .ms100, heartbeatInterval: Int = 30,
        snapshotDepth: Int = 1000
    ) {
        self.subscription = subscription
        self.catalog = catalog
        self.interval = interval
        self.heartbeatInterval = max(10, heartbeatInterval)
        self.snapshotDepth = snapshotDepth
        func names(_ c: Channel) -> Set<String> {
            Set(subscription.entries.filter { $0.channel == c }.flatMap(\.instruments))
        }
        tickerNames = names(.ticker)
        fundingNames = names(.funding)
        openInterestNames = names(.openInterest)
    }

    public var websocketURL: String { "wss://www.deribit.com/ws/api/v2" }

    public var keepalive: KeepalivePolicy { .serverHeartbeat(interval: .seconds(Int64(heartbeatInterval))) }

    // MARK: Requests

    static func request(id: Int64, method: StaticString, params: (inout [UInt8]) -> Void) -> [UInt8] {
        var f: [UInt8] = []
        f.appendASCII("{\"jsonrpc\":\"2.0\",\"id\":")
        f.appendInt(id)
        f.appendASCII(",\"method\":\"")
        f.appendASCII(method)
        f.appendASCII("\",\"params\":{")
        params(&f)
        f.appendASCII("}}")
        return f
    }

    /// `public/set_heartbeat` with `interval` seconds.
    public func setHeartbeatFrame(id: Int64 = 0) -> [UInt8] {
        Self.request(id: id, method: "public/set_heartbeat") { f in
            f.appendASCII("\"interval\":")
            f.appendInt(Int64(heartbeatInterval))
        }
    }

    /// `public/test`, the answer a `test_request` heartbeat demands.
    public static func testFrame(id: Int64) -> [UInt8] {
        request(id: id, method: "public/test") { _ in }
    }

    /// Channel names in subscription order without duplicates (ticker, funding and open interest share one).
    public var channelNames: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for e in subscription.entries {
            for native in e.instruments {
                let name: String
                switch e.channel {
                case .book: name = "book.\(native).\(interval.rawValue)"
                case .trades, .liquidations: name = "trades.\(native).\(interval.rawValue)"
                case .ticker, .funding, .openInterest: name = "ticker.\(native).\(interval.rawValue)"
                case .kline(let i):
                    guard let r = Self.resolution(i) else { continue }
                    name = "chart.trades.\(native).\(r)"
                }
                if seen.insert(name).inserted { out.append(name) }
            }
        }
        return out
    }

    public func subscribeFrames() -> [[UInt8]] {
        let names = channelNames
        guard !names.isEmpty else { return [] }
        return [
            Self.request(id: 1, method: "public/subscribe") { f in
                f.appendASCII("\"channels\":[")
                for (k, n) in names.enumerated() {
                    if k > 0 { f.append(UInt8(ascii: ",")) }
                    f.appendQuoted(n)
                }
                f.append(UInt8(ascii: "]"))
            }
        ]
    }

    public func connectFrames() -> [[UInt8]] { [setHeartbeatFrame()] + subscribeFrames() }

    /// Deribit chart resolutions: minutes as numbers, `1D` for a day.
    static func resolution(_ interval: String) -> String? {
        if interval == "1d" { return "1D" }
        guard let ms = KlineInterval.milliseconds(interval), ms % 60_000 == 0 else { return nil }
        return String(ms / 60_000)
    }

    static func interval(resolution: String) -> String {
        if resolution == "1D" { return "1d" }
        guard let m = Int(resolution) else { return resolution }
        return m % 60 == 0 ? "\(m / 60)h" : "\(m)m"
    }

    static func rest(_ method: String, _ query: String, _ purpose: RestRequest.Purpose) -> RestRequest {
        RestRequest(host: restHost, pathAndQuery: "/api/v2/\(method)?\(query)", weight: 1, purpose: purpose)
    }

    public func snapshotRequest(for instrument: Instrument) -> RestRequest {
        Self.rest(
            "public/get_order_book", "instrument_name=\(instrument.native)&depth=\(snapshotDepth)", .bookSnapshot(instrument))
    }

    public func instrumentsRequests() -> [RestRequest] {
        [Self.rest("public/get_instruments", "currency=any&expired=false", .instruments)]
    }

    /// Open interest and funding both come from `public/ticker`.
    public func openInterestRequest(for instrument: Instrument) -> RestRequest? {
        Self.rest("public/ticker", "instrument_name=\(instrument.native)", .openInterest(instrument))
    }

    public func fundingRequest(for instrument: Instrument) -> RestRequest? {
        guard instrument.kind == .perpetual else { return nil }
        return Self.rest("public/ticker", "instrument_name=\(instrument.native)", .funding(instrument))
    }

    // MARK: Frames

    public mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput]) {
        run(&out) { (me: inout DeribitAdapter, out: inout [AdapterOutput]) throws(FrameError) in
            var s = JSONScanner(frame)
            try me.parseMessage(&s, receivedAt: receivedAt, out: &out)
        }
    }

    mutating func parseMessage(_ s: inout JSONScanner, receivedAt: Instant, out: inout [AdapterOutput]) throws(FrameError) {
        let start = s.position
        try s.beginObject()
        var first = true
        var method: Range<Int>?
        var paramsAt: Int?
        var id: Int64?
        var resultAt: Int?
        var errorCode: Range<Int>?, errorMessage: Range<Int>?
        var parsedNotification = false
        // A notification starts `{"jsonrpc":"2.0","method":..`: those keys read as the loop below reads them.
        if predictsKeys {
            if s.keyIs("jsonrpc", &first) { try s.skipValue() }
            if s.keyIs("method", &first) { method = try s.readString(field: "method") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "method") {
                method = try s.readString(field: "method")
            } else if s.matches(k, "params") {
                // Deribit sends `method` first: a notification is parsed in place, anything else deferred.
                if let method, s.matches(method, "subscription"), resultAt == nil {
                    try parseNotification(&s, receivedAt: receivedAt, out: &out)
                    parsedNotification = true
                } else {
                    paramsAt = s.position
                    try s.skipValue()
                }
            } else if s.matches(k, "id") {
                id = try s.optionalInt64Value("id")
            } else if s.matches(k, "result") {
                resultAt = s.position
                try s.skipValue()
            } else if s.matches(k, "error") {
                (errorCode, errorMessage) = try s.errorObject(messageKey: "message")
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        if parsedNotification {
            guard errorCode == nil, resultAt == nil else { throw FrameError(.unknownMessage, offset: start) }
            return
        }
        if let errorCode {
            out.append(.subscribeError(code: s.text(errorCode), message: errorMessage.map { s.text($0) } ?? ""))
            return
        }
        if let resultAt {
            s.position = resultAt
            if s.peek() == UInt8(ascii: "[") {
                var channels: [String] = []
                try s.beginArray(field: "result")
                var f = true
                while try s.nextElement(&f) { channels.append(s.text(try s.readString(field: "result"))) }
                out.append(.subscribed(channels: channels))
            } else {
                out.append(.response(id: id ?? -1))
            }
            return
        }
        guard let method, let paramsAt else { throw FrameError(.unknownMessage, offset: start) }
        s.position = paramsAt
        if s.matches(method, "subscription") {
            try parseNotification(&s, receivedAt: receivedAt, out: &out)
        } else if s.matches(method, "heartbeat") {
            try s.beginObject(field: "params")
            var f = true
            var isTest = false
            while let k = try s.nextKey(&f) {
                if s.matches(k, "type") {
                    isTest = s.matches(try s.readString(field: "type"), "test_request")
                } else {
                    try s.skipValue()
                }
            }
            if isTest {
                out.append(.replyRequired(frame: Self.testFrame(id: nextRequestId)))
                nextRequestId += 1
            } else {
                out.append(.heartbeat)
            }
        } else {
            throw FrameError(.unknownChannel(s.text(method)), field: "method", offset: method.lowerBound)
        }
    }

    enum Stream {
        case book, trades, ticker
        case chart(interval: String)
    }

    mutating func parseNotification(_ s: inout JSONScanner, receivedAt: Instant, out: inout [AdapterOutput]) throws(FrameError) {
        let start = s.position
        try s.beginObject(field: "params")
        var f = true
        var channel: Range<Int>?
        var dataAt: Int?
        // Deribit sends `channel` before `data`: the data is then parsed where it stands, in the one
        // pass over the frame. Anything else (data first, an unknown channel, data that fails to
        // parse) takes the deferred path below, which reports exactly what it always reported.
        var parsedInPlace = false
        var inPlaceAllowed = true
        let mark = out.count
        while let k = try s.nextKey(&f) {
            let isChannel = s.matches(k, "channel")
            if isChannel || s.matches(k, "data"), channel != nil && dataAt != nil {
                // A repeated key: the last one counts, as on the deferred path.
                if parsedInPlace { out.removeSubrange(mark...) }
                parsedInPlace = false
                inPlaceAllowed = false
            }
            if isChannel {
                channel = try s.readString(field: "channel")
            } else if s.matches(k, "data") {
                dataAt = s.position
                if inPlaceAllowed, let channel, let stream = stream(s, channel) {
                    do {
                        try parseData(stream, channel: channel, &s, receivedAt: receivedAt, out: &out)
                        parsedInPlace = true
                        continue
                    } catch {
                        out.removeSubrange(mark...)
                        s.position = dataAt!
                        inPlaceAllowed = false
                    }
                }
                try s.skipValue()
            } else {
                try s.skipValue()
            }
        }
        if parsedInPlace { return }
        let end = s.position
        guard let channel, let dataAt else { throw FrameError(.missingField, field: "channel", offset: start) }
        guard let stream = stream(s, channel) else {
            throw FrameError(.unknownChannel(s.text(channel)), field: "channel", offset: channel.lowerBound)
        }
        s.position = dataAt
        try parseData(stream, channel: channel, &s, receivedAt: receivedAt, out: &out)
        s.position = end
    }

    /// The stream a notification channel names, nil if unknown.
    func stream(_ s: JSONScanner, _ channel: Range<Int>) -> Stream? {
        if s.hasPrefix(channel, "book.") { return .book }
        if s.hasPrefix(channel, "trades.") { return .trades }
        if s.hasPrefix(channel, "ticker.") { return .ticker }
        if s.hasPrefix(channel, "chart.trades.") {
            var dot = channel.upperBound
            while dot > channel.lowerBound && s.bytes[dot - 1] != UInt8(ascii: ".") { dot -= 1 }
            return .chart(interval: Self.interval(resolution: s.text(dot..<channel.upperBound)))
        }
        return nil
    }

    /// A notification's `data` value, the scanner at its start.
    mutating func parseData(
        _ stream: Stream, channel: Range<Int>, _ s: inout JSONScanner, receivedAt: Instant, out: inout [AdapterOutput]
    ) throws(FrameError) {
        switch stream {
        case .book:
            out.append(.event(.book(try parseBook(&s, instrument: nil, receivedAt: receivedAt))))
        case .trades:
            try s.beginArray(field: "data")
            var g = true
            while try s.nextElement(&g) { try parseTrade(&s, receivedAt: receivedAt, out: &out) }
        case .ticker:
            try parseTicker(&s, purpose: nil, receivedAt: receivedAt, out: &out)
        case .chart(let interval):
            var dot = channel.upperBound
            while dot > channel.lowerBound && s.bytes[dot - 1] != UInt8(ascii: ".") { dot -= 1 }
            let name = (channel.lowerBound + 13)..<max(channel.lowerBound + 13, dot - 1)
            let i = try catalog.require(s, name)
            out.append(.event(.kline(try parseChart(&s, instrument: i, interval: interval, receivedAt: receivedAt))))
        }
    }

    /// `[action, price, amount]` (`new`/`change`/`delete`; delete means size 0) or `[price, amount]`.
    /// `predicted` reads the usual actions from one word (`knownAction`); false only in tests.
    static func levels(
        _ s: inout JSONScanner, _ field: StaticString, into out: inout [BookLevel], predicted: Bool = true
    ) throws(FrameError) {
        try s.beginArray(field: field)
        var first = true
        while try s.nextElement(&first) {
            if out.capacity == 0 { out.reserveCapacity(8) }
            try s.beginArray(field: field)
            var delete = false
            if predicted, let deletes = Self.knownAction(&s) {
                delete = deletes
                var more = false
                guard try s.nextElement(&more) else { throw FrameError(.missingField, field: "\(field)", offset: s.position) }
            } else if s.peek() == UInt8(ascii: "\"") {
                let action = try s.readString(field: field)
                if s.matches(action, "delete") {
                    delete = true
                } else if !s.matches(action, "new") && !s.matches(action, "change") {
                    throw FrameError(.invalidValue, field: "\(field)", offset: action.lowerBound)
                }
                var more = false
                guard try s.nextElement(&more) else { throw FrameError(.missingField, field: "\(field)", offset: s.position) }
            }
            let price = try s.decimalValue(field)
            var more = false
            guard try s.nextElement(&more) else { throw FrameError(.missingField, field: "\(field)", offset: s.position) }
            let amount = try s.decimalValue(field)
            while try s.nextElement(&more) { try s.skipValue() }
            out.append(BookLevel(price: price, size: delete ? .zero : amount))
        }
    }

    /// A level's action written `"new"`, `"change"` or `"delete"` right at the position, from one word:
    /// whether it deletes (the scanner then past its closing quote, where `readString` leaves it), or
    /// nil with nothing moved.
    @inline(__always)
    static func knownAction(_ s: inout JSONScanner) -> Bool? {
        let p = s.position
        guard let base = s.bytes.baseAddress, p >= 0, p &+ 8 <= s.bytes.count else { return nil }
        let word = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: p, as: UInt64.self))
        if word & 0xFF_FFFF_FFFF == 0x22_7765_6E22 {  // "new"
            s.position = p &+ 5
            return false
        }
        if word == 0x2265_676E_6168_6322 {  // "change"
            s.position = p &+ 8
            return false
        }
        if word == 0x2265_7465_6C65_6422 {  // "delete"
            s.position = p &+ 8
            return true
        }
        return nil
    }

    /// A book notification (`type` snapshot/change) or a REST `get_order_book` result (a snapshot).
    mutating func parseBook(_ s: inout JSONScanner, instrument: Instrument?, receivedAt: Instant) throws(FrameError)
        -> BookUpdate
    {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var kind: BookUpdate.Kind = .snapshot
        var ts: Int64?, changeId: Int64?, prevChangeId: Int64?
        var name: Range<Int>?
        var (bids, asks) = spareLevels.take()
        // Deribit's order (`type,timestamp,prev_change_id,instrument_name,change_id,bids,asks`), each key
        // read as the loop below reads it.
        if predictsKeys {
            if s.keyIs("type", &first) { try Self.bookKind(&s, &kind) }
            if s.keyIs("timestamp", &first) { ts = try s.int64Value("timestamp") }
            if s.keyIs("prev_change_id", &first) { prevChangeId = try s.optionalInt64Value("prev_change_id") }
            if s.keyIs("instrument_name", &first) { name = try s.readString(field: "instrument_name") }
            if s.keyIs("change_id", &first) { changeId = try s.int64Value("change_id") }
            if s.keyIs("bids", &first) { try Self.levels(&s, "bids", into: &bids, predicted: predictsKeys) }
            if s.keyIs("asks", &first) { try Self.levels(&s, "asks", into: &asks, predicted: predictsKeys) }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "bids") {
                try Self.levels(&s, "bids", into: &bids, predicted: predictsKeys)
            } else if s.matches(k, "asks") {
                try Self.levels(&s, "asks", into: &asks, predicted: predictsKeys)
            } else if s.matches(k, "change_id") {
                changeId = try s.int64Value("change_id")
            } else if s.matches(k, "prev_change_id") {
                prevChangeId = try s.optionalInt64Value("prev_change_id")
            } else if s.matches(k, "timestamp") {
                ts = try s.int64Value("timestamp")
            } else if s.matches(k, "instrument_name") {
                name = try s.readString(field: "instrument_name")
            } else if s.matches(k, "type") {
                try Self.bookKind(&s, &kind)
            } else {
                try s.skipValue()
            }
        }
        guard let changeId else { throw FrameError(.missingField, field: "change_id", offset: start) }
        let i: Instrument
        if let instrument {
            i = instrument
        } else {
            guard let name else { throw FrameError(.missingField, field: "instrument_name", offset: start) }
            i = try catalog.require(s, name)
        }
        spareLevels.keep(bids: bids, asks: asks)
        return BookUpdate(
            instrument: i, kind: kind, bids: bids, asks: asks,
            sequence: BookSequence(first: changeId, last: changeId, previous: prevChangeId),
            exchangeTime: ts.map(Instant.milliseconds) ?? receivedAt, receiveTime: receivedAt)
    }

    /// A book's `type`: `change` is a delta, `snapshot` leaves `kind` as it is, anything else fails.
    static func bookKind(_ s: inout JSONScanner, _ kind: inout BookUpdate.Kind) throws(FrameError) {
        let t = try s.readString(field: "type")
        if s.matches(t, "change") {
            kind = .delta
        } else if !s.matches(t, "snapshot") {
            throw FrameError(.invalidValue, field: "type", offset: t.lowerBound)
        }
    }

    /// One trade; a trade carrying `liquidation` also yields a `Liquidation` (taker side).
    mutating func parseTrade(_ s: inout JSONScanner, receivedAt: Instant, out: inout [AdapterOutput]) throws(FrameError) {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var name: Range<Int>?, id: Range<Int>?
        var price: FixedDecimal?, amount: FixedDecimal?
        var side: Side?
        var ts: Int64?
        var liquidation = false
        // Deribit's order (`trade_seq,trade_id,timestamp,tick_direction,price,mark_price,instrument_name,
        // index_price,direction,amount`), each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs("trade_seq", &first) { try s.skipValue() }
            if s.keyIs("trade_id", &first) { id = try s.scalarText("trade_id") }
            if s.keyIs("timestamp", &first) { ts = try s.int64Value("timestamp") }
            if s.keyIs("tick_direction", &first) { try s.skipValue() }
            if s.keyIs("price", &first) { price = try s.decimalValue("price") }
            if s.keyIs("mark_price", &first) { try s.skipValue() }
            if s.keyIs("instrument_name", &first) { name = try s.readString(field: "instrument_name") }
            if s.keyIs("index_price", &first) { try s.skipValue() }
            if s.keyIs("direction", &first) { side = try OKXAdapter.side(&s, "direction") }
            if s.keyIs("amount", &first) { amount = try s.decimalValue("amount") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "price") {
                price = try s.decimalValue("price")
            } else if s.matches(k, "amount") {
                amount = try s.decimalValue("amount")
            } else if s.matches(k, "direction") {
                side = try OKXAdapter.side(&s, "direction")
            } else if s.matches(k, "trade_id") {
                id = try s.scalarText("trade_id")
            } else if s.matches(k, "timestamp") {
                ts = try s.int64Value("timestamp")
            } else if s.matches(k, "instrument_name") {
                name = try s.readString(field: "instrument_name")
            } else if s.matches(k, "liquidation") {
                liquidation = !(try s.skipNull())
                if liquidation { try s.skipValue() }
            } else {
                try s.skipValue()
            }
        }
        guard let name, let id, let price, let amount, let side, let ts else {
            throw FrameError(.missingField, field: "trade_id", offset: start)
        }
        let i = try catalog.require(s, name)
        out.append(
            .event(
                .trade(
                    Trade(
                        instrument: i, tradeId: s.text(id), price: price, quantity: amount, side: side,
                        exchangeTime: .milliseconds(ts), receiveTime: receivedAt))))
        if liquidation {
            out.append(
                .event(
                    .liquidation(
                        Liquidation(
                            instrument: i, side: side, price: price, quantity: amount, exchangeTime: .milliseconds(ts),
                            receiveTime: receivedAt))))
        }
    }

    /// A ticker notification or a REST `public/ticker` result. `purpose` selects the one event a REST
    /// answer is for; nil (websocket) emits what the subscription asks for.
    mutating func parseTicker(
        _ s: inout JSONScanner, purpose: RestRequest.Purpose?, receivedAt: Instant, out: inout [AdapterOutput]
    ) throws(FrameError) {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var name: Range<Int>?
        var ts: Int64?
        var bid: FixedDecimal?, bidSz: FixedDecimal?, ask: FixedDecimal?, askSz: FixedDecimal?, last: FixedDecimal?
        var mark: FixedDecimal?, index: FixedDecimal?, oi: FixedDecimal?, funding8h: FixedDecimal?, current: FixedDecimal?
        var high: FixedDecimal?, low: FixedDecimal?, volume: FixedDecimal?
        // Deribit's order (`timestamp,stats,state,...,instrument_name,...,best_bid_price,best_bid_amount,
        // best_ask_price,best_ask_amount`), each key read as the loop below reads it.
        if predictsKeys {
            if s.keyIs("timestamp", &first) { ts = try s.int64Value("timestamp") }
            if s.keyIs("stats", &first) { try Self.stats(&s, high: &high, low: &low, volume: &volume) }
            if s.keyIs("state", &first) { try s.skipValue() }
            if s.keyIs("open_interest", &first) { oi = try s.optionalDecimalValue("open_interest") }
            if s.keyIs("mark_price", &first) { mark = try s.optionalDecimalValue("mark_price") }
            if s.keyIs("last_price", &first) { last = try s.optionalDecimalValue("last_price") }
            if s.keyIs("instrument_name", &first) { name = try s.readString(field: "instrument_name") }
            if s.keyIs("index_price", &first) { index = try s.optionalDecimalValue("index_price") }
            if s.keyIs("funding_8h", &first) { funding8h = try s.optionalDecimalValue("funding_8h") }
            if s.keyIs("current_funding", &first) { current = try s.optionalDecimalValue("current_funding") }
            if s.keyIs("best_bid_price", &first) { bid = try s.optionalDecimalValue("best_bid_price") }
            if s.keyIs("best_bid_amount", &first) { bidSz = try s.optionalDecimalValue("best_bid_amount") }
            if s.keyIs("best_ask_price", &first) { ask = try s.optionalDecimalValue("best_ask_price") }
            if s.keyIs("best_ask_amount", &first) { askSz = try s.optionalDecimalValue("best_ask_amount") }
        }
        while let k = try s.nextKey(&first) {
            if s.matches(k, "best_bid_price") {
                bid = try s.optionalDecimalValue("best_bid_price")
            } else if s.matches(k, "best_bid_amount") {
                bidSz = try s.optionalDecimalValue("best_bid_amount")
            } else if s.matches(k, "best_ask_price") {
                ask = try s.optionalDecimalValue("best_ask_price")
            } else if s.matches(k, "best_ask_amount") {
                askSz = try s.optionalDecimalValue("best_ask_amount")
            } else if s.matches(k, "last_price") {
                last = try s.optionalDecimalValue("last_price")
            } else if s.matches(k, "mark_price") {
                mark = try s.optionalDecimalValue("mark_price")
            } else if s.matches(k, "index_price") {
                index = try s.optionalDecimalValue("index_price")
            } else if s.matches(k, "open_interest") {
                oi = try s.optionalDecimalValue("open_interest")
            } else if s.matches(k, "funding_8h") {
                funding8h = try s.optionalDecimalValue("funding_8h")
            } else if s.matches(k, "current_funding") {
                current = try s.optionalDecimalValue("current_funding")
            } else if s.matches(k, "timestamp") {
                ts = try s.int64Value("timestamp")
            } else if s.matches(k, "instrument_name") {
                name = try s.readString(field: "instrument_name")
            } else if s.matches(k, "stats") {
                try Self.stats(&s, high: &high, low: &low, volume: &volume)
            } else {
                try s.skipValue()
            }
        }
        guard let name, let ts else { throw FrameError(.missingField, field: "instrument_name", offset: start) }
        let i = try catalog.require(s, name)
        let time = Instant.milliseconds(ts)
        let wantsTicker: Bool, wantsFunding: Bool, wantsOI: Bool
        switch purpose {
        case .some(.funding): (wantsTicker, wantsFunding, wantsOI) = (false, true, false)
        case .some(.openInterest): (wantsTicker, wantsFunding, wantsOI) = (false, false, true)
        case .some: (wantsTicker, wantsFunding, wantsOI) = (true, false, false)
        case .none:
            let outputs = tickerOutputs(native: i.native)
            (wantsTicker, wantsFunding, wantsOI) = (outputs.ticker, outputs.funding, outputs.openInterest)
        }
        if wantsTicker {
            func level(_ p: FixedDecimal?, _ q: FixedDecimal?) -> BookLevel? {
                guard let p, let q, !q.isZero else { return nil }
                return BookLevel(price: p, size: q)
            }
            out.append(
                .event(
                    .ticker(
                        Ticker(
                            instrument: i, bestBid: level(bid, bidSz), bestAsk: level(ask, askSz), last: last,
                            high24h: high, low24h: low, volume24h: volume, exchangeTime: time, receiveTime: receivedAt))))
        }
        if wantsFunding, let rate = funding8h ?? current {
            out.append(
                .event(
                    .funding(
                        FundingRate(
                            instrument: i, rate: rate, markPrice: mark, indexPrice: index, exchangeTime: time,
                            receiveTime: receivedAt))))
        }
        if wantsOI, let oi {
            out.append(.event(.openInterest(OpenInterest(instrument: i, amount: oi, exchangeTime: time, receiveTime: receivedAt))))
        }
    }

    /// A ticker's `stats` object (or `null`): the keys it has overwrite `high`, `low` and `volume`.
    static func stats(
        _ s: inout JSONScanner, high: inout FixedDecimal?, low: inout FixedDecimal?, volume: inout FixedDecimal?
    ) throws(FrameError) {
        if try s.skipNull() { return }
        try s.beginObject(field: "stats")
        var g = true
        while let sk = try s.nextKey(&g) {
            if s.matches(sk, "high") {
                high = try s.optionalDecimalValue("high")
            } else if s.matches(sk, "low") {
                low = try s.optionalDecimalValue("low")
            } else if s.matches(sk, "volume") {
                volume = try s.optionalDecimalValue("volume")
            } else {
                try s.skipValue()
            }
        }
    }

    /// Which events a websocket ticker notification yields for an instrument.
    struct TickerOutputs {
        var ticker: Bool
        var funding: Bool
        var openInterest: Bool
    }

    /// The events the subscription asks of `native`'s ticker channel: those it names, or all three
    /// when it names none of them for the instrument.
    mutating func tickerOutputs(native: String) -> TickerOutputs {
        for entry in knownTickerOutputs where entry.native == native { return entry.outputs }
        let t = tickerNames.contains(native), f = fundingNames.contains(native), o = openInterestNames.contains(native)
        let outputs =
            (t || f || o)
            ? TickerOutputs(ticker: t, funding: f, openInterest: o) : TickerOutputs(ticker: true, funding: true, openInterest: true)
        if knownTickerOutputs.count < 8 { knownTickerOutputs.append((native, outputs)) }
        return outputs
    }

    /// `chart.trades`: `{tick, open, high, low, close, volume, cost}`; the tick (open time) is the exchange time.
    mutating func parseChart(_ s: inout JSONScanner, instrument: Instrument, interval: String, receivedAt: Instant)
        throws(FrameError) -> Kline
    {
        let start = s.position
        try s.beginObject(field: "data")
        var first = true
        var tick: Int64?
        var o: FixedDecimal?, h: FixedDecimal?, l: FixedDecimal?, c: FixedDecimal?, v: FixedDecimal?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "tick") {
                tick = try s.int64Value("tick")
            } else if s.matches(k, "open") {
                o = try s.decimalValue("open")
            } else if s.matches(k, "high") {
                h = try s.decimalValue("high")
            } else if s.matches(k, "low") {
                l = try s.decimalValue("low")
            } else if s.matches(k, "close") {
                c = try s.decimalValue("close")
            } else if s.matches(k, "volume") {
                v = try s.decimalValue("volume")
            } else {
                try s.skipValue()
            }
        }
        guard let tick, let o, let h, let l, let c, let v else { throw FrameError(.missingField, field: "tick", offset: start) }
        return Kline(
            instrument: instrument, interval: interval, openTime: .milliseconds(tick),
            closeTime: .milliseconds(KlineInterval.closeTime(openTime: tick, interval: interval) ?? tick), open: o, high: h,
            low: l, close: c, volume: v, closed: false, exchangeTime: .milliseconds(tick), receiveTime: receivedAt)
    }

    // MARK: REST bodies

    /// Opens `{"jsonrpc":"2.0","result":...}` at the result; an `error` member becomes `.venueError`.
    static func openResult(_ s: inout JSONScanner) throws(FrameError) {
        let start = s.position
        try s.beginObject()
        var first = true
        var resultAt: Int?
        var code: Range<Int>?, message: Range<Int>?
        while let k = try s.nextKey(&first) {
            if s.matches(k, "result") {
                resultAt = s.position
                try s.skipValue()
            } else if s.matches(k, "error") {
                (code, message) = try s.errorObject(messageKey: "message")
            } else {
                try s.skipValue()
            }
        }
        try s.finish()
        if let code {
            throw FrameError(.venueError(code: s.text(code), message: message.map { s.text($0) } ?? ""), offset: start)
        }
        guard let resultAt else { throw FrameError(.missingField, field: "result", offset: start) }
        s.position = resultAt
    }

    public mutating func parseSnapshot(body: UnsafeRawBufferPointer, instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>
    {
        runRest { (me: inout DeribitAdapter) throws(FrameError) -> BookUpdate in
            var s = JSONScanner(body)
            try Self.openResult(&s)
            return try me.parseBook(&s, instrument: instrument, receivedAt: receivedAt)
        }
    }

    public mutating func parseRestResponse(body: UnsafeRawBufferPointer, purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
    {
        switch purpose {
        case .bookSnapshot(let i):
            return parseSnapshot(body: body, instrument: i, receivedAt: receivedAt).map { [.book($0)] }
        case .openInterest, .funding:
            return runRest { (me: inout DeribitAdapter) throws(FrameError) -> [MarketEvent] in
                var s = JSONScanner(body)
                try Self.openResult(&s)
                var out: [AdapterOutput] = []
                try me.parseTicker(&s, purpose: purpose, receivedAt: receivedAt, out: &out)
                return out.compactMap { if case .event(let e) = $0 { return e } else { return nil } }
            }
        case .instruments:
            return .failure(FrameError(.unknownMessage, offset: 0))
        }
    }
}
