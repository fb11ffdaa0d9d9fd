import Books
import Model

/// The simulated exchange's snapshot synthesis, for servers outside this module (`ExchangeServer`
/// answers REST snapshots and late subscriptions over real sockets the same way the Simulator does).
public enum SynthesizedSnapshot {
    /// A REST depth body (Binance spot/futures, OKX, Deribit `get_order_book` with at most `depth` levels a side).
    public static func rest(
        venue: Venue, instrument: Instrument, book: OrderBook, sequence: Int64, exchangeTimeNs: Int64, depth: Int? = nil
    ) -> [UInt8]? {
        SnapshotSynthesis.restSnapshot(
            venue: venue, instrument: instrument, book: book, sequence: sequence, exchangeTimeNs: exchangeTimeNs, depth: depth)
    }

    /// An in-stream full book (OKX legacy, Deribit); nil for Binance.
    public static func stream(
        venue: Venue, instrument: Instrument, book: OrderBook, sequence: Int64, sequenced: Bool, exchangeTimeNs: Int64
    ) -> [UInt8]? {
        SnapshotSynthesis.streamSnapshot(
            venue: venue, instrument: instrument, book: book, sequence: sequence, sequenced: sequenced, exchangeTimeNs: exchangeTimeNs)
    }
}
