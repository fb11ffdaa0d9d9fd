@testable import Exchanges
import Model
import Testing

/// Binance's event parsers read the keys in the order Binance sends them before their general loop
/// (`JSONScanner.keyIs`); with the prediction or without it, every frame must give the same events,
/// and the same errors at the same offsets.
struct PredictedKeyTests {
    /// Depth, bookTicker and aggTrade events with their keys in spot's or futures' order, then edited:
    /// keys dropped, swapped, repeated or spaced out, values changed, bytes cut or inserted.
    static func frames(_ random: inout SeededRandom, count: Int, futures: Bool) -> [[UInt8]] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func decimal() -> String { ["\"\(19_990 + pick(20)).\(pick(100))\"", "\"\(pick(3)).\(pick(1_000_000))\"", "\"0\"", "1.5", "\"1e3\"", "null"][pick(6)] }
        func levels() -> String { "[" + (0..<pick(4)).map { _ in "[\(decimal()),\(decimal())]" }.joined(separator: ",") + "]" }
        let symbol = ["BTCUSDT", "ETHUSDT"][pick(2)]
        var out: [[UInt8]] = []
        for _ in 0..<count {
            let stream: String
            var fields: [String]
            switch pick(3) {
            case 0:
                stream = "\(symbol.lowercased())@depth@100ms"
                fields = ["\"e\":\"depthUpdate\"", "\"E\":1735689600\(pick(999))"]
                if futures { fields.append("\"T\":1735689600100") }
                fields += ["\"s\":\"\(symbol)\"", "\"U\":\(pick(99))", "\"u\":\(pick(99))"]
                if futures { fields.append("\"pu\":\(pick(99))") }
                fields += ["\"b\":\(levels())", "\"a\":\(levels())"]
            case 1:
                stream = "\(symbol.lowercased())@bookTicker"
                fields = futures ? ["\"e\":\"bookTicker\"", "\"u\":\(pick(99))", "\"E\":17356896001\(pick(99))", "\"T\":1"] : ["\"u\":\(pick(99))"]
                fields += ["\"s\":\"\(symbol)\"", "\"b\":\(decimal())", "\"B\":\(decimal())", "\"a\":\(decimal())", "\"A\":\(decimal())"]
            default:
                stream = "\(symbol.lowercased())@aggTrade"
                fields = [
                    "\"e\":\"aggTrade\"", "\"E\":1735689600150", "\"s\":\"\(symbol)\"", "\"a\":\([String(pick(99_999)), "\"7\"", "true"][pick(3)])",
                    "\"p\":\(decimal())", "\"q\":\(decimal())", "\"f\":0", "\"l\":0", "\"T\":1735689600150",
                    "\"m\":\(["true", "false", "\"x\"", "tru"][pick(4)])", "\"M\":true",
                ]
                if futures { fields.removeLast() }
            }
            if pick(4) == 0 { fields.remove(at: pick(fields.count)) }
            if pick(4) == 0 { fields.swapAt(pick(fields.count), pick(fields.count)) }
            if pick(5) == 0 { fields.insert(fields[pick(fields.count)], at: pick(fields.count + 1)) }
            if pick(5) == 0 { let k = pick(fields.count); fields[k] = " " + fields[k] }
            if pick(5) == 0 {
                let k = pick(fields.count)
                if let colon = fields[k].firstIndex(of: ":") { fields[k].insert(" ", at: fields[k].index(after: colon)) }
            }
            let frame = "{\"stream\":\"\(stream)\",\"data\":{" + fields.joined(separator: ",") + "}}"
            out.append(FrameFastPathTests.mutations(of: Array(frame.utf8), &random, from: 12))
        }
        return out
    }

    @Test(arguments: [false, true])
    func predictedKeysReadAsTheLoopReadsThem(futures: Bool) {
        var random = SeededRandom(seed: futures ? 85 : 84)
        let predicting = BinanceParser(venue: futures ? .binanceFutures : .binance)
        var looping = predicting
        looping.predictsKeys = false
        var catalogA = InstrumentCatalog(venue: predicting.venue), catalogB = catalogA
        var levelsA = ReusableLevelArrays(), levelsB = ReusableLevelArrays()
        var events = 0, errors = 0
        for frame in Self.frames(&random, count: 20_000, futures: futures) {
            let got = FrameFastPathTests.run(frame, catalog: &catalogA) { (s, c, o) throws(FrameError) in
                try predicting.parseFrame(&s, catalog: &c, levels: &levelsA, receivedAt: .milliseconds(7), out: &o)
            }
            let expected = FrameFastPathTests.run(frame, catalog: &catalogB) { (s, c, o) throws(FrameError) in
                try looping.parseFrame(&s, catalog: &c, levels: &levelsB, receivedAt: .milliseconds(7), out: &o)
            }
            #expect(got == expected, "\(String(decoding: frame, as: UTF8.self))")
            switch got {
            case .success(let o): events += o.count
            case .failure: errors += 1
            }
        }
        #expect(events > 2_500)
        #expect(errors > 1_000)
    }
}

