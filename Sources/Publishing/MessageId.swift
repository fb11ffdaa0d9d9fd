import Model

/// Derives `Nats-Msg-Id` from exchange data only, never from the collector or the clock, so a
/// resend after a lost ack and a second collector on the same feed both dedupe in JetStream.
///
/// Form: `{venue}:{native instrument}:{channel}:{key}`; the key per channel (docs/messages.md):
/// - trade: the venue's trade id.
/// - orderbook: the exchange sequence (final update id) the published book reflects.
/// - ticker: `s{sequence}` when the venue sends one (Binance bookTicker `u`), else `t{exchange ns}`.
/// - kline: `{interval}:{open ns}:{exchange ns}`: each update of a candle is its own message.
/// - funding, open_interest: `t{exchange ns}`.
/// - liquidation (no venue id exists): `t{exchange ns}:{side}:{price}:{quantity}`.
public enum MessageId {
    public static func make(for event: PublishableEvent) -> String {
        let i = event.instrument
        let prefix = "\(i.venue.rawValue):\(clean(i.native)):"
        switch event {
        case .trade(let e):
            return prefix + "trade:" + clean(e.tradeId)
        case .orderbook(let e):
            return prefix + "orderbook:\(e.sequence)"
        case .ticker(let e):
            if let s = e.sequence { return prefix + "ticker:s\(s)" }
            return prefix + "ticker:t\(e.exchangeTime.nanoseconds)"
        case .kline(let e):
            return prefix + "kline:\(clean(e.interval)):\(e.openTime.nanoseconds):\(e.exchangeTime.nanoseconds)"
        case .funding(let e):
            return prefix + "funding:t\(e.exchangeTime.nanoseconds)"
        case .openInterest(let e):
            return prefix + "open_interest:t\(e.exchangeTime.nanoseconds)"
        case .liquidation(let e):
            return prefix
                + "liquidation:t\(e.exchangeTime.nanoseconds):\(e.side.rawValue):\(e.price.normalized):\(e.quantity.normalized)"
        }
    }

    /// Header values may not carry CR, LF or other control characters; ids keep everything else.
    static func clean(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) else { return text }
        return String(decoding: text.utf8.map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }
}
