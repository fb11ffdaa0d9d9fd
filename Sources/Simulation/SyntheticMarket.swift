import Foundation
import Books
import Exchanges
import Model
import Recording
import Stack

/// What to generate.
public struct SyntheticMarketSpec: Sendable {
    public var venue: Venue
    /// Normalized symbols: `BTC-USDT` (spot), `BTC-USDT-PERP` (perpetual).
    public var symbols: [String]
    public var durationNs: Int64
    public var seed: UInt64
    /// Book updates per second per instrument.
    public var updatesPerSecond: Double
    /// Trades per second per instrument (on average).
    public var tradesPerSecond: Double
    /// Levels each side of the book.
    public var levels: Int
    /// First record's wall time (fixed, so the same spec gives the same bytes).
    public var startNs: Int64

    public init(
        venue: Venue, symbols: [String], durationNs: Int64, seed: UInt64 = 1, updatesPerSecond: Double = 10,
        tradesPerSecond: Double = 4, levels: Int = 50, startNs: Int64 = 1_735_689_600_000_000_000
    ) {
        self.venue = venue
        self.symbols = symbols
        self.durationNs = durationNs
        self.seed = seed
        self.updatesPerSecond = updatesPerSecond
        self.tradesPerSecond = tradesPerSecond
        self.levels = levels
        self.startNs = startNs
    }
}

/// Why a synthetic market cannot be generated.
public enum SyntheticMarketError: Error, CustomStringConvertible, Sendable {
    case badSymbol(String, venue: Venue)
    case recording(RecordingError)

    public var description: String {
        switch self {
        case .badSymbol(let s, let v): return "symbol '\(s)' is not a market \(v.rawValue) has (expected BASE-QUOTE or BASE-QUOTE-PERP)"
        case .recording(let e): return "\(e)"
        }
    }
}

/// A synthetic market: a random-walk mid price, a book that moves with it, trades at the touch,
/// written as the venue's own frames and REST snapshot answers with valid sequence ids (and OKX
/// checksums). Deterministic from the seed. It knows the truth it wrote: the final books.
public struct SyntheticMarket {
    struct Instrumented {
        var instrument: Instrument
        var book: OrderBook
        var midTicks: Int64
        var tick: FixedDecimal
        var sequence: Int64
        var tradeId: Int64
        var nextUpdateNs: Int64
        var nextTradeNs: Int64
        var snapshotRecorded = false
    }

    public let spec: SyntheticMarketSpec
    public private(set) var truth: [String: OrderBook] = [:]
    public private(set) var framesWritten = 0

    public init(spec: SyntheticMarketSpec) {
        self.spec = spec
    }

    static func instrument(symbol: String, venue: Venue) -> Instrument? {
        let parts = symbol.uppercased().split(separator: "-").map(String.init)
        guard parts.count == 2 || (parts.count == 3 && parts[2] == "PERP") else { return nil }
        let kind: InstrumentKind = parts.count == 3 ? .perpetual : .spot
        let quote = venue == .deribit ? "USD" : parts[1]
        let native: String?
        if venue == .deribit {
            native = kind == .perpetual ? "\(parts[0])-PERPETUAL" : nil
        } else {
            native = InstrumentNaming.nativeName(venue: venue, base: parts[0], quote: quote, kind: kind)
        }
        guard let native, venue != .binance || kind == .spot, venue != .binanceFutures || kind == .perpetual else { return nil }
        return InstrumentNaming.instrument(venue: venue, native: native)
            ?? Instrument(venue: venue, native: native, base: parts[0], quote: quote, kind: kind)
    }

