import Model

/// Encodes one book's successive orderbook messages to exactly the bytes `MessageEncoder.encode` gives,
/// copying the text of levels the previous message already wrote instead of formatting them again.
///
/// Why: a published book is mostly level text (about 44 levels a side in the synthetic books at the
/// default depth), and between two consecutive books of an instrument only a few levels change, so
/// formatting every decimal anew was most of the replay's encoding time. The state is the previous
/// message (its storage is shared, not copied), its levels and where each starts, and the subject and
/// instrument fields of the last instrument. Anything can be encoded next (another instrument, a book
/// from nothing): a level's bytes are only copied when the previous message holds it with identical
/// bits, so history changes speed, never output.
public struct IncrementalBookEncoder: Sendable {
    public let encoder: MessageEncoder
    /// The previous message's bytes, which the level runs are copied from.
    private var previous: [UInt8] = []
    private var bids = Side()
    private var asks = Side()
    /// Bounds arrays of the side before last, reused for the next message's.
    private var spareBidBounds: [Int32] = []
    private var spareAskBounds: [Int32] = []
    /// The instrument `subject` and `identity` were written for.
    private var cachedInstrument: Instrument?
    private var subject: [UInt8] = []
    /// The payload from its opening brace through `"data_type":"orderbook"`.
    private var identity: [UInt8] = []
    /// What `MessageId` writes before a sequenced book's sequence, if it writes the sequence last.
    private var idPrefix: [UInt8] = []
    /// Levels the last `encode` copied rather than formatted (both sides).
    public private(set) var lastCopiedLevels = 0
    /// The last second's text, handed from one message's writer to the next.
    private var secondText = SecondText()

    /// One side of the previous message: its levels (the first `depth` of them were written) and their
    /// offsets in `previous`.
    struct Side {
        var levels: [BookLevel] = []
        var bounds: [Int32] = []
    }

    public init(encoder: MessageEncoder) {
        self.encoder = encoder
    }

    /// The message `encoder.encode(.orderbook(view))` would give, byte for byte.
    public mutating func encode(_ view: OrderbookView) -> OutboundMessage {
        let message = encode(
            view.instrument, bids: view.bids, asks: view.asks, sequence: view.sequence, exchangeTime: view.exchangeTime,
            receiveTime: view.receiveTime)
        let depth = encoder.configuration.orderbookDepth
        Self.copy(view.bids.prefix(depth), into: &bids.levels)
        Self.copy(view.asks.prefix(depth), into: &asks.levels)
        return message
    }

    /// The same message for a book given as level arrays (best first), which become this encoder's own:
    /// on return `bids` and `asks` hold the levels of the message before, for the caller to refill, so a
    /// publisher that reuses two arrays copies no level and allocates nothing for them.
    public mutating func encode(
        _ instrument: Instrument, bids newBids: inout [BookLevel], asks newAsks: inout [BookLevel], sequence: Int64,
        exchangeTime: Instant, receiveTime: Instant
    ) -> OutboundMessage {
        let message = encode(
            instrument, bids: newBids, asks: newAsks, sequence: sequence, exchangeTime: exchangeTime,
            receiveTime: receiveTime)
        swap(&bids.levels, &newBids)
        swap(&asks.levels, &newAsks)
        return message
    }

