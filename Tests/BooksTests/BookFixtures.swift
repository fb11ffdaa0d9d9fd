import Books
import Model

/// Small builders so each sync test reads as the message sequence it feeds.
enum Fixture {
    static let binanceSpot = Instrument(venue: .binance, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .spot)
    static let binanceFutures = Instrument(
        venue: .binanceFutures, native: "BTCUSDT", base: "BTC", quote: "USDT", kind: .perpetual)
    static let okx = Instrument(venue: .okx, native: "BTC-USDT", base: "BTC", quote: "USDT", kind: .spot)
    static let deribit = Instrument(venue: .deribit, native: "BTC-PERPETUAL", base: "BTC", quote: "USD", kind: .perpetual)

    static func decimal(_ text: String) -> FixedDecimal {
        guard let value = FixedDecimal(text) else { fatalError("bad decimal literal \(text)") }
        return value
    }

    static func levels(_ pairs: [(String, String)]) -> [BookLevel] {
        pairs.map { BookLevel(price: decimal($0.0), size: decimal($0.1)) }
    }

    static func update(
        _ instrument: Instrument, _ kind: BookUpdate.Kind, first: Int64, last: Int64, previous: Int64? = nil,
        bids: [(String, String)] = [], asks: [(String, String)] = [], checksum: Int32? = nil
    ) -> BookUpdate {
        BookUpdate(
            instrument: instrument, kind: kind, bids: levels(bids), asks: levels(asks),
            sequence: BookSequence(first: first, last: last, previous: previous), checksum: checksum,
            exchangeTime: .milliseconds(last), receiveTime: .milliseconds(last))
    }

    /// A book holding exactly these levels, built independently of any sync machine.
    static func book(bids: [(String, String)], asks: [(String, String)]) -> OrderBook {
        var book = OrderBook()
        for level in levels(bids) { try! book.apply(side: .bid, price: level.price, size: level.size) }
        for level in levels(asks) { try! book.apply(side: .ask, price: level.price, size: level.size) }
        return book
    }
}

extension Array where Element == BookSyncEffect {
    var publishedCount: Int {
        count { if case .publish = $0 { return true } else { return false } }
    }

    var breaks: [BookBreak] {
        compactMap { if case .invalidated(let reason) = $0 { return reason } else { return nil } }
    }

    var snapshotRequests: [SnapshotRequestReason] {
        compactMap { if case .requestSnapshot(_, let reason) = $0 { return reason } else { return nil } }
    }

    var resubscribes: [BookBreak] {
        compactMap { if case .resubscribe(_, let reason) = $0 { return reason } else { return nil } }
    }
}
