import Model

// Resubscribing one instrument's book channel is how venues with in-stream snapshots heal a broken
// book: the venue answers a fresh subscription with a fresh full book, and other channels and
// instruments on the connection are left alone.

extension OKXAdapter {
    /// `unsubscribe` then `subscribe` for the instrument's `books` channel.
    public func bookResubscribeFrames(for instrument: Instrument) -> [[UInt8]] {
        ["unsubscribe", "subscribe"].map { op in
            var f: [UInt8] = []
            f.appendASCII("{\"op\":")
            f.appendQuoted(op)
            f.appendASCII(",\"args\":[{\"channel\":")
            f.appendQuoted(Self.channelName(.book))
            f.appendASCII(",\"instId\":")
            f.appendQuoted(instrument.native)
            f.appendASCII("}]}")
            return f
        }
    }
}

extension DeribitAdapter {
    /// `public/unsubscribe` then `public/subscribe` for the instrument's `book.{name}.{interval}` channel.
    public func bookResubscribeFrames(for instrument: Instrument, requestId: Int64) -> [[UInt8]] {
        let channel = "book.\(instrument.native).\(interval.rawValue)"
        return [("public/unsubscribe", requestId), ("public/subscribe", requestId + 1)].map { method, id in
            var f: [UInt8] = []
            f.appendASCII("{\"jsonrpc\":\"2.0\",\"id\":")
            f.appendInt(id)
            f.appendASCII(",\"method\":")
            f.appendQuoted(method)
            f.appendASCII(",\"params\":{\"channels\":[")
            f.appendQuoted(channel)
            f.appendASCII("]}}")
            return f
        }
    }
}