    /// Encodes and moves the new bounds into the state; the caller then makes the levels the state's.
    private mutating func encode(
        _ instrument: Instrument, bids newBids: [BookLevel], asks newAsks: [BookLevel], sequence: Int64,
        exchangeTime: Instant, receiveTime: Instant
    ) -> OutboundMessage {
        if cachedInstrument != instrument { cacheFields(of: instrument) }
        let depth = encoder.configuration.orderbookDepth
        var subjectCount = 0
        var idCount = 0
        var copied = 0
        var bidBounds: [Int32] = []
        var askBounds: [Int32] = []
        swap(&bidBounds, &spareBidBounds)
        swap(&askBounds, &spareAskBounds)
        Self.makeRoom(&bidBounds, for: Swift.min(newBids.count, depth))
        Self.makeRoom(&askBounds, for: Swift.min(newAsks.count, depth))
        // A sequenced id is the cached prefix and the sequence; an unsequenced one goes through `MessageId`.
        let idEvent: PublishableEvent? = sequence != 0 ? nil : .orderbook(
            OrderbookView(instrument: instrument, bids: [], asks: [], sequence: sequence, exchangeTime: exchangeTime, receiveTime: receiveTime))
        let capacity = encoder.orderbookCapacity(instrument, bidCount: newBids.count, askCount: newAsks.count)
        var second = secondText
        let storage = previous.withUnsafeBufferPointer { previousBytes in
            bids.levels.withUnsafeBufferPointer { oldBids in
                bids.bounds.withUnsafeBufferPointer { oldBidBounds in
                    asks.levels.withUnsafeBufferPointer { oldAsks in
                        asks.bounds.withUnsafeBufferPointer { oldAskBounds in
                            bidBounds.withUnsafeMutableBufferPointer { newBidBounds in
                                askBounds.withUnsafeMutableBufferPointer { newAskBounds in
                                    let bytes = previousBytes.isEmpty ? nil : UnsafePointer(previousBytes.baseAddress)
                                    let oldBids = JSONWriter.WrittenLevels(
                                        levels: UnsafeBufferPointer(rebasing: oldBids.prefix(depth)),
                                        bounds: oldBidBounds.baseAddress ?? Self.noBounds, bytes: bytes)
                                    let oldAsks = JSONWriter.WrittenLevels(
                                        levels: UnsafeBufferPointer(rebasing: oldAsks.prefix(depth)),
                                        bounds: oldAskBounds.baseAddress ?? Self.noBounds, bytes: bytes)
                                    return JSONWriter.bytes(capacity: capacity) { w in
                                        w.secondText = second
                                        w.append(subject)
                                        subjectCount = w.count
                                        w.byte(0)
                                        if let idEvent {
                                            MessageId.write(for: idEvent, instrument: idEvent.instrument, into: &w)
                                        } else {
                                            w.append(idPrefix)
                                            w.integer(sequence)
                                        }
                                        idCount = w.count - subjectCount - 1
                                        w.byte(0)
                                        w.append(identity)
                                        encoder.writeTimeFields(exchangeTime: exchangeTime, receiveTime: receiveTime, into: &w)
                                        copied = 0
                                        encoder.writeOrderbookFields(sequence: sequence, bids: newBids, asks: newAsks, into: &w) {
                                            w, levels, isBid in
                                            copied += isBid
                                                ? w.levels(levels, isBid: true, previous: oldBids, bounds: newBidBounds.baseAddress!)
                                                : w.levels(levels, isBid: false, previous: oldAsks, bounds: newAskBounds.baseAddress!)
                                        }
                                        w.byte(UInt8(ascii: "}"))
                                        second = w.secondText
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        previous = storage
        secondText = second
        lastCopiedLevels = copied
        swap(&bids.bounds, &bidBounds)
        swap(&asks.bounds, &askBounds)
        swap(&bidBounds, &spareBidBounds)
        swap(&askBounds, &spareAskBounds)
        return OutboundMessage(storage: storage, subjectCount: subjectCount, idCount: idCount)
    }

    /// Writes the subject and the instrument's payload fields once, with the very code `MessageEncoder` runs.
    private mutating func cacheFields(of instrument: Instrument) {
        subject = JSONWriter.bytes(capacity: 64 + 4 * instrument.native.utf8.count + 4 * instrument.base.utf8.count + 4 * instrument.quote.utf8.count) {
            Subject.write(venue: instrument.venue, instrument: instrument, channel: .orderbook, into: &$0)
        }
        identity = JSONWriter.bytes(capacity: 128 + 6 * (instrument.native.utf8.count + instrument.base.utf8.count + instrument.quote.utf8.count)) {
            encoder.writeIdentityFields(instrument, dataType: "orderbook", into: &$0)
        }
        idPrefix = JSONWriter.bytes(capacity: 64 + 4 * instrument.native.utf8.count) {
            MessageId.writeSequencedBookPrefix(instrument, into: &$0)
        }
        cachedInstrument = instrument
    }

    /// An empty side's bounds (never read: an empty side has no level to copy).
    private static var noBounds: UnsafePointer<Int32> { UnsafePointer(bitPattern: MemoryLayout<Int32>.alignment)! }

    /// At least `levels + 1` bounds, grown (never shrunk) so steady state allocates nothing.
    private static func makeRoom(_ bounds: inout [Int32], for levels: Int) {
        if bounds.count < levels + 1 { bounds = [Int32](repeating: 0, count: Swift.max(levels + 1, 2 * bounds.count)) }
    }

    private static func copy(_ levels: ArraySlice<BookLevel>, into side: inout [BookLevel]) {
        side.removeAll(keepingCapacity: true)
        side.append(contentsOf: levels)
    }
}
