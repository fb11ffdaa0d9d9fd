import Books
import Exchanges
import Model

/// Venue-format snapshots built from the simulated exchange's true book, for when the recording
/// has no answer to give: after a fault the collector asks for a book the recording never fetched.
enum SnapshotSynthesis {
    /// The true book as a venue snapshot message, with the OKX legacy checksum when asked for.
    static func snapshot(
        of book: OrderBook, instrument: Instrument, sequence: Int64, sequenced: Bool, depth: Int?, checksum: Bool,
        exchangeTimeNs: Int64
    ) -> BookUpdate {
        let top = depth.map { book.top($0) } ?? (book.levels(.bid), book.levels(.ask))
        var update = BookUpdate(
            instrument: instrument, kind: .snapshot, bids: top.0, asks: top.1,
            // OKX marks a sequenced snapshot with prevSeqId -1; Deribit's first book names no predecessor.
            sequence: sequenced ? BookSequence(first: sequence, last: sequence, previous: instrument.venue == .okx ? -1 : nil) : .unsequenced,
            exchangeTime: Instant(nanoseconds: exchangeTimeNs), receiveTime: Instant(nanoseconds: exchangeTimeNs))
        if checksum, let view = try? OrderBook(snapshot: update) { update.checksum = OKXChecksum.compute(view) }
        return update
    }

    /// A REST depth body: Binance `/api/v3/depth` and `/fapi/v1/depth`, OKX `/api/v5/market/books`, Deribit
    /// `public/get_order_book` (its `depth` levels a side when given; the collector rebuilds Deribit books
    /// in-stream, other clients ask REST).
    static func restSnapshot(
        venue: Venue, instrument: Instrument, book: OrderBook, sequence: Int64, exchangeTimeNs: Int64, depth: Int? = nil
    ) -> [UInt8]? {
        var out: [UInt8] = []
        switch venue {
        case .binance, .binanceFutures:
            let s = snapshot(of: book, instrument: instrument, sequence: sequence, sequenced: true, depth: nil, checksum: false,
                             exchangeTimeNs: exchangeTimeNs)
            BinanceFrameEncoder(venue: venue).encodeDepthSnapshot(s, into: &out)
        case .okx:
            let s = snapshot(of: book, instrument: instrument, sequence: sequence, sequenced: true, depth: 400, checksum: false,
                             exchangeTimeNs: exchangeTimeNs)
            OKXFrameEncoder().encodeBookSnapshotBody(s, into: &out)
        case .deribit:
            let s = snapshot(of: book, instrument: instrument, sequence: sequence, sequenced: true, depth: depth, checksum: false,
                             exchangeTimeNs: exchangeTimeNs)
            DeribitFrameEncoder(interval: .raw).encodeBookSnapshotBody(s, into: &out)
        }
        return out
    }

    /// An in-stream full book, as OKX (legacy protocol) and Deribit send after a subscription.
    static func streamSnapshot(
        venue: Venue, instrument: Instrument, book: OrderBook, sequence: Int64, sequenced: Bool, exchangeTimeNs: Int64
    ) -> [UInt8]? {
        var out: [UInt8] = []
        switch venue {
        case .okx:
            let s = snapshot(of: book, instrument: instrument, sequence: sequence, sequenced: sequenced, depth: 400,
                             checksum: true, exchangeTimeNs: exchangeTimeNs)
            OKXFrameEncoder().encodeBook(s, into: &out)
        case .deribit:
            let s = snapshot(of: book, instrument: instrument, sequence: sequence, sequenced: true, depth: nil, checksum: false,
                             exchangeTimeNs: exchangeTimeNs)
            DeribitFrameEncoder(interval: .raw).encodeBook(s, into: &out)
        case .binance, .binanceFutures:
            return nil
        }
        return out
    }
}
