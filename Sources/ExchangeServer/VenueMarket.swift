import Books
import Exchanges
import Foundation
import Model
import Recording
import Simulation
import Stack

/// One venue's market as every connection to it sees it: a timeline that starts at the first subscription,
/// the position it has reached, the truth book at that position (for synthesized snapshots), and the
/// recorded REST answers still to give. Connections that subscribe later join at the current position, as
/// on a real exchange; at `--speed max` the position is the furthest frame any connection was sent.
final class VenueMarket: @unchecked Sendable {
    let recording: ServedRecording
    let clock: ReplayClock
    private let lock = NSLock()
    private var startNs: Int64?
    private var furthest = 0
    private var truth: BookReplay
    private var truthCursor = 0
    private var restQueues: [String: [RecordedResponse]]
    /// Whether the market starts over when its recording ends (`--loop`), and how often it has.
    let loops: Bool
    private var passNumber = 0
    /// Counters for tests and the CLI's closing line.
    private(set) var snapshotsSynthesized = 0
    private(set) var restFromRecording = 0

    init(recording: ServedRecording, speed: ReplaySpeed, loop: Bool = false) {
        self.recording = recording
        clock = ReplayClock(speed: speed, firstFrameNs: recording.feed.firstFrameNs)
        truth = BookReplay(feed: recording.feed)
        restQueues = recording.responses
        loops = loop
    }

    /// The pass the market is in (0 first; each loop adds one).
    var pass: Int {
        lock.lock()
        defer { lock.unlock() }
        return passNumber
    }

    /// A connection of pass `pass` was sent the whole recording: with `--loop` the market starts over (once
    /// per pass, whichever connection gets there first). The next subscription starts it again, from the
    /// recording's first frame, with the recorded REST answers and a fresh truth book.
    func passEnded(_ pass: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard loops, pass == passNumber else { return }
        passNumber += 1
        startNs = nil
        furthest = 0
        truth = BookReplay(feed: recording.feed)
        truthCursor = 0
        restQueues = recording.responses
    }

    var venue: Venue { recording.venue }

    /// A connection subscribed at `nowNs`: starts the market if it has not started, and returns the start
    /// and the entry where the connection joins.
    func join(nowNs: Int64) -> (startNs: Int64, index: Int, pass: Int) {
        lock.lock()
        defer { lock.unlock() }
        let start = startNs ?? nowNs
        startNs = start
        return (start, positionLocked(nowNs: nowNs), passNumber)
    }

    /// A connection of pass `pass` at max speed has been sent everything before `index`.
    func reached(_ index: Int, pass: Int) {
        guard clock.isMax else { return }
        lock.lock()
        if pass == passNumber && index > furthest { furthest = index }
        lock.unlock()
    }

    private func positionLocked(nowNs: Int64) -> Int {
        guard let start = startNs else { return 0 }
        if clock.isMax { return furthest }
        return recording.firstEntry(atOrAfter: clock.recordedTime(nowNs: nowNs, startNs: start) + 1)
    }

    /// Feeds the truth every entry before `index`.
    private func advanceTruthLocked(to index: Int) {
        let limit = min(index, recording.entries.count)
        while truthCursor < limit {
            let e = recording.entries[truthCursor]
            let rest = e.rest >= 0 ? recording.restRecords[Int(e.rest)] : nil
            recording.withPayload(e) { payload in
                truth.ingest(kind: rest == nil ? .wsReceived : .restResponse, wallNs: e.wallNs, payload: payload, url: rest?.url, status: rest?.status)
            }
            truthCursor += 1
        }
    }

