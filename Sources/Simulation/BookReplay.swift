import Books
import Exchanges
import Model
import Recording
import Stack

/// Parsed events by type, as `books --json` and the replay report print them.
public struct EventCounts: Sendable, Equatable {
    public var trade = 0
    public var bookSnapshot = 0
    public var bookDelta = 0
    public var ticker = 0
    public var kline = 0
    public var funding = 0
    public var liquidation = 0
    public var openInterest = 0
    public var error = 0

    public init() {}

    mutating func count(_ output: AdapterOutput) {
        switch output {
        case .event(let e):
            switch e {
            case .trade: trade += 1
            case .book(let b): if b.kind == .snapshot { bookSnapshot += 1 } else { bookDelta += 1 }
            case .ticker: ticker += 1
            case .kline: kline += 1
            case .funding: funding += 1
            case .liquidation: liquidation += 1
            case .openInterest: openInterest += 1
            }
        case .error: error += 1
        default: break
        }
    }

    /// In a fixed key order.
    public var pairs: [(String, Int)] {
        [("trade", trade), ("book_snapshot", bookSnapshot), ("book_delta", bookDelta), ("ticker", ticker),
         ("kline", kline), ("funding", funding), ("liquidation", liquidation), ("open_interest", openInterest),
         ("error", error)]
    }
}

/// Replays a recording's frames and recorded REST snapshots, fault-free and at their recorded times,
/// through the venue adapter and the book sync machines. This is the truth the simulated exchange
/// keeps and the oracle compares against, and what `marketprism books` prints.
public struct BookReplay {
    public let feed: RecordedFeed
    public private(set) var adapter: AnyVenueAdapter
    public private(set) var books: [AnyBookSync] = []
    private var index: [String: Int] = [:]
    private let configuration: BookSyncConfiguration
    private let okxProtocol: OKXBookProtocol
    /// Instruments whose machine asked for a REST snapshot that has not come yet.
    private var awaiting: Set<String> = []
    public private(set) var counts = EventCounts()
    public private(set) var lastWallNs: Int64 = 0
    private var outputs: [AdapterOutput] = []
    private var effects: [BookSyncEffect] = []
    /// Every book message applied, for the simulated exchange (sequence bookkeeping).
    public private(set) var lastUpdate: [String: BookUpdate] = [:]

    public init(feed: RecordedFeed, configuration: BookSyncConfiguration = .standard, okxProtocol: OKXBookProtocol = .auto) {
        self.feed = feed
        self.configuration = configuration
        self.okxProtocol = okxProtocol
        adapter = AnyVenueAdapter(subscription: feed.subscription, catalog: feed.catalog)
        for native in feed.subscription.entries.filter({ $0.channel == .book }).flatMap(\.instruments) {
            if let instrument = feed.catalog.instrument(native: native) { _ = slot(instrument) }
        }
    }

    private mutating func slot(_ instrument: Instrument) -> Int {
        if let i = index[instrument.native] { return i }
        books.append(AnyBookSync(instrument: instrument, configuration: configuration, okxProtocol: okxProtocol))
        index[instrument.native] = books.count - 1
        return books.count - 1
    }

    /// Feeds one record of the recording, in file order.
    public mutating func ingest(_ record: RecordView) {
        ingest(kind: record.kind, wallNs: record.wallNs, payload: record.payload, url: record.url, status: record.status)
    }

    public mutating func ingest(kind: RecordKind, wallNs: Int64, payload: UnsafeRawBufferPointer, url: String?, status: UInt16?) {
        lastWallNs = wallNs
        let now = Instant(nanoseconds: wallNs)
        switch kind {
        case .wsReceived:
            outputs.removeAll(keepingCapacity: true)
            adapter.parse(frame: payload, receivedAt: now, into: &outputs)
            for output in outputs {
                counts.count(output)
                if case .event(.book(let update)) = output { apply(.update(update), instrument: update.instrument, at: now) }
            }
        case .restResponse:
            guard let url, let instrument = feed.snapshotInstrument(url: url),
                awaiting.contains(instrument.native), status ?? 200 == 200
            else { return }
            if case .success(let snapshot) = adapter.parseSnapshot(body: payload, instrument: instrument, receivedAt: now) {
                counts.bookSnapshot += 1
                awaiting.remove(instrument.native)
                apply(.snapshot(snapshot), instrument: instrument, at: now)
            } else {
                counts.error += 1
            }
        default:
            break
        }
    }

    private mutating func apply(_ input: BookSyncInput, instrument: Instrument, at now: Instant) {
        let i = slot(instrument)
        effects.removeAll(keepingCapacity: true)
        books[i].handle(input, at: now, into: &effects)
        for effect in effects {
            if case .requestSnapshot(let instrument, _) = effect { awaiting.insert(instrument.native) }
        }
        if case .update(let u) = input, books[i].isValid { lastUpdate[instrument.native] = u }
    }

    /// The valid book of an instrument by native name.
    public func book(native: String) -> OrderBook? {
        guard let i = index[native], books[i].isValid else { return nil }
        return books[i].book
    }

    public func sync(native: String) -> AnyBookSync? {
        index[native].map { books[$0] }
    }

    /// Sums over every instrument's counters.
    public var totals: BookSyncCounters {
        var t = BookSyncCounters()
        for b in books {
            let c = b.counters
            t.sequenceErrors += c.sequenceErrors
            t.resyncs += c.resyncs
            t.checksumsChecked += c.checksumsChecked
            t.checksumsFailed += c.checksumsFailed
            t.crossedBooks += c.crossedBooks
            t.invalidations += c.invalidations
            t.snapshotsApplied += c.snapshotsApplied
            t.updatesApplied += c.updatesApplied
        }
        return t
    }
}

extension BookReplay {
    /// Replays a whole recording (or up to `untilNs`), fault-free.
    public static func run(path: String, untilNs: Int64? = nil, configuration: BookSyncConfiguration = .standard)
        throws(ReplayError) -> BookReplay
    {
        let feed = try RecordedFeed.load(path: path)
        var replay = BookReplay(feed: feed, configuration: configuration)
        do {
            let reader = try RecordingReader(path: path)
            var done = false
            while !done, try reader.withNextRecord({ r in
                if let untilNs, r.wallNs > untilNs {
                    done = true
                    return
                }
                replay.ingest(r)
            }) != nil {}
        } catch let error as RecordingError {
            throw .recording(error)
        } catch {
            throw .scenario("\(error)")
        }
        return replay
    }
}