    /// Writes the recording to `path` and returns the final true books by native name.
    public mutating func write(to path: String, toolVersion: String) throws(SyntheticMarketError) {
        var instruments: [Instrument] = []
        for s in spec.symbols {
            guard let i = Self.instrument(symbol: s, venue: spec.venue) else { throw .badSymbol(s, venue: spec.venue) }
            instruments.append(i)
        }
        var channels: [Channel] = [.book, .trades, .ticker]
        if spec.venue == .binanceFutures { channels.append(.funding) }
        let subscription = Subscription(venue: spec.venue, channels: channels, instruments: instruments.map(\.native))
        var catalog = InstrumentCatalog(venue: spec.venue)
        for i in instruments { catalog.insert(i) }
        let adapter = AnyVenueAdapter(subscription: subscription, catalog: catalog)

        var random = SeededRandom(seed: spec.seed)
        let header = RecordingHeader(
            venue: spec.venue.rawValue, subscription: subscription.json, host: "synthetic", toolVersion: toolVersion,
            startWallNs: spec.startNs, streamLabels: [StreamLabel(id: 1, label: adapter.websocketURL), StreamLabel(id: 2, label: "rest")])
        do {
            let writer = try RecordingWriter(path: path, header: header, options: .offline)
            var now = spec.startNs
            try writer.append(Record(kind: .connect, stream: 1, wallNs: now, monoNs: now - spec.startNs, url: adapter.websocketURL))
            for frame in adapter.connectFrames() {
                try writer.append(Record(kind: .wsSent, stream: 1, wallNs: now, monoNs: 0, payload: frame))
            }
            var state: [Instrumented] = []
            let updateGap = Int64(1e9 / max(0.01, spec.updatesPerSecond))
            for (k, i) in instruments.enumerated() {
                let base = Int64(20_000 + 1_000 * k) * 100  // in ticks of 0.01
                var s = Instrumented(
                    instrument: i, book: OrderBook(priceScale: 2), midTicks: base, tick: FixedDecimal(mantissa: 1, scale: 2),
                    sequence: 1_000_000 * Int64(k + 1), tradeId: 1, nextUpdateNs: now + 100_000_000 + Int64(k) * 7_000_000,
                    nextTradeNs: now + 150_000_000 + Int64(k) * 11_000_000)
                for d in 1...spec.levels {
                    try? s.book.apply(side: .bid, price: price(s.midTicks - Int64(d)), size: size(&random))
                    try? s.book.apply(side: .ask, price: price(s.midTicks + Int64(d)), size: size(&random))
                }
                state.append(s)
            }
            var out: [UInt8] = []
            // In-stream venues open every book with a full snapshot right after subscribing.
            if spec.venue == .okx || spec.venue == .deribit {
                now += 50_000_000
                for k in state.indices {
                    let s = state[k]
                    let snap = SnapshotSynthesis.snapshot(
                        of: s.book, instrument: s.instrument, sequence: s.sequence, sequenced: true, depth: nil,
                        checksum: spec.venue == .okx, exchangeTimeNs: now)
                    out.removeAll(keepingCapacity: true)
                    encode(.book(snap), into: &out)
                    try writeFrame(writer, out, at: now)
                }
            }
            let end = spec.startNs + spec.durationNs
            while true {
                guard let k = state.indices.min(by: { min(state[$0].nextUpdateNs, state[$0].nextTradeNs) < min(state[$1].nextUpdateNs, state[$1].nextTradeNs) }) else { break }
                let t = min(state[k].nextUpdateNs, state[k].nextTradeNs)
                guard t < end else { break }
                now = t
                if state[k].nextUpdateNs <= state[k].nextTradeNs {
                    let update = step(&state[k], at: now, random: &random)
                    out.removeAll(keepingCapacity: true)
                    encode(.book(update), into: &out)
                    try writeFrame(writer, out, at: now)
                    let bestBid = state[k].book.bestBid, bestAsk = state[k].book.bestAsk
                    let ticker = Ticker(instrument: state[k].instrument, bestBid: bestBid, bestAsk: bestAsk, sequence: state[k].sequence,
                                        exchangeTime: Instant(nanoseconds: now), receiveTime: Instant(nanoseconds: now))
                    out.removeAll(keepingCapacity: true)
                    encode(.ticker(ticker), into: &out)
                    try writeFrame(writer, out, at: now)
                    if spec.venue == .binanceFutures && state[k].sequence % 10 == 0 {
                        let funding = FundingRate(
                            instrument: state[k].instrument, rate: FixedDecimal(mantissa: 100 + Int64(random.next() % 50), scale: 6),
                            nextFundingTime: Instant(nanoseconds: (now / 28_800_000_000_000 + 1) * 28_800_000_000_000),
                            markPrice: price(state[k].midTicks), indexPrice: price(state[k].midTicks),
                            exchangeTime: Instant(nanoseconds: now), receiveTime: Instant(nanoseconds: now))
                        out.removeAll(keepingCapacity: true)
                        encode(.funding(funding), into: &out)
                        try writeFrame(writer, out, at: now)
                    }
                    // REST-snapshot venues: record the answer the collector's first snapshot request will get.
                    if (spec.venue == .binance || spec.venue == .binanceFutures), !state[k].snapshotRecorded {
                        state[k].snapshotRecorded = true
                        let at = now + 250_000_000
                        let request = adapter.snapshotRequest(for: state[k].instrument)
                        let body = SnapshotSynthesis.restSnapshot(
                            venue: spec.venue, instrument: state[k].instrument, book: state[k].book, sequence: state[k].sequence,
                            exchangeTimeNs: now) ?? []
                        pendingSnapshots.append((at, request.url, body))
                    }
                    state[k].nextUpdateNs = now + jittered(updateGap, &random)
                } else {
                    let trade = makeTrade(&state[k], at: now, random: &random)
                    out.removeAll(keepingCapacity: true)
                    encode(.trade(trade), into: &out)
                    try writeFrame(writer, out, at: now)
                    let gap = Int64(-log(max(1e-9, random.nextUnit())) * 1e9 / max(0.01, spec.tradesPerSecond))
                    state[k].nextTradeNs = now + max(1_000_000, gap)
                }
                try flushSnapshots(writer, upTo: now)
            }
            try flushSnapshots(writer, upTo: .max)
            try writer.append(Record(kind: .disconnect, stream: 1, wallNs: end, monoNs: end - spec.startNs, closeCode: 1000, closeReason: "end of synthetic session"))
            _ = try writer.close()
            for s in state { truth[s.instrument.native] = s.book }
        } catch {
            throw .recording(error)
        }
    }