    /// In-stream full books for the book channels among `keys`, when a connection (re)subscribes after the
    /// recording's own snapshot went by: OKX (legacy protocol) and Deribit send one on every subscription.
    /// Returns the snapshots and the entry the connection continues from (it skips what the snapshot covers).
    func subscriptionSnapshots(keys: [String], cursor: Int) -> (frames: [[UInt8]], cursor: Int) {
        guard venue == .okx || venue == .deribit else { return ([], cursor) }
        let natives = keys.compactMap { RecordedFrameKey.bookInstrument(venue: venue, key: $0) }
        guard !natives.isEmpty else { return ([], cursor) }
        lock.lock()
        defer { lock.unlock() }
        let at = max(cursor, truthCursor)
        guard at > 0 else { return ([], cursor) }
        advanceTruthLocked(to: at)
        var frames: [[UInt8]] = []
        for native in natives {
            guard let sync = truth.sync(native: native), sync.isValid, let book = sync.book, let sequence = sync.sequence else { continue }
            let last = truth.lastUpdate[native]
            let timeNs = at > 0 ? recording.entries[at - 1].wallNs : recording.feed.firstFrameNs
            if let frame = SynthesizedSnapshot.stream(
                venue: venue, instrument: sync.instrument, book: book, sequence: sequence,
                sequenced: last?.sequence.previous != nil, exchangeTimeNs: timeNs)
            {
                frames.append(frame)
                snapshotsSynthesized += 1
            }
        }
        return (frames, frames.isEmpty ? cursor : at)
    }

