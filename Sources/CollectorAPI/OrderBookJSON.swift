import CollectorControl
import Model
import Publishing

/// Writes books as the API's JSON with prices and quantities as exact JSON numbers: the view
/// carries the exchange's own decimal text, and a round trip through Double would change it.
enum OrderBookJSON {
    /// `{"exchange","symbol","sequence","timestamp","timestampNs","collectedAt","collectedAtNs","bids":[{"price","quantity"}],"asks":[...]}`,
    /// at most `depth` levels a side; `type` (websocket messages) and `dropped` go in front when given.
    static func bytes(_ book: OrderBookView, depth: Int, type: StaticString? = nil, dropped: Int? = nil) -> [UInt8] {
        let levels = min(depth, max(book.bids.count, book.asks.count))
        return JSONWriter.bytes(capacity: 256 + levels * 64) { w in
            w.byte(UInt8(ascii: "{"))
            if let type {
                w.raw("\"type\":\"")
                w.raw(type)
                w.raw("\",")
            }
            if let dropped {
                w.raw("\"dropped\":")
                w.integer(Int64(dropped))
                w.byte(UInt8(ascii: ","))
            }
            w.raw("\"exchange\":")
            w.string(book.exchange)
            w.raw(",\"symbol\":")
            w.string(book.symbol)
            w.raw(",\"sequence\":")
            if let sequence = book.sequence { w.integer(sequence) } else { w.raw("null") }
            w.raw(",\"timestamp\":")
            if let ns = book.exchangeTimeNs { w.isoTime(Instant(nanoseconds: ns)) } else { w.raw("null") }
            w.raw(",\"timestampNs\":")
            if let ns = book.exchangeTimeNs { w.integer(ns) } else { w.raw("null") }
            w.raw(",\"collectedAt\":")
            if let ns = book.receiveTimeNs { w.isoTime(Instant(nanoseconds: ns)) } else { w.raw("null") }
            w.raw(",\"collectedAtNs\":")
            if let ns = book.receiveTimeNs { w.integer(ns) } else { w.raw("null") }
            w.raw(",\"bids\":")
            side(book.bids, depth: depth, into: &w)
            w.raw(",\"asks\":")
            side(book.asks, depth: depth, into: &w)
            w.byte(UInt8(ascii: "}"))
        }
    }

    private static func side(_ levels: [PriceLevelView], depth: Int, into w: inout JSONWriter) {
        w.byte(UInt8(ascii: "["))
        for (i, level) in levels.prefix(max(0, depth)).enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            w.raw("{\"price\":")
            number(level.price, into: &w)
            w.raw(",\"quantity\":")
            number(level.quantity, into: &w)
            w.byte(UInt8(ascii: "}"))
        }
        w.byte(UInt8(ascii: "]"))
    }

    /// The text itself when it is already a JSON number; else its exact decimal value (".5" -> 0.5,
    /// "+1" -> 1); a string only when it is no number at all, so the document stays valid JSON.
    static func number(_ text: String, into w: inout JSONWriter) {
        var t = text
        let valid = t.withUTF8 { buf -> Bool in
            guard isJSONNumber(buf) else { return false }
            w.append(buf)
            return true
        }
        if valid { return }
        if let exact = FixedDecimal(text) {
            w.decimal(exact)
        } else {
            w.string(text)
        }
    }

    /// RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    static func isJSONNumber(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = b.count
        @inline(__always) func digit(_ k: Int) -> Bool { k < n && b[k] >= 48 && b[k] <= 57 }
        if i < n && b[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { return false }
        if b[i] == 48 {
            i += 1
        } else {
            while digit(i) { i += 1 }
        }
        if i < n && b[i] == UInt8(ascii: ".") {
            i += 1
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit(i) else { return false }
            while digit(i) { i += 1 }
        }
        return i == n
    }
}
