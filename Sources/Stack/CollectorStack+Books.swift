import Books
import Exchanges
import Model
import Publishing

// The book half of the hot path: an update through its slot's book sync, and what the sync asks for.
extension CollectorStack {
    mutating func bookSlot(for instrument: Instrument) -> Int {
        // A feed's few books are scanned by the bits of the name (the adapters hand out the catalog's
        // strings) before hashing it: a String-keyed lookup cost ~390 instructions a book message.
        let bits = unsafeBitCast(instrument.native, to: (UInt64, UInt64).self)
        if books.count <= 8 {
            for i in books.indices where books[i].hasNative(bits: bits) { return i }
        }
        if let i = bookIndex[instrument.native] { return i }
        books.append(AnyBookSync(instrument: instrument, configuration: configuration.books,
                                 okxProtocol: configuration.okxBookProtocol))
        lastPublishedSequence.append(nil)
        bookEncoders.append(IncrementalBookEncoder(encoder: publisher.encoder))
        bookIndex[instrument.native] = books.count - 1
        return books.count - 1
    }

    mutating func applyBook(_ update: BookUpdate, at now: Instant) {
        let i = bookSlot(for: update.instrument)
        // Left empty by whoever ran the last effects; emptying an empty array still costs a call.
        if !bookEffects.isEmpty { bookEffects.removeAll(keepingCapacity: true) }
        // Nearly every delta of a synced book only asks for itself to be published: no effect is made of it.
        let publishes = books[i].handleUpdate(update, at: now, into: &bookEffects)
        if !bookEffects.isEmpty { runBookEffects(slot: i, at: now) }
        if publishes { publishBook(update, slot: i, at: now) }
    }

    mutating func runBookEffects(slot i: Int, at now: Instant) {
        // `Instrument.symbol` builds a string: only the rare log events need it, not every publish.
        var symbol: String { books[i].instrument.symbol }
        for effect in bookEffects {
            switch effect {
            case .publish(let update):
                publishBook(update, slot: i, at: now)
            case .requestSnapshot(let instrument, let reason):
                var request = adapter.snapshotRequest(for: instrument)
                if let base = configuration.restBaseURLOverride { request.host = base }
                fetcher.enqueue(request, for: instrument, at: now)
                counters.snapshotsRequested += 1
                log(.snapshotRequested(symbol: symbol, reason: reason), at: now)
            case .resubscribe(let instrument, _):
                resubscribe(instrument, at: now)
                log(.resubscribed(symbol: symbol), at: now)
            case .invalidated(let reason):
                counters.bookBreaks += 1
                log(.bookInvalidated(symbol: symbol, reason: reason), at: now)
            case .synced(let sequence):
                log(.bookSynced(symbol: symbol, sequence: sequence), at: now)
            case .droppedStale(let count):
                log(.staleSnapshotsDropped(symbol: symbol, count: count), at: now)
            case .sequenceReset(let previous, let current):
                log(.sequenceReset(symbol: symbol, previous: previous, current: current), at: now)
            }
        }
        bookEffects.removeAll(keepingCapacity: true)
    }

    /// Publishes slot `i`'s book, which now reflects `update` (what `BookSyncEffect.publish(update)` asks).
    mutating func publishBook(_ update: BookUpdate, slot i: Int, at now: Instant) {
        // A resync that lands on the id already published (no update in between) would
        // only repeat the same book under the same message id.
        let sequence = update.sequence.last
        if sequence != 0 && lastPublishedSequence[i] == sequence { return }
        lastPublishedSequence[i] = sequence
        guard let shape = books[i].bookShape() else { return }
        counters.booksPublished += 1
        // The bytes `.publish(.orderbook(view))` would give, mostly copied from the slot's last
        // message. When the book moved by just this delta since that message, the encoder places
        // the delta's levels among the last message's and copies the rest, reading nothing of the book.
        if update.kind == .delta, let base = shape.revisionBeforeDelta,
            let message = bookEncoders[i].encode(
                update.instrument, applying: update.bids, update.asks, bidCount: shape.bidCount,
                askCount: shape.askCount, revision: shape.revision, after: base, sequence: sequence,
                exchangeTime: update.exchangeTime, receiveTime: update.receiveTime)
        {
            publish(message, at: now)
            return
        }
        // Else the whole top: the encoder keeps the two arrays and hands back the ones it held.
        _ = books[i].fillTop(configuration.books.publishedDepth, bids: &topBids, asks: &topAsks)
        let message = bookEncoders[i].encode(
            update.instrument, bids: &topBids, asks: &topAsks, revision: shape.revision, sequence: sequence,
            exchangeTime: update.exchangeTime, receiveTime: update.receiveTime)
        publish(message, at: now)
    }
}