/// The same for OKX books and trades and Deribit books, trades and tickers.
struct VenuePredictedKeyTests {
    /// The fields edited as venues would never send them: one dropped, two swapped, one repeated, a space
    /// before a key or after a colon.
    static func edited(_ fields: [String], _ random: inout SeededRandom) -> String {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        var fields = fields
        if pick(4) == 0 { fields.remove(at: pick(fields.count)) }
        if pick(4) == 0 { fields.swapAt(pick(fields.count), pick(fields.count)) }
        if pick(5) == 0 { fields.insert(fields[pick(fields.count)], at: pick(fields.count + 1)) }
        if pick(5) == 0 {
            let k = pick(fields.count)
            fields[k] = " " + fields[k]
        }
        if pick(5) == 0 {
            let k = pick(fields.count)
            if let colon = fields[k].firstIndex(of: ":") { fields[k].insert(" ", at: fields[k].index(after: colon)) }
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func okxFrames(_ random: inout SeededRandom, count: Int) -> [[UInt8]] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func decimal() -> String { ["\"\(19_990 + pick(20)).\(pick(100))\"", "\"\(pick(3)).\(pick(1_000_000))\"", "\"0\"", "\"\"", "1.5"][pick(5)] }
        func side() -> String { "[" + (0..<pick(4)).map { _ in "[\(decimal()),\(decimal()),\"0\",\"\(pick(9))\"]" }.joined(separator: ",") + "]" }
        var out: [[UInt8]] = []
        for k in 0..<count {
            let frame: String
            if pick(3) == 0 {
                let item = edited(
                    [
                        "\"instId\":\"BTC-USDT\"", "\"tradeId\":\([String(k), "\"\(k)\"", "null"][pick(3)])", "\"px\":\(decimal())",
                        "\"sz\":\(decimal())", "\"side\":\"\(["buy", "sell", "up"][pick(3)])\"", "\"ts\":\"1735689600150\"",
                    ], &random)
                let arg = edited(["\"channel\":\"trades\"", "\"instId\":\"BTC-USDT\""], &random)
                frame = edited(["\"arg\":\(arg)", "\"data\":[\(item)]"], &random)
            } else {
                let item = edited(
                    [
                        "\"asks\":\(side())", "\"bids\":\(side())", "\"ts\":\"17356896\(pick(100_000))\"",
                        "\"checksum\":\(["0", "-\(pick(99_999))", "null"][pick(3)])", "\"prevSeqId\":\(pick(5) == 0 ? "-1" : "\(k - 1)")",
                        "\"seqId\":\(pick(9) == 0 ? "null" : "\(k)")",
                    ], &random)
                let arg = edited(["\"channel\":\"books\"", "\"instId\":\"BTC-USDT\""], &random)
                frame = edited(["\"arg\":\(arg)", "\"action\":\"\(["update", "snapshot"][pick(2)])\"", "\"data\":[\(item)]"], &random)
            }
            out.append(FrameFastPathTests.mutations(of: Array(frame.utf8), &random))
        }
        return out
    }

    static func deribitFrames(_ random: inout SeededRandom, count: Int) -> [[UInt8]] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func decimal() -> String { ["\(19_990 + pick(20)).\(pick(100))", "\(pick(3)).\(pick(1_000_000))", "0", "null", "\"1\"", "2e3"][pick(6)] }
        func side() -> String {
            // Mostly the three actions Deribit sends, sometimes one a byte off.
            let actions = ["new", "change", "delete", "new", "change", "delete", "new", "change", "delete", "news", "NEW", "chang"]
            return "[" + (0..<pick(4)).map { _ in "[\"\(actions[pick(actions.count)])\",\(decimal()),\(decimal())]" }.joined(separator: ",") + "]"
        }
        var out: [[UInt8]] = []
        for k in 0..<count {
            let channel: String, data: String
            switch pick(3) {
            case 0:
                channel = "trades.BTC-PERPETUAL.raw"
                data = "[" + edited(
                    [
                        "\"trade_seq\":\(k)", "\"trade_id\":\"\(k)\"", "\"timestamp\":1735689600150", "\"tick_direction\":0",
                        "\"price\":\(decimal())", "\"mark_price\":20000.1", "\"instrument_name\":\"BTC-PERPETUAL\"",
                        "\"index_price\":20000.2", "\"direction\":\"\(["buy", "sell", "x"][pick(3)])\"", "\"amount\":\(decimal())",
                        pick(8) == 0 ? "\"liquidation\":\"T\"" : "\"liquidation\":null",
                    ], &random) + "]"
            case 1:
                channel = "ticker.BTC-PERPETUAL.raw"
                let stats = ["null", "{\"volume\":\(decimal()),\"low\":\(decimal()),\"high\":\(decimal())}", "{\"high\":1}"][pick(3)]
                data = edited(
                    [
                        "\"timestamp\":1735689600100", "\"stats\":\(stats)", "\"state\":\"open\"", "\"open_interest\":\(decimal())",
                        "\"mark_price\":\(decimal())", "\"last_price\":\(decimal())", "\"instrument_name\":\"BTC-PERPETUAL\"",
                        "\"index_price\":\(decimal())", "\"funding_8h\":\(decimal())", "\"current_funding\":\(decimal())",
                        "\"best_bid_price\":\(decimal())", "\"best_bid_amount\":\(decimal())", "\"best_ask_price\":\(decimal())",
                        "\"best_ask_amount\":\(decimal())",
                    ].filter { _ in pick(5) != 0 }, &random)
            default:
                channel = "book.BTC-PERPETUAL.raw"
                data = edited(
                    [
                        "\"type\":\"\(["change", "snapshot", "other"][pick(3)])\"", "\"timestamp\":1735689600100",
                        "\"prev_change_id\":\(pick(6) == 0 ? "null" : "\(k - 1)")", "\"instrument_name\":\"BTC-PERPETUAL\"",
                        "\"change_id\":\(k)", "\"bids\":\(side())", "\"asks\":\(side())",
                    ], &random)
            }
            let frame = "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"\(channel)\",\"data\":\(data)}}"
            out.append(FrameFastPathTests.mutations(of: Array(frame.utf8), &random, from: 70))
        }
        return out
    }

    /// Every frame through both adapters: the same outputs, errors with their offsets included.
    static func expectSameOutputs<A: VenueAdapter>(_ predicting: inout A, _ looping: inout A, _ frames: [[UInt8]]) {
        var events = 0
        for frame in frames {
            var got: [AdapterOutput] = [], expected: [AdapterOutput] = []
            predicting.parse(frame: frame, receivedAt: .milliseconds(3), into: &got)
            looping.parse(frame: frame, receivedAt: .milliseconds(3), into: &expected)
            #expect(got == expected, "\(String(decoding: frame, as: UTF8.self))")
            events += got.filter { $0.marketEvent != nil }.count
        }
        #expect(events > frames.count / 12)
        #expect(predicting.counters.errors > frames.count / 10)
    }

    @Test func okxPredictedKeysReadAsTheLoopReadsThem() {
        var random = SeededRandom(seed: 86)
        var predicting = OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: InstrumentCatalog(venue: .okx))
        var looping = predicting
        looping.predictsKeys = false
        Self.expectSameOutputs(&predicting, &looping, Self.okxFrames(&random, count: 20_000))
    }

    @Test func deribitPredictedKeysReadAsTheLoopReadsThem() {
        var random = SeededRandom(seed: 87)
        var predicting = DeribitAdapter(subscription: Subscription(venue: .deribit, entries: []), catalog: InstrumentCatalog(venue: .deribit))
        var looping = predicting
        looping.predictsKeys = false
        Self.expectSameOutputs(&predicting, &looping, Self.deribitFrames(&random, count: 20_000))
    }
}
