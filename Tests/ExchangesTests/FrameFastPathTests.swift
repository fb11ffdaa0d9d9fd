@testable import Exchanges
import Model
import Testing

/// The frame-level fast paths must give exactly what the general paths give, events and errors with
/// their offsets, on the frames venues send and on everything near them: keys reordered or added,
/// whitespace, values cut short, bytes changed, trailing bytes.
struct FrameFastPathTests {
    /// Random edits of a valid frame: most stay valid, many land in the general path or an error.
    /// Edits land at or after byte `from` (and cuts leave at least that much).
    static func mutations(of frame: [UInt8], _ random: inout SeededRandom, from: Int = 0) -> [UInt8] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(max(1, n))) }
        var f = frame
        switch pick(8) {
        case 0, 1, 2: break  // as sent
        case 3: f[from + pick(f.count - from)] = Array("{}[]\",:0123456789.-aes \n".utf8)[pick(24)]
        case 4: f.removeLast(1 + pick(min(f.count - 1 - from, 30)))
        case 5: f.insert(UInt8(ascii: " "), at: from + pick(f.count + 1 - from))
        case 6: f += Array([" ", "}", ",\"x\":1}", "\n", "x"][pick(5)].utf8)
        default:
            let at = from + pick(f.count - from)
            f.insert(contentsOf: Array([",\"id\":7", ",\"stream\":\"btcusdt@trade\"", "\"", "{"][pick(4)].utf8), at: at)
        }
        return f
    }

    static func binanceFrames(_ random: inout SeededRandom, count: Int, futures: Bool) -> [[UInt8]] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func decimal() -> String { "\(19_990 + pick(20)).\(pick(100))" }
        func size() -> String { "\(pick(3)).\(String(pick(1_000_000)))" }
        func levels() -> String { "[" + (0..<pick(4)).map { _ in "[\"\(decimal())\",\"\(size())\"]" }.joined(separator: ",") + "]" }
        let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
        var out: [[UInt8]] = []
        for _ in 0..<count {
            let symbol = symbols[pick(symbols.count)]
            let lower = symbol.lowercased()
            let stream: String, data: String
            switch pick(futures ? 4 : 3) {
            case 0:
                stream = "\(lower)@depth@100ms"
                let pu = futures ? ",\"pu\":\(999 + pick(5))" : ""
                data = "{\"e\":\"depthUpdate\",\"E\":1735689600\(100 + pick(900)),\"s\":\"\(symbol)\",\"U\":\(1000 + pick(9)),\"u\":\(1009 + pick(9))\(pu),\"b\":\(levels()),\"a\":\(levels())}"
            case 1:
                stream = "\(lower)@bookTicker"
                data = "{\"u\":\(pick(1_000_000)),\"s\":\"\(symbol)\",\"b\":\"\(decimal())\",\"B\":\"\(size())\",\"a\":\"\(decimal())\",\"A\":\"\(size())\"}"
            case 2:
                stream = "\(lower)@aggTrade"
                data = "{\"e\":\"aggTrade\",\"E\":1735689600150,\"s\":\"\(symbol)\",\"a\":\(pick(99_999)),\"p\":\"\(decimal())\",\"q\":\"\(size())\",\"f\":0,\"l\":0,\"T\":1735689600150,\"m\":\(pick(2) == 0),\"M\":true}"
            default:
                stream = "\(lower)@markPrice@1s"
                data = "{\"e\":\"markPriceUpdate\",\"E\":1735689600293,\"s\":\"\(symbol)\",\"p\":\"\(decimal())\",\"i\":\"\(decimal())\",\"r\":\"0.000\(pick(999))\",\"T\":1735718400000}"
            }
            let frame: String
            switch pick(10) {
            case 0: frame = "{\"data\":\(data),\"stream\":\"\(stream)\"}"  // keys the other way round
            case 1: frame = "{\"stream\":\"\(stream)\",\"data\":[\(data),\(data)]}"  // an array of events
            case 2: frame = "{\"stream\":\"\(stream)\", \"data\":\(data)}"
            case 3: frame = "{\"stream\":\"\(["", "x", "btcusdt@nothing", "@depth"][pick(4)])\",\"data\":\(data)}"
            default: frame = "{\"stream\":\"\(stream)\",\"data\":\(data)}"
            }
            out.append(mutations(of: Array(frame.utf8), &random))
        }
        return out
    }

    /// What a parse gave: the outputs, or the error.
    static func run(
        _ frame: [UInt8], catalog: inout InstrumentCatalog,
        _ parse: (inout JSONScanner, inout InstrumentCatalog, inout [AdapterOutput]) throws(FrameError) -> Void
    ) -> Result<[AdapterOutput], FrameError> {
        var out: [AdapterOutput] = []
        let failure = frame.withUnsafeBytes { bytes -> FrameError? in
            var s = JSONScanner(bytes)
            do throws(FrameError) {
                try parse(&s, &catalog, &out)
                return nil
            } catch {
                return error
            }
        }
        return failure.map { .failure($0) } ?? .success(out)
    }

    @Test(arguments: [false, true])
    func binanceStreamFramesParseAsTheGeneralPathParsesThem(futures: Bool) {
        var random = SeededRandom(seed: futures ? 81 : 80)
        let parser = BinanceParser(venue: futures ? .binanceFutures : .binance)
        // A catalog that derives instruments from their names, as replays without metadata do (the
        // fast path may resolve one, then hand the frame to the general path, which resolves it again).
        var fastCatalog = InstrumentCatalog(venue: parser.venue)
        var generalCatalog = InstrumentCatalog(venue: parser.venue)
        var fast = 0
        var fastLevels = ReusableLevelArrays(), generalLevels = ReusableLevelArrays(), probeLevels = ReusableLevelArrays()
        for frame in Self.binanceFrames(&random, count: 20_000, futures: futures) {
            let got = Self.run(frame, catalog: &fastCatalog) { (s, c, o) throws(FrameError) in
                try parser.parseFrame(&s, catalog: &c, levels: &fastLevels, receivedAt: .milliseconds(7), out: &o)
            }
            let expected = Self.run(frame, catalog: &generalCatalog) { (s, c, o) throws(FrameError) in
                try parser.parseEnvelope(&s, catalog: &c, levels: &generalLevels, receivedAt: .milliseconds(7), out: &o)
            }
            #expect(got == expected, "\(String(decoding: frame, as: UTF8.self))")
            var probe = fastCatalog
            let taken = frame.withUnsafeBytes { bytes in
                var out: [AdapterOutput] = []
                return (try? parser.parseStreamFrame(
                    JSONScanner(bytes), catalog: &probe, levels: &probeLevels, receivedAt: .zero, out: &out)) == true
            }
            if taken { fast += 1 }
        }
        #expect(fastCatalog.instruments == generalCatalog.instruments)
        #expect(fast > 5_000)
    }

    static func okxBBOFrames(_ random: inout SeededRandom, count: Int) -> [(bbo: [UInt8], books5: [UInt8])] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func level() -> String { "[\"\(19_990 + pick(20)).\(pick(100))\",\"\(pick(3)).\(pick(1_000_000))\",\"0\",\"\(pick(9))\"]" }
        func side() -> String { "[" + (0..<pick(3)).map { _ in level() }.joined(separator: ",") + "]" }
        var out: [([UInt8], [UInt8])] = []
        for _ in 0..<count {
            var fields = [
                "\"asks\":\(side())", "\"bids\":\(side())", "\"ts\":\"17356896\(pick(100_000))\"",
                "\"checksum\":\(pick(3) == 0 ? "0" : "-\(pick(99_999))")", "\"seqId\":\(pick(5) == 0 ? "null" : "\(pick(1_000_000))")",
            ]
            if pick(4) == 0 { fields.remove(at: pick(fields.count)) }
            if pick(4) == 0 { fields.append("\"instId\":\"BTC-USDT\"") }
            if pick(4) == 0 { fields.append("\"asks\":\(side())") }
            if pick(3) == 0 { fields.swapAt(pick(fields.count), pick(fields.count)) }
            let item = "{" + fields.joined(separator: ",") + "}"
            let data = "[" + (pick(6) == 0 ? item + "," + item : item) + "]"
            let instId = pick(10) == 0 ? "NOPE" : "BTC-USDT"
            // The same length with either channel, so every offset after it is the same.
            let bbo = "{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"\(instId)\"},\"data\":\(data)}"
            let books5 = "{\"arg\":{\"channel\": \"books5\",\"instId\":\"\(instId)\"},\"data\":\(data)}"
            // The same edit to both, after the channels (bytes 18...26), so the frames stay alike.
            var r = random
            out.append((mutations(of: Array(bbo.utf8), &random, from: 27), mutations(of: Array(books5.utf8), &r, from: 27)))
        }
        return out
    }

    /// OKX `bbo-tbt` keeps only each side's first level; it must give the ticker the full book read
    /// gave (the same element read as `books5`), with the same errors at the same offsets.
    @Test func okxBestBidOfferReadsAsTheBookRead() {
        var random = SeededRandom(seed: 82)
        let catalog = InstrumentCatalog(venue: .okx, usesNamingFallback: false)
        var withInstrument = catalog
        withInstrument.insert(InstrumentNaming.instrument(venue: .okx, native: "BTC-USDT")!)
        var compared = 0, tickers = 0
        for (bbo, books5) in Self.okxBBOFrames(&random, count: 20_000) {
            var a = OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: withInstrument)
            var b = a
            var got: [AdapterOutput] = [], book: [AdapterOutput] = []
            a.parse(frame: bbo, receivedAt: .milliseconds(9), into: &got)
            b.parse(frame: books5, receivedAt: .milliseconds(9), into: &book)
            let expected: [AdapterOutput] = book.map { output in
                guard case .event(.book(let u)) = output else { return output }
                return .event(
                    .ticker(
                        Ticker(
                            instrument: u.instrument, bestBid: u.bids.first, bestAsk: u.asks.first,
                            sequence: u.sequence.isUnsequenced ? nil : u.sequence.last, exchangeTime: u.exchangeTime,
                            receiveTime: .milliseconds(9))))
            }
            #expect(got == expected, "\(String(decoding: bbo, as: UTF8.self))")
            compared += 1
            if case .event(.ticker) = got.first { tickers += 1 }
        }
        #expect(compared > 15_000)
        #expect(tickers > 8_000)
    }
}

