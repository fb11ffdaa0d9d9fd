/// The Binance stream types this layer parses, classified from a stream name such as
/// `btcusdt@depth@100ms`, `btcusdt@kline_1m`, `!forceOrder@arr`.
enum BinanceStream: Equatable {
    case depth
    /// `@depth5/10/20`: top-of-book snapshots (spot sends `lastUpdateId/bids/asks`).
    case partialDepth
    case trade
    case aggTrade
    case bookTicker
    case ticker24h
    case kline
    case markPrice
    case forceOrder

    /// Classifies the part after the symbol and `@` (or the whole name for `!all` streams).
    static func classify(_ s: JSONScanner, _ name: Range<Int>) -> (BinanceStream, symbol: Range<Int>?)? {
        guard !name.isEmpty else { return nil }
        let at = firstAt(s, name)
        let symbol: Range<Int>?
        let rest: Range<Int>
        if s.bytes[name.lowerBound] == UInt8(ascii: "!") {
            symbol = nil
            rest = (name.lowerBound + 1)..<name.upperBound
        } else {
            guard at < name.upperBound, at > name.lowerBound else { return nil }
            symbol = name.lowerBound..<at
            rest = (at + 1)..<name.upperBound
        }
        guard !rest.isEmpty else { return nil }
        // Every name starts with its own letter but `depth...` and `t...`: one switch, then the compares.
        let kind: BinanceStream
        switch s.bytes[rest.lowerBound] {
        case UInt8(ascii: "d"):
            if s.hasPrefix(rest, "depth@") || s.matches(rest, "depth") {
                kind = .depth
            } else if s.hasPrefix(rest, "depth") {
                kind = .partialDepth
            } else {
                return nil
            }
        case UInt8(ascii: "t"):
            if s.matches(rest, "trade") {
                kind = .trade
            } else if s.matches(rest, "ticker") || s.hasPrefix(rest, "ticker@") {
                kind = .ticker24h
            } else {
                return nil
            }
        case UInt8(ascii: "a"):
            guard s.hasPrefix(rest, "aggTrade") else { return nil }
            kind = .aggTrade
        case UInt8(ascii: "b"):
            guard s.hasPrefix(rest, "bookTicker") else { return nil }
            kind = .bookTicker
        case UInt8(ascii: "k"):
            guard s.hasPrefix(rest, "kline_") else { return nil }
            kind = .kline
        case UInt8(ascii: "m"):
            guard s.hasPrefix(rest, "markPrice") else { return nil }
            kind = .markPrice
        case UInt8(ascii: "f"):
            guard s.hasPrefix(rest, "forceOrder") else { return nil }
            kind = .forceOrder
        default:
            return nil
        }
        return (kind, symbol)
    }

    /// Where the first `@` of `name` is (its end if none): a word at a time while whole words fit the
    /// buffer (the first match in a word is exact), then a byte at a time.
    @inline(__always)
    static func firstAt(_ s: JSONScanner, _ name: Range<Int>) -> Int {
        var at = name.lowerBound
        if let base = s.bytes.baseAddress {
            while at &+ 8 <= s.bytes.count && at < name.upperBound {
                let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) ^ 0x4040_4040_4040_4040
                let hits = (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080
                if hits != 0 { return Swift.min(at &+ (hits.trailingZeroBitCount &>> 3), name.upperBound) }
                at &+= 8
            }
        }
        while at < name.upperBound && s.bytes[at] != UInt8(ascii: "@") { at += 1 }
        return at
    }

    /// Classifies an unwrapped (raw-stream) event from its `e` field.
    static func classify(eventType s: JSONScanner, _ e: Range<Int>) -> BinanceStream? {
        if s.matches(e, "depthUpdate") { return .depth }
        if s.matches(e, "trade") { return .trade }
        if s.matches(e, "aggTrade") { return .aggTrade }
        if s.matches(e, "bookTicker") { return .bookTicker }
        if s.matches(e, "24hrTicker") { return .ticker24h }
        if s.matches(e, "kline") { return .kline }
        if s.matches(e, "markPriceUpdate") { return .markPrice }
        if s.matches(e, "forceOrder") { return .forceOrder }
        return nil
    }
}
