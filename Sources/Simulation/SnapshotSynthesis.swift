import Books
import Model

/// Venue-format snapshots built from the simulated exchange's true book, for when the recording
/// has no answer to give: after a fault the collector asks for a book the recording never fetched.
enum SnapshotSynthesis {
    /// A REST depth body: Binance `/api/v3/depth` and `/fapi/v1/depth`, OKX `/api/v5/market/books`.
    /// Deribit books are rebuilt in-stream, so it has none.
    static func restSnapshot(venue: Venue, book: OrderBook, sequence: Int64, exchangeTimeNs: Int64) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(64 + 40 * (book.bidCount + book.askCount))
        let ms = exchangeTimeNs / 1_000_000
        switch venue {
        case .binance, .binanceFutures:
            out += Array("{\"lastUpdateId\":\(sequence),".utf8)
            if venue == .binanceFutures { out += Array("\"E\":\(ms),\"T\":\(ms),".utf8) }
            out += Array("\"bids\":".utf8)
            appendLevels(book.levels(.bid), okx: false, to: &out)
            out += Array(",\"asks\":".utf8)
            appendLevels(book.levels(.ask), okx: false, to: &out)
            out.append(UInt8(ascii: "}"))
        case .okx:
            out += Array("{\"code\":\"0\",\"msg\":\"\",\"data\":[{\"asks\":".utf8)
            appendLevels(book.levels(.ask), okx: true, to: &out)
            out += Array(",\"bids\":".utf8)
            appendLevels(book.levels(.bid), okx: true, to: &out)
            out += Array(",\"ts\":\"\(ms)\",\"seqId\":\(sequence)}]}".utf8)
        case .deribit:
            return nil
        }
        return out
    }

    /// An in-stream full book, as OKX (legacy protocol) and Deribit send after a subscription.
    static func streamSnapshot(
        venue: Venue, instrument: Instrument, book: OrderBook, sequence: Int64, sequenced: Bool, exchangeTimeNs: Int64
    ) -> [UInt8]? {
        var out: [UInt8] = []
        let ms = exchangeTimeNs / 1_000_000
        switch venue {
        case .okx:
            let top = book.top(400)
            var view = OrderBook(priceScale: book.priceScale)
            for l in top.bids { try? view.apply(side: .bid, price: l.price, size: l.size) }
            for l in top.asks { try? view.apply(side: .ask, price: l.price, size: l.size) }
            out += Array("{\"arg\":{\"channel\":\"books\",\"instId\":\"\(instrument.native)\"},\"action\":\"snapshot\",\"data\":[{\"asks\":".utf8)
            appendLevels(top.asks, okx: true, to: &out)
            out += Array(",\"bids\":".utf8)
            appendLevels(top.bids, okx: true, to: &out)
            out += Array(",\"ts\":\"\(ms)\",\"checksum\":\(OKXChecksum.compute(view))".utf8)
            if sequenced { out += Array(",\"prevSeqId\":-1,\"seqId\":\(sequence)".utf8) }
            out += Array("}]}".utf8)
        case .deribit:
            out += Array("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.\(instrument.native).raw\",\"data\":{\"type\":\"snapshot\",\"timestamp\":\(ms),\"instrument_name\":\"\(instrument.native)\",\"change_id\":\(sequence),\"bids\":".utf8)
            appendDeribitLevels(book.levels(.bid), to: &out)
            out += Array(",\"asks\":".utf8)
            appendDeribitLevels(book.levels(.ask), to: &out)
            out += Array("}}}".utf8)
        case .binance, .binanceFutures:
            return nil
        }
        return out
    }

    private static func appendLevels(_ levels: [BookLevel], okx: Bool, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, l) in levels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("[\"".utf8)
            l.price.appendText(to: &out)
            out += Array("\",\"".utf8)
            l.size.appendText(to: &out)
            out += Array(okx ? "\",\"0\",\"1\"]".utf8 : "\"]".utf8)
        }
        out.append(UInt8(ascii: "]"))
    }

    private static func appendDeribitLevels(_ levels: [BookLevel], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (i, l) in levels.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("[\"new\",".utf8)
            l.price.appendText(to: &out)
            out.append(UInt8(ascii: ","))
            l.size.appendText(to: &out)
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }
}
