import Model

/// One venue's protocol, sans IO: what to connect to and send, which REST requests to make, and
/// how every received frame or REST body becomes normalized events or protocol outputs.
///
/// Adapters are value types driven by explicit inputs (bytes + the receive `Instant`); they keep
/// only counters, the instrument cache and request ids, so the same inputs give the same outputs.
public protocol VenueAdapter {
    var venue: Venue { get }
    var subscription: Subscription { get }
    var catalog: InstrumentCatalog { get }
    var counters: ParseCounters { get set }

    /// The websocket URL (Binance carries the streams in it).
    var websocketURL: String { get }
    var keepalive: KeepalivePolicy { get }

    /// Frames to send after the websocket opens: subscriptions (and Deribit's heartbeat setup).
    func connectFrames() -> [[UInt8]]
    /// Just the subscribe frames (empty for Binance, whose streams are in the URL).
    func subscribeFrames() -> [[UInt8]]

    /// The REST book snapshot for a book-sync cycle.
    func snapshotRequest(for instrument: Instrument) -> RestRequest
    /// The venue's instruments listings (to build an `InstrumentCatalog`).
    func instrumentsRequests() -> [RestRequest]
    func openInterestRequest(for instrument: Instrument) -> RestRequest?
    func fundingRequest(for instrument: Instrument) -> RestRequest?

    /// Parses one received websocket text frame, appending what it means to `out`.
    mutating func parse(frame: UnsafeRawBufferPointer, receivedAt: Instant, into out: inout [AdapterOutput])

    /// Parses a REST book snapshot body (the answer to `snapshotRequest`).
    mutating func parseSnapshot(body: UnsafeRawBufferPointer, instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>

    /// Parses the answer to `openInterestRequest` or `fundingRequest`.
    mutating func parseRestResponse(body: UnsafeRawBufferPointer, purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
}

extension VenueAdapter {
    public var name: String { venue.rawValue }

    public mutating func parse(frame: [UInt8], receivedAt: Instant, into out: inout [AdapterOutput]) {
        frame.withUnsafeBytes { parse(frame: $0, receivedAt: receivedAt, into: &out) }
    }

    public mutating func parseSnapshot(body: [UInt8], instrument: Instrument, receivedAt: Instant)
        -> Result<BookUpdate, FrameError>
    {
        body.withUnsafeBytes { parseSnapshot(body: $0, instrument: instrument, receivedAt: receivedAt) }
    }

    public mutating func parseRestResponse(body: [UInt8], purpose: RestRequest.Purpose, receivedAt: Instant)
        -> Result<[MarketEvent], FrameError>
    {
        body.withUnsafeBytes { parseRestResponse(body: $0, purpose: purpose, receivedAt: receivedAt) }
    }

    /// Runs a frame parser, rolling back partial output and counting on error so a bad frame
    /// yields exactly one `.error` and no half-parsed events.
    mutating func run(
        _ out: inout [AdapterOutput],
        _ body: (inout Self, inout [AdapterOutput]) throws(FrameError) -> Void
    ) {
        counters.frames += 1
        let mark = out.count
        do {
            try body(&self, &out)
            counters.count(out, from: mark)
        } catch {
            counters.failed(error, &out, from: mark)
        }
    }

    /// The same for REST bodies.
    mutating func runRest<T>(_ body: (inout Self) throws(FrameError) -> T) -> Result<T, FrameError> {
        do {
            return .success(try body(&self))
        } catch {
            counters.count(error)
            return .failure(error)
        }
    }
}

/// Looks up the instrument a frame names, or fails with `.unknownInstrument`.
extension InstrumentCatalog {
    mutating func require(_ scanner: JSONScanner, _ range: Range<Int>) throws(FrameError) -> Instrument {
        if let i = resolve(scanner.slice(range)) { return i }
        throw FrameError(.unknownInstrument(scanner.text(range)), offset: range.lowerBound)
    }
}
