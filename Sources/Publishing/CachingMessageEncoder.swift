import Model

/// `MessageEncoder.encode` with each instrument's fixed bytes kept: the same output, byte for byte.
///
/// Why: the subject, the id up to its key and the payload's identity fields (`exchange_name`,
/// `symbol_name`, `instrument_id`, `data_type`) depend only on the instrument and the channel, and
/// writing them (token checks, escaping, the symbol from its parts) was about a fifth of a trade's
/// cost. They are kept for the last `capacity` (instrument, channel) pairs, found by comparing the
/// instrument with `==`: equal strings compare by their bits (a short native symbol is stored inline),
/// so a hit costs far less than hashing. A miss writes the bytes with the very code `MessageEncoder`
/// runs; klines and liquidations (keys with more parts) go through `MessageEncoder` unchanged.
/// The text of the last whole second is also handed from one message to the next.
public struct CachingMessageEncoder: Sendable {
    public let encoder: MessageEncoder
    private var entries: [Entry] = []
    /// `entries`' keys, scanned without touching the entries' strings.
    private var keys: [Key] = []
    /// The entry the next miss replaces once `entries` is full.
    private var nextVictim = 0
    private var lastHit = 0
    private var secondText = SecondText()

    /// Pairs kept: a feed publishes a few channels for a few instruments.
    public static let capacity = 32

    enum CachedChannel: UInt8 {
        case trade, orderbook, ticker, funding, openInterest
    }

    struct Entry: Sendable {
        var instrument: Instrument
        var channel: CachedChannel
        /// The subject, NUL, the id up to its key; then the payload from `{` through `"data_type":"..."`.
        var bytes: [UInt8]
        var subjectCount: Int
        var headCount: Int
    }

    public init(encoder: MessageEncoder = MessageEncoder()) {
        self.encoder = encoder
    }

    /// The message `encoder.encode(event)` gives.
    public mutating func encode(_ event: PublishableEvent) -> OutboundMessage {
        // One match, then each kind's own function reads its payload in place: binding a payload
        // again (or reading it through `event.exchangeTime`) copies the whole event.
        switch event {
        case .trade(let e): return encode(e)
        case .ticker(let e): return encode(e)
        case .funding(let e): return encode(e)
        case .openInterest(let e): return encode(e)
        case .orderbook(let e): return encode(e)
        case .kline, .liquidation: return encoder.encode(event)
        }
    }

    /// The message `encoder.encode(PublishableEvent(event))` gives, nil for `.book`: without building the
    /// publishable event, a move of the whole event (several hundred bytes) per message.
    @inline(__always)
    public mutating func encode(_ event: MarketEvent) -> OutboundMessage? {
        switch event {
        case .trade(let e): return encode(e)
        case .ticker(let e): return encode(e)
        case .funding(let e): return encode(e)
        case .openInterest(let e): return encode(e)
        case .kline(let e): return encoder.encode(.kline(e))
        case .liquidation(let e): return encoder.encode(.liquidation(e))
        case .book: return nil
        }
    }

    @inline(__always)
    mutating func encode(_ e: Trade) -> OutboundMessage {
        write(entryIndex(e.instrument, .trade), capacity: 1024) { w in
            w.headerText(e.tradeId)
        } fields: { encoder, w in
            encoder.writeTimeFields(exchangeTime: e.exchangeTime, receiveTime: e.receiveTime, into: &w)
            encoder.writeTradeFields(e, into: &w)
        }
    }

    mutating func encode(_ e: Ticker) -> OutboundMessage {
        write(entryIndex(e.instrument, .ticker), capacity: 1024) { w in
            if let s = e.sequence {
                w.byte(UInt8(ascii: "s"))
                w.integer(s)
            } else {
                w.byte(UInt8(ascii: "t"))
                w.integer(e.exchangeTime.nanoseconds)
            }
        } fields: { encoder, w in
            encoder.writeTimeFields(exchangeTime: e.exchangeTime, receiveTime: e.receiveTime, into: &w)
            encoder.writeTickerFields(e, into: &w)
        }
    }

    mutating func encode(_ e: FundingRate) -> OutboundMessage {
        write(entryIndex(e.instrument, .funding), capacity: 1024) { w in
            w.integer(e.exchangeTime.nanoseconds)
        } fields: { encoder, w in
            encoder.writeTimeFields(exchangeTime: e.exchangeTime, receiveTime: e.receiveTime, into: &w)
            encoder.writeFundingFields(e, into: &w)
        }
    }

    mutating func encode(_ e: OpenInterest) -> OutboundMessage {
        write(entryIndex(e.instrument, .openInterest), capacity: 1024) { w in
            w.integer(e.exchangeTime.nanoseconds)
        } fields: { encoder, w in
            encoder.writeTimeFields(exchangeTime: e.exchangeTime, receiveTime: e.receiveTime, into: &w)
            encoder.writeOpenInterestFields(e, into: &w)
        }
    }

    mutating func encode(_ e: OrderbookView) -> OutboundMessage {
        write(entryIndex(e.instrument, .orderbook), capacity: encoder.orderbookCapacity(e)) { w in
            if e.sequence != 0 {
                w.integer(e.sequence)
            } else {
                w.byte(UInt8(ascii: "t"))
                w.integer(e.exchangeTime.nanoseconds)
            }
        } fields: { encoder, w in
            encoder.writeTimeFields(exchangeTime: e.exchangeTime, receiveTime: e.receiveTime, into: &w)
            encoder.writeOrderbookFields(e, into: &w)
        }
    }

