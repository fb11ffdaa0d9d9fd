import Model

/// Exchange-like JSON frames for the recording benchmarks: Binance depth updates, aggTrades and
/// bookTickers, OKX book updates, with prices that random-walk and quantities with exchange precision,
/// so zstd sees realistic redundancy (not repeated copies of one capture, which would compress absurdly).
/// zstd -3 shrinks it about as much as the real captures in ../shared/data (5-11x).
enum SyntheticFeed {
    static func frames(totalBytes: Int, seed: UInt64 = 2026) -> [[UInt8]] {
        var random = SeededRandom(seed: seed)
        var frames: [[UInt8]] = []
        var total = 0
        var mid = 30_000.0
        var eventMs: Int64 = 1_633_998_512_000
        var updateId: Int64 = 499_869_750
        let symbols = ["BTCUSDT", "ETHUSDT", "NKNUSDT", "BLZETH"]
        func price(_ offset: Double) -> String { String(format2: mid + offset, decimals: 2) }
        // Quantities as exchanges print them: lot-sized, zero-padded, often a removed level.
        func quantity(_ r: inout SeededRandom) -> String {
            switch r.next() % 10 {
            case 0...1: return "0.00000000"
            case 2...6: return "\(1 + r.next() % 20_000).00000000"
            default: return String(format2: Double(1 + r.next() % 9_999) / 10_000, decimals: 8)
            }
        }
        while total < totalBytes {
            mid += (random.nextUnit() - 0.5) * 2
            eventMs += Int64(random.next() % 40)
            let symbol = symbols[Int(random.next() % UInt64(symbols.count))]
            var text: String
            switch random.next() % 10 {
            case 0...4:
                let first = updateId + 1
                updateId += Int64(1 + random.next() % 6)
                let bids = (0..<(1 + random.next() % 12)).map { i in "[\"\(price(-Double(i) * 0.5))\",\"\(quantity(&random))\"]" }
                let asks = (0..<(1 + random.next() % 12)).map { i in "[\"\(price(Double(i) * 0.5 + 0.5))\",\"\(quantity(&random))\"]" }
                text = "{\"stream\":\"\(symbol.lowercased())@depth@100ms\",\"data\":{\"e\":\"depthUpdate\",\"E\":\(eventMs),\"s\":\"\(symbol)\","
                    + "\"U\":\(first),\"u\":\(updateId),\"b\":[\(bids.joined(separator: ","))],\"a\":[\(asks.joined(separator: ","))]}}"
            case 5...6:
                text = "{\"stream\":\"\(symbol.lowercased())@aggTrade\",\"data\":{\"e\":\"aggTrade\",\"E\":\(eventMs),\"s\":\"\(symbol)\","
                    + "\"a\":\(updateId / 3),\"p\":\"\(price(0))\",\"q\":\"\(quantity(&random))\",\"f\":\(updateId / 2),\"l\":\(updateId / 2 + 1),"
                    + "\"T\":\(eventMs - 3),\"m\":\(random.next() % 2 == 0),\"M\":true}}"
            case 7...8:
                text = "{\"stream\":\"\(symbol.lowercased())@bookTicker\",\"data\":{\"u\":\(updateId),\"s\":\"\(symbol)\","
                    + "\"b\":\"\(price(-0.5))\",\"B\":\"\(quantity(&random))\",\"a\":\"\(price(0.5))\",\"A\":\"\(quantity(&random))\"}}"
            default:
                let asks = (0..<(1 + random.next() % 8)).map { i in "[\"\(price(Double(i) * 0.1))\",\"\(quantity(&random))\",\"0\",\"\(1 + random.next() % 9)\"]" }
                let bids = (0..<(1 + random.next() % 8)).map { i in "[\"\(price(-Double(i) * 0.1))\",\"\(quantity(&random))\",\"0\",\"\(1 + random.next() % 9)\"]" }
                text = "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\",\"data\":[{\"asks\":[\(asks.joined(separator: ","))],"
                    + "\"bids\":[\(bids.joined(separator: ","))],\"ts\":\"\(eventMs)\",\"checksum\":\(Int32(truncatingIfNeeded: random.next()))}]}"
            }
            let bytes = Array(text.utf8)
            total += bytes.count
            frames.append(bytes)
        }
        return frames
    }
}

extension String {
    /// Fixed-point text without Foundation's `String(format:)` (which is slow and locale-dependent).
    init(format2 value: Double, decimals: Int) {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let whole = scaled / Int64(scale)
        let fraction = String(scaled % Int64(scale))
        self = "\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    }
}
