import Model

extension OrderBook {
    /// Applies a venue message (a snapshot replaces the book) and checks what a consistent venue book
    /// satisfies afterwards: levels applicable, not crossed, and the venue's checksum if it sent one.
    /// Returns the break, counting it, or nil.
    mutating func applyVerified(
        _ update: BookUpdate, _ configuration: BookSyncConfiguration, _ counters: inout BookSyncCounters
    ) -> BookBreak? {
        let revisionBefore = changes
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
            // The text follows the book delta by delta when it described the revision this very update
            // (a delta with levels, fully applied) started from; an empty delta leaves the last one's
            // revisionBeforeDelta in place, so that alone would not do.
            let known = checksumText.revision == revisionBefore && revisionBeforeDelta == revisionBefore
            let computed = known
                ? checksumText.checksum(bids: bidLadder, asks: askLadder, following: update)
                : checksumText.checksum(bids: bidLadder, asks: askLadder)
            checksumText.revision = changes
            if computed != expected {
                counters.checksumsFailed += 1
                return .checksumMismatch(expected: expected, computed: computed)
            }
        }
        return nil
    }
}
