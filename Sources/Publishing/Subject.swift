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
        switch channel {
        case .liquidation:
            return "market.liquidation.\(venue.rawValue)"
        case .kline(let interval):
            return "market.\(venue.rawValue).\(token(symbol)).kline.\(token(interval))"
        default:
            return "market.\(venue.rawValue).\(token(symbol)).\(channel.name)"
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
