import Books
import Model
import Testing

/// Each sync machine against a generated venue stream with lost, duplicated and swapped messages and
/// late (sometimes stale) snapshots. Invariants after every input: a valid book equals the venue's
/// true book at the sequence id it claims; nothing is published unless the book is valid; and once
/// the faults stop, the machine resyncs and ends equal to the truth.
@Suite struct BookSyncFaultPropertyTests {
    enum Venue: CaseIterable {
        case binanceSpot, binanceFutures, okxSnapshot, okxLegacy, deribit
    }

    /// The venue side: a true book, its message ids, and the true book after every message id.
    struct TruthStream {
        var random: SeededRandom
        let venue: Venue
        let instrument = Fixture.okx
        var truth = OrderBook()
        var last: Int64 = 100
        var booksById: [Int64: OrderBook] = [:]

        init(venue: Venue, seed: UInt64) {
            self.venue = venue
            random = SeededRandom(seed: seed)
            for tick in 1...20 {
                try! truth.apply(side: .bid, price: FixedDecimal(mantissa: 10_000 - Int64(tick), scale: 1), size: 1)
                try! truth.apply(side: .ask, price: FixedDecimal(mantissa: 10_000 + Int64(tick), scale: 1), size: 1)
            }
            booksById[last] = truth
        }

        mutating func below(_ n: UInt64) -> Int64 { Int64(random.next() % n) }

        /// The next message: a few level changes either side of 1000.0 (never crossing), venue ids.
        mutating func next() -> BookUpdate {
            var bids: [BookLevel] = []
            var asks: [BookLevel] = []
            let heartbeat = (venue == .okxSnapshot || venue == .okxLegacy) && below(20) == 0
            if !heartbeat {
                for _ in 0..<(1 + below(4)) {
                    let size = below(3) == 0 ? FixedDecimal.zero : FixedDecimal(mantissa: 1 + below(500), scale: 2)
                    let offset = 1 + below(40)
                    if below(2) == 0 {
                        bids.append(BookLevel(price: FixedDecimal(mantissa: 10_000 - offset, scale: 1), size: size))
                    } else {
                        asks.append(BookLevel(price: FixedDecimal(mantissa: 10_000 + offset, scale: 1), size: size))
                    }
                }
            }
            let sequence: BookSequence
            switch venue {
            case .binanceSpot:
                sequence = BookSequence(first: last + 1, last: last + 1 + below(3))
            case .binanceFutures:
                let first = last + 1 + below(4)  // ids shared with other symbols leave holes
                sequence = BookSequence(first: first, last: first + below(3), previous: last)
            case .okxSnapshot, .okxLegacy, .deribit:
                let id = heartbeat ? last : last + 1 + below(4)
                sequence = BookSequence(first: id, last: id, previous: last)
            }
            var update = BookUpdate(
                instrument: instrument, kind: .delta, bids: bids, asks: asks, sequence: sequence,
                exchangeTime: .zero, receiveTime: .zero)
            try! truth.apply(update)
            if venue == .okxLegacy { update.checksum = OKXChecksum.compute(truth) }
            last = sequence.last
            booksById[last] = truth
            return update
        }

        /// A full book as of message id `id` (REST, or in-stream for OKX legacy and Deribit).
        func snapshot(at id: Int64) -> BookUpdate {
            let book = booksById[id]!
            var update = BookUpdate(
                instrument: instrument, kind: .snapshot, bids: book.levels(.bid), asks: book.levels(.ask),
                sequence: BookSequence(first: id, last: id, previous: venue == .deribit ? nil : -1),
                exchangeTime: .zero, receiveTime: .zero)
            if venue == .okxLegacy { update.checksum = OKXChecksum.compute(book) }
            return update
        }
    }

    static func makeSync(_ venue: Venue) -> any BookSync {
        switch venue {
        case .binanceSpot: BinanceSpotBookSync(instrument: Fixture.okx)
        case .binanceFutures: BinanceFuturesBookSync(instrument: Fixture.okx)
        case .okxSnapshot: OKXSnapshotBookSync(instrument: Fixture.okx)
        case .okxLegacy: OKXLegacyBookSync(instrument: Fixture.okx)
        case .deribit: DeribitBookSync(instrument: Fixture.okx)
        }
    }

    @Test(arguments: Venue.allCases, [UInt64(1), 2, 3])
    func validBooksEqualTheTruthUnderFaults(venue: Venue, seed: UInt64) throws {
        var stream = TruthStream(venue: venue, seed: seed)
        var faults = SeededRandom(seed: seed &* 7_919)
        var sync = Self.makeSync(venue)
        var effects: [BookSyncEffect] = []
        // Messages until the requested full book is delivered; in-stream venues send one on subscribing.
        var pendingSnapshotIn: Int? = venue == .okxLegacy || venue == .deribit ? 0 : nil
        var held: BookUpdate? = nil  // a message being swapped with the next one
        var validChecks = 0
        let total = 2000
        let faultFree = 1600

        func feed(_ input: BookSyncInput) throws {
            effects.removeAll(keepingCapacity: true)
            sync.handle(input, at: .zero, into: &effects)
            for effect in effects {
                switch effect {
                case .requestSnapshot, .resubscribe:
                    if pendingSnapshotIn == nil { pendingSnapshotIn = Int(faults.next() % 6) }
                default: break
                }
            }
            if effects.publishedCount > 0 { #expect(sync.isValid, "published from an invalid book") }
            if sync.isValid {
                let id = try #require(sync.sequence)
                #expect(sync.book == stream.booksById[id], "valid book differs from the truth at \(id)")
                validChecks += 1
            }
        }

        for step in 0..<total {
            let previousLast = stream.last
            let message = stream.next()
            if let wait = pendingSnapshotIn {
                if wait == 0 {
                    pendingSnapshotIn = nil
                    if venue == .okxLegacy || venue == .deribit {
                        // The venue's new full book sits in the stream just before this message.
                        try feed(.update(stream.snapshot(at: previousLast)))
                    } else {
                        // REST answers lag the stream by up to a few messages, so some are stale.
                        let recent = stream.booksById.keys.filter { $0 <= previousLast }.sorted().suffix(4)
                        try feed(.snapshot(stream.snapshot(at: recent.randomElement(using: &faults)!)))
                    }
                } else {
                    pendingSnapshotIn = wait - 1
                }
            }
            let roll = faults.next() % 100
            if step < faultFree && roll < 3 { continue }  // lost
            if step < faultFree && roll < 5 {
                held = message  // delivered after the next one
                continue
            }
            try feed(.update(message))
            if let swapped = held {
                held = nil
                try feed(.update(swapped))
            }
            if step < faultFree && roll < 7 { try feed(.update(message)) }  // duplicated
        }
        // Faults stopped 400 messages ago: the machine must have resynced and follow the truth.
        #expect(sync.isValid)
        #expect(sync.book == stream.truth)
        #expect(sync.counters.resyncs > 0, "the faults must have broken the book at least once")
        #expect(validChecks > 300)
    }
}
