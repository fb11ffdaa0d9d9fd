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
        var at = name.lowerBound
        while at < name.upperBound && s.bytes[at] != UInt8(ascii: "@") { at += 1 }
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
        let kind: BinanceStream
        if s.hasPrefix(rest, "depth@") || s.matches(rest, "depth") {
            kind = .depth
        } else if s.hasPrefix(rest, "depth") {
            kind = .partialDepth
        } else if s.matches(rest, "trade") {
            kind = .trade
        } else if s.hasPrefix(rest, "aggTrade") {
            kind = .aggTrade
        } else if s.hasPrefix(rest, "bookTicker") {
            kind = .bookTicker
        } else if s.matches(rest, "ticker") || s.hasPrefix(rest, "ticker@") {
            kind = .ticker24h
        } else if s.hasPrefix(rest, "kline_") {
            kind = .kline
        } else if s.hasPrefix(rest, "markPrice") {
            kind = .markPrice
        } else if s.hasPrefix(rest, "forceOrder") {
            kind = .forceOrder
        } else {
            return nil
        }
        return (kind, symbol)
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
