import Model

/// Builds NATS subjects of the original system's scheme:
/// `market.{exchange}.{symbol}.{channel}`, `market.{exchange}.{symbol}.kline.{interval}`, `market.liquidation.{exchange}`.
///
/// Every variable part goes through `token(_:)` so a symbol or interval can never add a level
/// (`.`), act as a wildcard (`*`, `>`) or break the protocol line (spaces, control characters).
public enum Subject {
    public static let root = "market"
    /// The stream's subject filter: everything the publisher emits matches it.
    public static let streamFilter = "market.>"

    public static func make(venue: Venue, symbol: String, channel: Channel) -> String {
        String(decoding: JSONWriter.bytes(capacity: 64 + symbol.utf8.count) { write(venue: venue, symbol: symbol, channel: channel, into: &$0) }, as: UTF8.self)
    }

    /// Writes the subject's bytes (the encoder's hot path; no intermediate strings).
    static func write(venue: Venue, symbol: String, channel: Channel, into w: inout JSONWriter) {
        guard writePrefix(venue: venue, channel: channel, into: &w) else { return }
        if symbol.isEmpty { w.byte(UInt8(ascii: "_")) } else { w.subjectToken(symbol) }
        writeChannel(channel, into: &w)
    }

    /// The same subject for an instrument's normalized symbol, written from its parts: `Instrument.symbol`
    /// builds a new string on every call, and the encoder needs it for every message.
    static func write(venue: Venue, instrument: Instrument, channel: Channel, into w: inout JSONWriter) {
        guard writePrefix(venue: venue, channel: channel, into: &w) else { return }
        switch instrument.kind {
        case .spot, .perpetual:
            // Never empty ("-" at least), and `-`/`PERP` are plain token bytes: the parts map like the whole.
            w.subjectToken(instrument.base)
            w.byte(UInt8(ascii: "-"))
            w.subjectToken(instrument.quote)
            if case .perpetual = instrument.kind { w.raw("-PERP") }
        default:
            let symbol = instrument.symbol
            if symbol.isEmpty { w.byte(UInt8(ascii: "_")) } else { w.subjectToken(symbol) }
        }
        writeChannel(channel, into: &w)
    }

    /// `market.{venue}.`, or the whole subject for liquidations (then false: nothing follows).
    private static func writePrefix(venue: Venue, channel: Channel, into w: inout JSONWriter) -> Bool {
        w.raw("market.")
        if case .liquidation = channel {
            w.raw("liquidation.")
            w.raw(venue.name)
            return false
        }
        w.raw(venue.name)
        w.byte(UInt8(ascii: "."))
        return true
    }

    private static func writeChannel(_ channel: Channel, into w: inout JSONWriter) {
        w.byte(UInt8(ascii: "."))
        switch channel {
        case .trade: w.raw("trade")
        case .orderbook: w.raw("orderbook")
        case .ticker: w.raw("ticker")
        case .funding: w.raw("funding")
        case .openInterest: w.raw("open_interest")
        case .liquidation: w.raw("liquidation")
        case .kline(let interval):
            w.raw("kline.")
            if interval.isEmpty { w.byte(UInt8(ascii: "_")) } else { w.subjectToken(interval) }
        }
    }

    public static func make(for event: PublishableEvent) -> String {
        make(venue: event.instrument.venue, symbol: event.instrument.symbol, channel: event.channel)
    }

    /// One subject token: characters NATS treats specially are replaced by `_`; an empty token becomes `_`.
    public static func token(_ text: String) -> String {
        var needsRewrite = text.isEmpty
        for b in text.utf8 where !isPlain(b) {
            needsRewrite = true
            break
        }
        guard needsRewrite else { return text }
        if text.isEmpty { return "_" }
        var bytes = [UInt8]()
        bytes.reserveCapacity(text.utf8.count)
        for b in text.utf8 { bytes.append(isPlain(b) ? b : UInt8(ascii: "_")) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    static func isPlain(_ b: UInt8) -> Bool {
        b > 0x20 && b != 0x7F && b != UInt8(ascii: ".") && b != UInt8(ascii: "*") && b != UInt8(ascii: ">")
    }
}