    /// The entry's subject and id head, `key`, NUL, the entry's identity fields, `fields`, `}`.
    @inline(__always)
    private mutating func write(
        _ index: Int, capacity: Int, key: (inout JSONWriter) -> Void, fields: (MessageEncoder, inout JSONWriter) -> Void
    ) -> OutboundMessage {
        var subjectCount = 0
        var idCount = 0
        var second = secondText
        let encoder = self.encoder
        let storage = entries.withUnsafeBufferPointer { all in
            let entry = all.baseAddress.unsafelyUnwrapped + index
            return entry.pointee.bytes.withUnsafeBufferPointer { cached in
                JSONWriter.bytes(capacity: capacity) { w in
                    w.secondText = second
                    let head = entry.pointee.headCount
                    w.append(UnsafeBufferPointer(rebasing: cached[..<head]))
                    subjectCount = entry.pointee.subjectCount
                    key(&w)
                    idCount = w.count &- subjectCount &- 1
                    w.byte(0)
                    w.append(UnsafeBufferPointer(rebasing: cached[head...]))
                    fields(encoder, &w)
                    w.byte(UInt8(ascii: "}"))
                    second = w.secondText
                }
            }
        }
        secondText = second
        return OutboundMessage(storage: storage, subjectCount: subjectCount, idCount: idCount)
    }

    /// The entry for the pair, made on a miss.
    @inline(__always)
    private mutating func entryIndex(_ instrument: Instrument, _ channel: CachedChannel) -> Int {
        if let key = Key(instrument, channel) {
            if lastHit < keys.count && keys[lastHit] == key { return lastHit }
            for i in keys.indices where keys[i] == key {
                lastHit = i
                return i
            }
        }
        return slowEntryIndex(instrument, channel)
    }

    /// By value (strings with other storage than the cached ones, dated futures, options), else a new entry.
    @inline(never)
    private mutating func slowEntryIndex(_ instrument: Instrument, _ channel: CachedChannel) -> Int {
        for i in entries.indices where entries[i].channel == channel && entries[i].instrument == instrument {
            lastHit = i
            return i
        }
        let entry = makeEntry(instrument, channel)
        let key = Key(entry.instrument, channel) ?? Key()
        if entries.count < Self.capacity {
            entries.append(entry)
            keys.append(key)
            lastHit = entries.count - 1
        } else {
            entries[nextVictim] = entry
            keys[nextVictim] = key
            lastHit = nextVictim
            nextVictim = (nextVictim + 1) % Self.capacity
        }
        return lastHit
    }

    /// The bits of a spot or perpetual instrument's strings, venue, kind and channel. Equal bits mean
    /// equal strings (the same inline text, or the same storage), so an equal key is the same pair;
    /// the same pair with strings stored elsewhere misses here and is found by value.
    struct Key: Equatable {
        var native: (UInt64, UInt64) = (0, 0)
        var base: (UInt64, UInt64) = (0, 0)
        var quote: (UInt64, UInt64) = (0, 0)
        /// Venue, kind (0 spot, 1 perpetual) and channel; all ones for "no key".
        var tags: UInt32 = .max

        init() {}

        @inline(__always)
        init?(_ instrument: Instrument, _ channel: CachedChannel) {
            let kind: UInt32
            switch instrument.kind {
            case .spot: kind = 0
            case .perpetual: kind = 1
            default: return nil
            }
            native = unsafeBitCast(instrument.native, to: (UInt64, UInt64).self)
            base = unsafeBitCast(instrument.base, to: (UInt64, UInt64).self)
            quote = unsafeBitCast(instrument.quote, to: (UInt64, UInt64).self)
            let venue = UInt32(unsafeBitCast(instrument.venue, to: UInt8.self))
            tags = venue << 16 | kind << 8 | UInt32(channel.rawValue)
        }

        @inline(__always)
        static func == (a: Key, b: Key) -> Bool {
            a.native == b.native && a.tags == b.tags && a.base == b.base && a.quote == b.quote
        }
    }

    /// The pair's fixed bytes, written by `Subject`, `MessageId` and `MessageEncoder` themselves.
    private func makeEntry(_ instrument: Instrument, _ channel: CachedChannel) -> Entry {
        let names = instrument.native.utf8.count + instrument.base.utf8.count + instrument.quote.utf8.count
        var subjectCount = 0
        var headCount = 0
        let bytes = JSONWriter.bytes(capacity: 256 + 12 * names) { w in
            let (publicChannel, idText, dataType): (Channel, StaticString, StaticString) =
                switch channel {
                case .trade: (.trade, ":trade:", "trade")
                case .orderbook: (.orderbook, ":orderbook:", "orderbook")
                case .ticker: (.ticker, ":ticker:", "ticker")
                case .funding: (.funding, ":funding:t", "funding")
                case .openInterest: (.openInterest, ":open_interest:t", "open_interest")
                }
            Subject.write(venue: instrument.venue, instrument: instrument, channel: publicChannel, into: &w)
            subjectCount = w.count
            w.byte(0)
            MessageId.writeInstrument(instrument, into: &w)
            w.raw(idText)
            headCount = w.count
            encoder.writeIdentityFields(instrument, dataType: dataType, into: &w)
        }
        return Entry(instrument: instrument, channel: channel, bytes: bytes, subjectCount: subjectCount, headCount: headCount)
    }
}