    private var pendingSnapshots: [(Int64, String, [UInt8])] = []

    private mutating func flushSnapshots(_ writer: RecordingWriter, upTo now: Int64) throws(RecordingError) {
        while let first = pendingSnapshots.first, first.0 <= now {
            pendingSnapshots.removeFirst()
            let t = first.0
            try writer.append(Record(kind: .restResponse, stream: 2, wallNs: t, monoNs: t - spec.startNs, url: first.1, method: "GET",
                                     status: 200, headers: [HTTPHeader(name: "X-MBX-USED-WEIGHT-1M", value: "50")], payload: first.2))
        }
    }

    private mutating func writeFrame(_ writer: RecordingWriter, _ frame: [UInt8], at now: Int64) throws(RecordingError) {
        let result = frame.withUnsafeBytes { p in
            Result { () throws(RecordingError) in
                try writer.append(kind: .wsReceived, stream: 1, wallNs: now, monoNs: now - spec.startNs, payload: p)
            }
        }
        try result.get()
        framesWritten += 1
    }

    private func encode(_ event: MarketEvent, into out: inout [UInt8]) {
        switch spec.venue {
        case .binance, .binanceFutures: _ = BinanceFrameEncoder(venue: spec.venue).encode(event, into: &out)
        case .okx: _ = OKXFrameEncoder().encode(event, into: &out)
        case .deribit: _ = DeribitFrameEncoder(interval: .raw).encode(event, into: &out)
        }
    }

    private func price(_ ticks: Int64) -> FixedDecimal { FixedDecimal(mantissa: ticks, scale: 2) }