    /// The answer to a REST GET of `target` (path and query) at monotonic `nowNs`.
    func rest(target: String, nowNs: Int64) -> RestAnswer {
        let path = String(target.prefix { $0 != "?" })
        lock.lock()
        defer { lock.unlock() }
        if ServedRecording.isListing(target) { return listing(target: target, path: path) }
        let position = positionLocked(nowNs: nowNs)
        let positionNs = position > 0 ? recording.entries[min(position, recording.entries.count) - 1].wallNs : recording.feed.firstFrameNs
        let instrument = recording.feed.snapshotInstrument(url: target)
        let isSnapshot = Self.isSnapshotPath(path)
        // Recorded answers first (first in, first out per URL) while they are near the market's position.
        // "Near" is a second of wall time: Nx seconds of recording at Nx, anything at max (where the Simulator's
        // order, recorded answers first, is kept).
        let near = clock.recordedSpan(wallNanoseconds: 1_000_000_000)
        if var fifo = restQueues[target], isSnapshot, !clock.isMax {
            // A client that (re)joins late wants the market as it is: skip recorded snapshots that a later
            // one, itself not from the future, has superseded.
            while fifo.count > 1 && fifo[1].atNs <= positionNs &+ near { fifo.removeFirst() }
            restQueues[target] = fifo
        }
        if var fifo = restQueues[target], let head = fifo.first {
            // Far off the market's position either way, a recorded snapshot yields to the truth when the truth
            // has the book (a late joiner needs the book as it is now, not as it was).
            let offPosition = isSnapshot && abs(head.atNs - positionNs) > near
            if offPosition && head.atNs < positionNs && canSynthesize(instrument, position: position) {
                fifo.removeFirst()
                restQueues[target] = fifo.isEmpty ? nil : fifo
            } else if !offPosition || !canSynthesize(instrument, position: position) {
                // Snapshots are used up; other answers (open interest, ...) repeat their last recorded value.
                if isSnapshot || fifo.count > 1 { fifo.removeFirst() }
                restQueues[target] = fifo.isEmpty ? nil : fifo
                restFromRecording += 1
                return RestAnswer(status: head.status, headers: Self.keptHeaders(head.headers), body: head.body)
            }
        }
        if isSnapshot, let instrument,
            let body = synthesizedSnapshot(instrument, position: position, timeNs: positionNs, depth: Self.depthParameter(target))
        {
            return RestAnswer(status: 200, headers: [], body: body)
        }
        if isSnapshot, instrument != nil {
            return RestAnswer(status: 503, headers: [], body: Array(#"{"code":-1,"msg":"no book at this point of the recording"}"#.utf8))
        }
        return .notFound(target)
    }

    private func canSynthesize(_ instrument: Instrument?, position: Int) -> Bool {
        guard let instrument else { return false }
        advanceTruthLocked(to: position)
        return truth.sync(native: instrument.native)?.isValid ?? false
    }

    private func synthesizedSnapshot(_ instrument: Instrument, position: Int, timeNs: Int64, depth: Int?) -> [UInt8]? {
        advanceTruthLocked(to: position)
        guard let sync = truth.sync(native: instrument.native), sync.isValid, let book = sync.book, let sequence = sync.sequence,
            let body = SynthesizedSnapshot.rest(
                venue: venue, instrument: instrument, book: book, sequence: sequence, exchangeTimeNs: timeNs,
                depth: venue == .deribit ? depth : nil)
        else { return nil }
        snapshotsSynthesized += 1
        return body
    }

    private func listing(target: String, path: String) -> RestAnswer {
        if let body = recording.listings[target] ?? recording.listings.first(where: { $0.key.hasPrefix(path + "?") || $0.key == path })?.value {
            return RestAnswer(status: 200, headers: [], body: body)
        }
        var body: [UInt8] = []
        var instruments = recording.feed.catalog.instruments
        // Recordings without listings (synthetic ones) name their instruments only in the subscription.
        for native in recording.feed.subscription.entries.flatMap(\.instruments) where !instruments.contains(where: { $0.native == native }) {
            if let i = recording.feed.catalog.instrument(native: native) ?? InstrumentNaming.instrument(venue: venue, native: native) { instruments.append(i) }
        }
        if venue == .okx, let type = target.split(separator: "instType=").dropFirst().first?.prefix(while: { $0 != "&" }) {
            instruments = instruments.filter { Self.okxInstType($0.kind) == type }
        }
        switch venue {
        case .binance, .binanceFutures: BinanceFrameEncoder(venue: venue).encodeExchangeInfo(instruments, into: &body)
        case .okx: OKXFrameEncoder().encodeInstruments(instruments, into: &body)
        case .deribit: DeribitFrameEncoder().encodeInstruments(instruments, into: &body)
        }
        return RestAnswer(status: 200, headers: [], body: body)
    }

    /// OKX's `instType` of a listing request.
    static func okxInstType(_ kind: InstrumentKind) -> String {
        switch kind {
        case .spot: return "SPOT"
        case .perpetual: return "SWAP"
        case .future: return "FUTURES"
        case .option: return "OPTION"
        }
    }

    /// Deribit's `depth=` (levels a side) of a `get_order_book` request.
    static func depthParameter(_ target: String) -> Int? {
        guard let query = target.split(separator: "?", maxSplits: 1).dropFirst().first else { return nil }
        for pair in query.split(separator: "&") where pair.hasPrefix("depth=") {
            if let n = Int(pair.dropFirst(6)), n > 0 { return n }
        }
        return nil
    }

    static func isSnapshotPath(_ path: String) -> Bool {
        ["/api/v3/depth", "/fapi/v1/depth", "/api/v5/market/books", "/api/v5/market/books-full", "/api/v2/public/get_order_book"].contains(path)
    }

    /// Recorded headers a client may act on.
    static func keptHeaders(_ headers: [HTTPHeader]) -> [(String, String)] {
        headers.filter { ["retry-after", "x-mbx-used-weight-1m", "x-mbx-used-weight"].contains($0.name.lowercased()) }.map { ($0.name, $0.value) }
    }
}

/// A REST response the server writes.
struct RestAnswer: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: [UInt8]
    /// Hold the answer back this long (a `rest.timeout` fault: long enough for any client timeout).
    var holdNs: Int64 = 0

    static func notFound(_ target: String) -> RestAnswer {
        RestAnswer(status: 404, headers: [], body: Array("{\"code\":-1,\"msg\":\"not in the served recordings: \(target.replacingOccurrences(of: "\"", with: "'"))\"}".utf8))
    }
}
