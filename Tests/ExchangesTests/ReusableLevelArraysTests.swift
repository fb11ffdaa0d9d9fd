@testable import Exchanges
import Model
import Testing

/// Adapters reuse the level arrays of the last book update they parsed. Reuse must never show: each
/// frame gives what a fresh adapter gives, whether the caller drops each frame's outputs before the
/// next (the arrays are then emptied in place) or keeps them all (then every update handed out earlier
/// must still hold its own levels), through failed frames and frames of other kinds in between.
struct ReusableLevelArraysTests {
    enum Feed: CaseIterable {
        case binance, binanceFutures, okx, deribit
    }

    static func adapter(_ feed: Feed) -> AnyAdapter {
        switch feed {
        case .binance:
            return .binance(BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: InstrumentCatalog(venue: .binance)))
        case .binanceFutures:
            return .binanceFutures(
                BinanceFuturesAdapter(
                    subscription: Subscription(venue: .binanceFutures, entries: []), catalog: InstrumentCatalog(venue: .binanceFutures)))
        case .okx:
            return .okx(OKXAdapter(subscription: Subscription(venue: .okx, entries: []), catalog: InstrumentCatalog(venue: .okx)))
        case .deribit:
            return .deribit(DeribitAdapter(subscription: Subscription(venue: .deribit, entries: []), catalog: InstrumentCatalog(venue: .deribit)))
        }
    }

    /// The four adapters behind one `parse` (the stack's `AnyVenueAdapter` lives in another module).
    enum AnyAdapter {
        case binance(BinanceSpotAdapter)
        case binanceFutures(BinanceFuturesAdapter)
        case okx(OKXAdapter)
        case deribit(DeribitAdapter)

        mutating func parse(_ frame: [UInt8], into out: inout [AdapterOutput]) {
            switch self {
            case .binance(var a):
                a.parse(frame: frame, receivedAt: .milliseconds(5), into: &out)
                self = .binance(a)
            case .binanceFutures(var a):
                a.parse(frame: frame, receivedAt: .milliseconds(5), into: &out)
                self = .binanceFutures(a)
            case .okx(var a):
                a.parse(frame: frame, receivedAt: .milliseconds(5), into: &out)
                self = .okx(a)
            case .deribit(var a):
                a.parse(frame: frame, receivedAt: .milliseconds(5), into: &out)
                self = .deribit(a)
            }
        }
    }

    /// Book frames with 0 to 40 levels a side (so arrays grow past what the last one held), some
    /// trades between them, some edited into errors or other shapes.
    static func frames(_ feed: Feed, _ random: inout SeededRandom, count: Int) -> [[UInt8]] {
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        func side(_ quoted: Bool) -> String {
            let n = [0, 1, 3, 8, 40][pick(5)]
            let levels = (0..<n).map { _ -> String in
                let price = "\(19_990 + pick(20)).\(pick(100))", size = "\(pick(3)).\(pick(1_000_000))"
                switch feed {
                case .okx: return "[\"\(price)\",\"\(size)\",\"0\",\"\(pick(9))\"]"
                case .deribit: return "[\"\(["new", "change", "delete"][pick(3)])\",\(price),\(size)]"
                default: return quoted ? "[\"\(price)\",\"\(size)\"]" : "[\(price),\(size)]"
                }
            }
            return "[" + levels.joined(separator: ",") + "]"
        }
        var out: [[UInt8]] = []
        for k in 0..<count {
            let frame: String
            let trade = pick(6) == 0
            switch feed {
            case .binance, .binanceFutures:
                let symbol = ["BTCUSDT", "ETHUSDT"][pick(2)]
                if trade {
                    frame = "{\"stream\":\"\(symbol.lowercased())@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":1,\"s\":\"\(symbol)\",\"a\":\(k),\"p\":\"1.5\",\"q\":\"2\",\"T\":3,\"m\":true}}"
                } else {
                    frame = "{\"stream\":\"\(symbol.lowercased())@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":17356896\(pick(100_000)),\"s\":\"\(symbol)\",\"U\":\(k),\"u\":\(k + 3),\"b\":\(side(pick(8) != 0)),\"a\":\(side(true))}}"
                }
            case .okx:
                let instId = ["BTC-USDT", "ETH-USDT-SWAP"][pick(2)]
                if trade {
                    frame = "{\"arg\":{\"channel\":\"trades\",\"instId\":\"\(instId)\"},\"data\":[{\"instId\":\"\(instId)\",\"tradeId\":\"\(k)\",\"px\":\"1.5\",\"sz\":\"2\",\"side\":\"buy\",\"ts\":\"1735689600100\"}]}"
                } else {
                    let action = pick(5) == 0 ? "snapshot" : "update"
                    frame = "{\"arg\":{\"channel\":\"books\",\"instId\":\"\(instId)\"},\"action\":\"\(action)\",\"data\":[{\"asks\":\(side(true)),\"bids\":\(side(true)),\"ts\":\"1735689600\(pick(1000))\",\"checksum\":0,\"seqId\":\(k),\"prevSeqId\":\(k - 1)}]}"
                }
            case .deribit:
                let name = ["BTC-PERPETUAL", "ETH-PERPETUAL"][pick(2)]
                if trade {
                    frame = "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"trades.\(name).100ms\",\"data\":[{\"trade_id\":\"\(k)\",\"price\":1.5,\"amount\":2,\"direction\":\"sell\",\"timestamp\":1735689600100,\"instrument_name\":\"\(name)\"}]}}"
                } else {
                    let type = pick(5) == 0 ? "snapshot" : "change"
                    frame = "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.\(name).100ms\",\"data\":{\"type\":\"\(type)\",\"timestamp\":1735689600\(pick(1000)),\"instrument_name\":\"\(name)\",\"change_id\":\(k),\"prev_change_id\":\(k - 1),\"bids\":\(side(false)),\"asks\":\(side(false))}}}"
                }
            }
            out.append(FrameFastPathTests.mutations(of: Array(frame.utf8), &random))
        }
        return out
    }

    @Test(arguments: Feed.allCases)
    func reusedArraysNeverShow(feed: Feed) {
        var random = SeededRandom(seed: 90)
        let frames = Self.frames(feed, &random, count: 3_000)
        let expected: [[AdapterOutput]] = frames.map { frame in
            var fresh = Self.adapter(feed)
            var out: [AdapterOutput] = []
            fresh.parse(frame, into: &out)
            return out
        }
        // Each frame's outputs dropped before the next: the arrays are reused in place.
        var dropping = Self.adapter(feed)
        var books = 0
        for (frame, want) in zip(frames, expected) {
            var out: [AdapterOutput] = []
            dropping.parse(frame, into: &out)
            #expect(out == want, "\(String(decoding: frame, as: UTF8.self))")
            books += out.filter { if case .event(.book) = $0 { return true } else { return false } }.count
        }
        #expect(books > 1_000)
        // Every frame's outputs kept, in one array as the stack's scratch buffer would hold them, and
        // checked again at the end: nothing handed out earlier was overwritten.
        var keeping = Self.adapter(feed)
        var all: [AdapterOutput] = []
        var bounds: [Range<Int>] = []
        for frame in frames {
            let start = all.count
            keeping.parse(frame, into: &all)
            bounds.append(start..<all.count)
        }
        for (range, want) in zip(bounds, expected) {
            #expect(Array(all[range]) == want)
        }
    }
}
