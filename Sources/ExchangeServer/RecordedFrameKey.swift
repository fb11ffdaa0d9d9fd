import Model

/// What a recorded frame carries, so a connection gets only the channels it subscribed to: the channel
/// key of a market-data frame, or nil for protocol traffic (acks, heartbeats, pongs, JSON-RPC results)
/// that the server answers itself instead of replaying.
///
/// Keys: Binance the stream name (`btcusdt@depth@100ms`); OKX `channel:instId` (`books:BTC-USDT`);
/// Deribit the channel without its interval (`book.BTC-PERPETUAL`), so `.raw` and `.100ms` subscribers
/// both get the recorded notifications.
enum RecordedFrameKey {
    static func key(venue: Venue, frame: UnsafeRawBufferPointer) -> String? {
        switch venue {
        case .binance, .binanceFutures:
            return stringValue(after: "\"stream\":\"", in: frame, within: 64)
        case .okx:
            guard frame.first == UInt8(ascii: "{") else { return nil }
            if find("\"event\":", in: frame, from: 0, within: 64) != nil { return nil }
            guard let channel = stringValue(after: "\"channel\":\"", in: frame, within: 128) else { return nil }
            let instId = stringValue(after: "\"instId\":\"", in: frame, within: 192) ?? ""
            return okxKey(channel: channel, instId: instId)
        case .deribit:
            guard find("\"method\":\"subscription\"", in: frame, from: 0, within: 96) != nil,
                let channel = stringValue(after: "\"channel\":\"", in: frame, within: 192)
            else { return nil }
            return deribitKey(channel: channel)
        }
    }

    /// OKX's best-bid-offer channel `bbo-tbt` and `tickers` are one ticker family here: the collector's
    /// ticker subscription names `tickers`, while recordings (the synthetic ones) carry `bbo-tbt` frames.
    static func okxKey(channel: String, instId: String) -> String { (channel == "bbo-tbt" ? "tickers" : channel) + ":" + instId }

    /// `book.BTC-PERPETUAL.raw` -> `book.BTC-PERPETUAL`; `trades.BTC-PERPETUAL.100ms` likewise.
    static func deribitKey(channel: String) -> String {
        let parts = channel.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 3, ["book", "trades", "ticker", "incremental_ticker"].contains(String(parts[0])) else { return channel }
        return parts.dropLast().joined(separator: ".")
    }

    /// The instrument a book key names, for synthesized snapshots: OKX `books:X`, Deribit `book.X`.
    static func bookInstrument(venue: Venue, key: String) -> String? {
        switch venue {
        case .okx: return key.hasPrefix("books:") ? String(key.dropFirst(6)) : nil
        case .deribit:
            let parts = key.split(separator: ".")
            return parts.count == 2 && parts[0] == "book" ? String(parts[1]) : nil
        case .binance, .binanceFutures: return nil
        }
    }

    /// Binance combined-stream frames: the byte range of the `data` value (what `/ws` sends bare).
    static func binanceDataRange(_ frame: UnsafeRawBufferPointer) -> Range<Int>? {
        guard let start = find("\"data\":", in: frame, from: 0, within: frame.count) else { return nil }
        var end = frame.count
        while end > start, frame[end - 1] != UInt8(ascii: "}") { end -= 1 }
        let from = start + 7
        return end - 1 > from ? from..<(end - 1) : nil
    }

    /// Position of `needle` in the first `within` bytes (plus the needle) of `frame`.
    static func find(_ needle: StaticString, in frame: UnsafeRawBufferPointer, from: Int, within: Int) -> Int? {
        let n = needle.utf8CodeUnitCount
        let p = needle.utf8Start
        let last = min(frame.count - n, from + within)
        guard n > 0, last >= from else { return nil }
        var i = from
        while i <= last {
            if frame[i] == p[0] {
                var k = 1
                while k < n && frame[i + k] == p[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }

    /// The JSON string value right after `prefix` (which ends with the opening quote).
    static func stringValue(after prefix: StaticString, in frame: UnsafeRawBufferPointer, within: Int) -> String? {
        guard let at = find(prefix, in: frame, from: 0, within: within) else { return nil }
        let start = at + prefix.utf8CodeUnitCount
        var end = start
        while end < frame.count && frame[end] != UInt8(ascii: "\"") { end += 1 }
        guard end < frame.count else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: frame[start..<end]), as: UTF8.self)
    }
}