    private func size(_ random: inout SeededRandom) -> FixedDecimal {
        FixedDecimal(mantissa: 1_000 + Int64(random.next() % 2_000_000), scale: 6)
    }

    private func jittered(_ gap: Int64, _ random: inout SeededRandom) -> Int64 {
        max(1_000_000, gap / 2 + Int64(random.next() % UInt64(max(1, gap))))
    }

    /// One book update: the mid may move a tick, levels it crosses are deleted, and a few levels change.
    private func step(_ s: inout Instrumented, at now: Int64, random: inout SeededRandom) -> BookUpdate {
        var bids: [BookLevel] = [], asks: [BookLevel] = []
        let r = random.next() % 10
        if r < 2 { s.midTicks -= 1 } else if r < 4 { s.midTicks += 1 }
        let mid = price(s.midTicks)
        // The mid moves at most a tick, so only the best few levels can end up on the wrong side.
        let best = s.book.top(5)
        for l in best.bids where l.price >= mid { bids.append(BookLevel(price: l.price, size: .zero)) }
        for l in best.asks where l.price <= mid { asks.append(BookLevel(price: l.price, size: .zero)) }
        let changes = 1 + Int(random.next() % 6)
        for _ in 0..<changes {
            let distance = Int64(1 + min(random.next() % UInt64(spec.levels), random.next() % UInt64(spec.levels)))
            let bid = random.next() % 2 == 0
            let p = price(bid ? s.midTicks - distance : s.midTicks + distance)
            let sz = random.next() % 5 == 0 && distance > 3 ? FixedDecimal.zero : size(&random)
            if bid {
                bids.removeAll { $0.price == p }
                bids.append(BookLevel(price: p, size: sz))
            } else {
                asks.removeAll { $0.price == p }
                asks.append(BookLevel(price: p, size: sz))
            }
        }
        // Keep each side near its target depth: refill the near edge the mid uncovered.
        let near = s.book.top(5)
        for d in 1...3 {
            let bp = price(s.midTicks - Int64(d)), ap = price(s.midTicks + Int64(d))
            if !near.bids.contains(where: { $0.price == bp }) && !bids.contains(where: { $0.price == bp }) {
                bids.append(BookLevel(price: bp, size: size(&random)))
            }
            if !near.asks.contains(where: { $0.price == ap }) && !asks.contains(where: { $0.price == ap }) {
                asks.append(BookLevel(price: ap, size: size(&random)))
            }
        }
        bids.sort { $0.price > $1.price }
        asks.sort { $0.price < $1.price }
        let count = Int64(bids.count + asks.count)
        let previous = s.sequence
        let first = previous + 1
        let last = spec.venue == .binance || spec.venue == .binanceFutures ? previous + count : previous + 1
        s.sequence = last
        var update = BookUpdate(
            instrument: s.instrument, kind: .delta, bids: bids, asks: asks,
            sequence: BookSequence(first: first, last: last, previous: spec.venue == .binance ? nil : previous),
            exchangeTime: Instant(nanoseconds: now), receiveTime: Instant(nanoseconds: now))
        try? s.book.apply(update)
        if spec.venue == .okx { update.checksum = OKXChecksum.compute(s.book) }
        return update
    }

    private func makeTrade(_ s: inout Instrumented, at now: Int64, random: inout SeededRandom) -> Trade {
        let buy = random.next() % 2 == 0
        let p = (buy ? s.book.bestAsk?.price : s.book.bestBid?.price) ?? price(s.midTicks)
        s.tradeId += 1
        return Trade(
            instrument: s.instrument, tradeId: "\(s.tradeId)", price: p, quantity: FixedDecimal(mantissa: 1 + Int64(random.next() % 50_000), scale: 6),
            side: buy ? .buy : .sell, exchangeTime: Instant(nanoseconds: now), receiveTime: Instant(nanoseconds: now))
    }
}
