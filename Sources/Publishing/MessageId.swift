import Model

/// Derives `Nats-Msg-Id` from exchange data only, never from the collector or the clock, so a
/// resend after a lost ack and a second collector on the same feed both dedupe in JetStream.
///
/// Form: `{venue}:{native instrument}:{channel}:{key}`; the key per channel (docs/messages.md):
/// - trade: the venue's trade id.
/// - orderbook: the exchange sequence (final update id) the published book reflects; for books whose
///   venue sends no sequence (OKX captures from before seqId existed), `t{exchange ns}`.
/// - ticker: `s{sequence}` when the venue sends one (Binance bookTicker `u`), else `t{exchange ns}`.
/// - kline: `{interval}:{open ns}:{exchange ns}`: each update of a candle is its own message.
/// - funding, open_interest: `t{exchange ns}`.
/// - liquidation (no venue id exists): `t{exchange ns}:{side}:{price}:{quantity}`.
/// Control characters are replaced by `_` (a header value cannot carry them).
public enum MessageId {
    public static func make(for event: PublishableEvent) -> String {
        String(decoding: JSONWriter.bytes(capacity: 256) { write(for: event, instrument: event.instrument, into: &$0) }, as: UTF8.self)
    }

    /// Writes the id's bytes (the encoder's hot path; no intermediate strings).
    static func write(for event: PublishableEvent, instrument i: Instrument, into b: inout JSONWriter) {
        if case .orderbook(let e) = event, e.sequence != 0 {
            writeSequencedBookPrefix(i, into: &b)
            b.integer(e.sequence)
            return
        }
        writeInstrument(i, into: &b)
        switch event {
        case .trade(let e):
            b.raw(":trade:")
            b.headerText(e.tradeId)
        case .orderbook(let e):
            // Unsequenced venue books (OKX before seqId existed): the exchange time is the only key.
            b.raw(":orderbook:t")
            b.integer(e.exchangeTime.nanoseconds)
        case .ticker(let e):
            if let s = e.sequence {
                b.raw(":ticker:s")
                b.integer(s)
            } else {
                b.raw(":ticker:t")
                b.integer(e.exchangeTime.nanoseconds)
            }
        case .kline(let e):
            b.raw(":kline:")
            b.headerText(e.interval)
            b.byte(UInt8(ascii: ":"))
            b.integer(e.openTime.nanoseconds)
            b.byte(UInt8(ascii: ":"))
            b.integer(e.exchangeTime.nanoseconds)
        case .funding(let e):
            b.raw(":funding:t")
            b.integer(e.exchangeTime.nanoseconds)
        case .openInterest(let e):
            b.raw(":open_interest:t")
            b.integer(e.exchangeTime.nanoseconds)
        case .liquidation(let e):
            b.raw(":liquidation:t")
            b.integer(e.exchangeTime.nanoseconds)
            b.raw(e.side == .buy ? ":buy:" : ":sell:")
            b.decimal(e.price.normalized)
            b.byte(UInt8(ascii: ":"))
            b.decimal(e.quantity.normalized)
        }
    }

    /// `{venue}:{native instrument}`, the start of every id.
    @inline(__always)
    static func writeInstrument(_ i: Instrument, into b: inout JSONWriter) {
        b.raw(i.venue.name)
        b.byte(UInt8(ascii: ":"))
        b.headerText(i.native)
    }

    /// What a sequenced book's id is before its sequence, `{venue}:{native}:orderbook:`: an
    /// incremental book encoder keeps these bytes per instrument and appends the sequence.
    static func writeSequencedBookPrefix(_ i: Instrument, into b: inout JSONWriter) {
        writeInstrument(i, into: &b)
        b.raw(":orderbook:")
    }
}
