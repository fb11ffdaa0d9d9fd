@testable import Exchanges
import Model
import Testing

/// `BinanceStream.classify` dispatches on the first letter of the stream type and finds the `@` a word
/// at a time; it must classify every name as the former chain of compares did.
struct StreamClassifyTests {
    /// The former classifier, kept as the reference.
    static func reference(_ s: JSONScanner, _ name: Range<Int>) -> (BinanceStream, symbol: Range<Int>?)? {
        guard !name.isEmpty else { return nil }
        var at = name.lowerBound
        while at < name.upperBound && s.bytes[at] != UInt8(ascii: "@") { at += 1 }
        let symbol: Range<Int>?
        let rest: Range<Int>
        if s.bytes[name.lowerBound] == UInt8(ascii: "!") {
            symbol = nil
            rest = (name.lowerBound + 1)..<name.upperBound
        } else {
            guard at < name.upperBound, at > name.lowerBound else { return nil }
            symbol = name.lowerBound..<at
            rest = (at + 1)..<name.upperBound
        }
        let kind: BinanceStream
        if s.hasPrefix(rest, "depth@") || s.matches(rest, "depth") {
            kind = .depth
        } else if s.hasPrefix(rest, "depth") {
            kind = .partialDepth
        } else if s.matches(rest, "trade") {
            kind = .trade
        } else if s.hasPrefix(rest, "aggTrade") {
            kind = .aggTrade
        } else if s.hasPrefix(rest, "bookTicker") {
            kind = .bookTicker
        } else if s.matches(rest, "ticker") || s.hasPrefix(rest, "ticker@") {
            kind = .ticker24h
        } else if s.hasPrefix(rest, "kline_") {
            kind = .kline
        } else if s.hasPrefix(rest, "markPrice") {
            kind = .markPrice
        } else if s.hasPrefix(rest, "forceOrder") {
            kind = .forceOrder
        } else {
            return nil
        }
        return (kind, symbol)
    }

    @Test func classifiesAsTheChainOfComparesDid() {
        var random = SeededRandom(seed: 88)
        func pick(_ n: Int) -> Int { Int(random.next() % UInt64(n)) }
        let symbols = ["btcusdt", "", "!", "!all", "a", "verylongsymbolname", "x@y", "@"]
        let kinds = [
            "depth@100ms", "depth", "depth5", "depth20@100ms", "trade", "trades", "aggTrade", "bookTicker", "ticker",
            "ticker@arr", "tickers", "kline_1m", "markPrice@1s", "forceOrder", "forceOrder@arr", "", "d", "t", "x",
        ]
        var classified = 0
        for _ in 0..<50_000 {
            var name = Array((symbols[pick(symbols.count)] + (pick(6) == 0 ? "" : "@") + kinds[pick(kinds.count)]).utf8)
            if pick(5) == 0, !name.isEmpty { name[pick(name.count)] = Array("@!dtabkmfx_".utf8)[pick(11)] }
            if pick(5) == 0, !name.isEmpty { name.removeLast(1 + pick(name.count)) }
            // The name sits in a buffer with 0 to 9 more bytes after it (`@` among them sometimes).
            let after = (0..<pick(10)).map { _ in Array("@\"x".utf8)[pick(3)] }
            let buffer = name + after
            buffer.withUnsafeBytes { bytes in
                let s = JSONScanner(bytes)
                let got = BinanceStream.classify(s, 0..<name.count)
                let want = Self.reference(s, 0..<name.count)
                #expect(got?.0 == want?.0 && got?.symbol == want?.symbol, "\(String(decoding: name, as: UTF8.self))")
                if got != nil { classified += 1 }
            }
        }
        #expect(classified > 6_000)
    }
}
