import Model

extension OrderBook {
    /// Applies a venue message (a snapshot replaces the book) and checks what a consistent venue book
    /// satisfies afterwards: levels applicable, not crossed, and the venue's checksum if it sent one.
    /// Returns the break, counting it, or nil.
    mutating func applyVerified(
        _ update: BookUpdate, _ configuration: BookSyncConfiguration, _ counters: inout BookSyncCounters
    ) -> BookBreak? {
        do {
            try apply(update)
        } catch {
            counters.invalidLevels += 1
            return .invalidLevel(error)
        }
        counters.levelChanges += update.bids.count + update.asks.count
        if isCrossed, let bid = bestBid, let ask = bestAsk {
            counters.crossedBooks += 1
            return .crossed(bid: bid.price, ask: ask.price)
        }
        // OKX sends 0 since 2026-06; a genuine CRC of 0 is a 1 in 2^32 event, so 0 means "none".
        if configuration.verifiesChecksums, let expected = update.checksum, expected != 0 {
            counters.checksumsChecked += 1
            let computed = checksumText.checksum(bids: bidLadder, asks: askLadder)
            if computed != expected {
                counters.checksumsFailed += 1
                return .checksumMismatch(expected: expected, computed: computed)
            }
        }
        return nil
    }
}
