import Exchanges
import Foundation
import Model
import Testing
import TestSupport

/// Random and mutated frames through every adapter: nothing may crash, every frame is counted,
/// and every failure is an `.error` whose offset lies inside the frame.
///
/// The input count comes from `EXCHANGES_FUZZ_INPUTS` (default 1,000,000 split over the four
/// adapters); a longer run: `EXCHANGES_FUZZ_INPUTS=20000000 swift test -c release --filter FuzzTests`.
struct FuzzTests {
    static var inputCount: Int {
        ProcessInfo.processInfo.environment["EXCHANGES_FUZZ_INPUTS"].flatMap(Int.init) ?? 1_000_000
    }

    /// Seed frames: real captures where present (frames up to 2 KB keep the run short), plus
    /// encoder output for the channels the captures lack, plus control frames.
    static func corpus() -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for file in ["BINANCE.ws.1.0", "OKX.ws.1.0", "DERIBIT.ws.1.0", "BINANCE.http.0.0"] {
            guard let lines = try? Captures.file(file) else { continue }
            frames += lines.filter { $0.kind == .received && $0.payload.count <= 2048 }.map(\.payload)
        }
        // Small REST bodies of each shape (instruments listings are encoder-made: the captured ones are megabytes).
        let listed = ["BTC-PERPETUAL", "BTC-24SEP21-8000-P"].compactMap { InstrumentNaming.instrument(venue: .deribit, native: $0) }
        var listing: [UInt8] = []
        DeribitFrameEncoder().encodeInstruments(listed, into: &listing)
        frames.append(listing)
        listing.removeAll()
        OKXFrameEncoder().encodeInstruments(
            ["BTC-USDT", "BTC-USD-220527"].compactMap { InstrumentNaming.instrument(venue: .okx, native: $0) }, into: &listing)
        frames.append(listing)
        listing.removeAll()
        BinanceFrameEncoder(venue: .binanceFutures).encodeExchangeInfo(
            ["BTCUSDT", "ETHUSDT_240927"].compactMap { InstrumentNaming.instrument(venue: .binanceFutures, native: $0) }, into: &listing)
        frames.append(listing)
        frames.append(Array(#"{"trades":["BTC-USDT","BTC-USD-22K27"],"l2_book":["UNI-USD-PERP"]}"#.utf8))
        var m = RoundTripTests.Maker(rng: SeededRandom(seed: 99))
        let futures = InstrumentNaming.instrument(venue: .binanceFutures, native: "BTCUSDT")!
        let okx = InstrumentNaming.instrument(venue: .okx, native: "BTC-USDT-SWAP")!
        let deribit = InstrumentNaming.instrument(venue: .deribit, native: "BTC-PERPETUAL")!
        for (i, encode) in [
            (futures, { (e: MarketEvent, out: inout [UInt8]) in BinanceFrameEncoder(venue: .binanceFutures).encode(e, into: &out) }),
            (okx, { (e: MarketEvent, out: inout [UInt8]) in OKXFrameEncoder().encode(e, into: &out) }),
            (deribit, { (e: MarketEvent, out: inout [UInt8]) in DeribitFrameEncoder().encode(e, into: &out) }),
        ] as [(Instrument, (MarketEvent, inout [UInt8]) -> Bool)] {
            let at = m.time()
            let events: [MarketEvent] = [
                .book(m.book(i, kind: .delta, sequence: BookSequence(first: 5, last: 9, previous: 4), at: at)),
                .trade(m.trade(i, id: "123", at: at)),
                .funding(FundingRate(instrument: i, rate: m.decimal(), nextFundingTime: at, markPrice: m.decimal(), exchangeTime: at, receiveTime: at)),
                .liquidation(Liquidation(instrument: i, side: .sell, price: m.decimal(), quantity: m.decimal(), exchangeTime: at, receiveTime: at)),
                .openInterest(OpenInterest(instrument: i, amount: m.decimal(), exchangeTime: at, receiveTime: at)),
                .kline(m.kline(i, interval: "1m", at: at)),
            ]
            for e in events {
                var f: [UInt8] = []
                if encode(e, &f) { frames.append(f) }
            }
        }
        frames += [
            "pong", "ping", "{\"event\":\"error\",\"code\":\"60012\",\"msg\":\"bad\"}", "{\"result\":null,\"id\":1}",
            "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"test_request\"}}",
            "{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":11050,\"message\":\"bad_request\"}}",
        ].map { Array($0.utf8) }
        return frames
    }

    static let alphabet: [UInt8] = Array("{}[]\":,\\-+.eE0123456789 nulltruefalse\"ab@_".utf8)

    static func mutate(_ seed: [UInt8], _ rng: inout SeededRandom, corpus: [[UInt8]]) -> [UInt8] {
        var f = seed
        let edits = Int(rng.next() % 4) + 1
        for _ in 0..<edits {
            let n = f.count
            switch rng.next() % 8 {
            case 0 where n > 0:
                f[Int(rng.next() % UInt64(n))] ^= UInt8(1 << (rng.next() % 8))
            case 1 where n > 0:
                f[Int(rng.next() % UInt64(n))] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            case 2 where n > 0:
                f.removeLast(Int(rng.next() % UInt64(n)) + 1)
            case 3 where n > 1:
                let a = Int(rng.next() % UInt64(n)), len = Int(rng.next() % UInt64(min(32, n - a))) + 1
                f.removeSubrange(a..<min(n, a + len))
            case 4 where n > 1:
                let a = Int(rng.next() % UInt64(n)), len = Int(rng.next() % UInt64(min(64, n - a))) + 1
                f.insert(contentsOf: f[a..<min(n, a + len)], at: Int(rng.next() % UInt64(n)))
            case 5:
                let other = corpus[Int(rng.next() % UInt64(corpus.count))]
                let cut = n == 0 ? 0 : Int(rng.next() % UInt64(n))
                let from = other.isEmpty ? 0 : Int(rng.next() % UInt64(other.count))
                f = Array(f[..<cut]) + other[from...]
            case 6:
                f.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: n == 0 ? 0 : Int(rng.next() % UInt64(n)))
            default:
                if n > 0 { f[Int(rng.next() % UInt64(n))] = UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return f
    }

    struct Adapters {
        var binance = BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: InstrumentCatalog(venue: .binance))
        var futures = BinanceFuturesAdapter(
            subscription: Subscription(venue: .binanceFutures, entries: []), catalog: InstrumentCatalog(venue: .binanceFutures))
        var okx = OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: InstrumentCatalog(venue: .okx))
        var deribit = DeribitAdapter(subscription: Subscription(venue: .deribit, entries: []), catalog: InstrumentCatalog(venue: .deribit))

        mutating func parse(_ k: Int, _ frame: [UInt8], into out: inout [AdapterOutput]) {
            switch k % 4 {
            case 0: binance.parse(frame: frame, receivedAt: .zero, into: &out)
            case 1: futures.parse(frame: frame, receivedAt: .zero, into: &out)
            case 2: okx.parse(frame: frame, receivedAt: .zero, into: &out)
            default: deribit.parse(frame: frame, receivedAt: .zero, into: &out)
            }
        }

        /// REST bodies and instruments listings through the same mutations (no crash, typed failure).
        mutating func parseRest(_ k: Int, _ body: [UInt8]) -> Bool {
            let i = Instrument(venue: .okx, native: "BTC-USDT-SWAP", base: "BTC", quote: "USDT", kind: .perpetual)
            switch k % 8 {
            case 0: return (try? binance.parseSnapshot(body: body, instrument: i, receivedAt: .zero).get()) == nil
            case 1: return (try? futures.parseRestResponse(body: body, purpose: .openInterest(i), receivedAt: .zero).get()) == nil
            case 2: return (try? okx.parseSnapshot(body: body, instrument: i, receivedAt: .zero).get()) == nil
            case 3: return (try? deribit.parseRestResponse(body: body, purpose: .funding(i), receivedAt: .zero).get()) == nil
            case 4: return (try? InstrumentCatalog.binance(exchangeInfo: body, venue: .binanceFutures)) == nil
            case 5:
                var c = InstrumentCatalog(venue: .okx)
                return (try? c.addOKXInstruments(body)) == nil
            case 6:
                var c = InstrumentCatalog(venue: .deribit)
                return (try? c.addDeribitInstruments(body)) == nil
            default: return (try? Subscription.fromCryptofeedConfiguration(json: body, venue: .okx)) == nil
            }
        }

        var frames: Int { binance.counters.frames + futures.counters.frames + okx.counters.frames + deribit.counters.frames }
        var errors: Int { binance.counters.errors + futures.counters.errors + okx.counters.errors + deribit.counters.errors }
    }

    @Test func randomAndMutatedFramesNeverCrash() {
        let corpus = Self.corpus()
        #expect(corpus.count > 20)
        var rng = SeededRandom(seed: 0xF022)
        var adapters = Adapters()
        var out: [AdapterOutput] = []
        var errorOutputs = 0
        var badOffsets = 0
        var emptyOutputs = 0
        var restFailures = 0
        var restCountedErrors = 0
        let total = Self.inputCount
        for k in 0..<total {
            let frame: [UInt8]
            if k % 10 == 0 {
                frame = (0..<Int(rng.next() % 200)).map { _ in
                    rng.next() % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : Self.alphabet[Int(rng.next() % UInt64(Self.alphabet.count))]
                }
            } else {
                frame = Self.mutate(corpus[Int(rng.next() % UInt64(corpus.count))], &rng, corpus: corpus)
            }
            out.removeAll(keepingCapacity: true)
            adapters.parse(k, frame, into: &out)
            if k % 16 == 0 {
                let before = adapters.errors
                if adapters.parseRest(k / 16, frame) { restFailures += 1 }
                restCountedErrors += adapters.errors - before
            }
            if out.isEmpty { emptyOutputs += 1 }
            for o in out {
                guard case .error(let e) = o else { continue }
                errorOutputs += 1
                if e.offset < 0 || e.offset > frame.count { badOffsets += 1 }
            }
        }
        #expect(adapters.frames == total)
        #expect(adapters.errors == errorOutputs + restCountedErrors, "every frame error is both reported and counted")
        #expect(restCountedErrors > 0 && restCountedErrors <= restFailures)
        #expect(badOffsets == 0)
        #expect(errorOutputs > total / 4, "mutations must mostly break frames")
        #expect(errorOutputs < total, "some mutated frames still parse")
        #expect(restFailures > 0, "REST parsers saw the mutated inputs too")
        _ = emptyOutputs  // a frame may legitimately yield nothing (e.g. a markPrice without funding)
    }
}
