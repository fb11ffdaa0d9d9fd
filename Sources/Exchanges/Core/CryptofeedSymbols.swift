import Model

/// cryptofeed's configuration lines (`configuration: {"trades":["NKN-USDT"],"l2_book":[...]}`) as a
/// `Subscription`, so captures can be replayed with the subscription they were recorded with.
///
/// cryptofeed symbols: `BASE-QUOTE` spot, `BASE-QUOTE-PERP`, `BASE-QUOTE-YYmDD` futures (month code:
/// `22K27` is 2022-05-27), `BASE-STRIKE-YYmDD-call|put` options (no quote: the strike currency, USD).
extension Subscription {
    public static func fromCryptofeedConfiguration(json: [UInt8], venue: Venue) throws(FrameError) -> Subscription {
        let parsed = json.withUnsafeBytes { b in Result { () throws(FrameError) -> [Entry] in
            var entries: [Entry] = []
            var s = JSONScanner(b)
            try s.beginObject()
            var first = true
            while let k = try s.nextKey(&first) {
                let name = s.text(k)
                guard let channel = cryptofeedChannel(name) else {
                    throw FrameError(.unknownChannel(name), offset: k.lowerBound)
                }
                var natives: [String] = []
                try s.beginArray(field: "symbols")
                var f = true
                while try s.nextElement(&f) {
                    let r = try s.readString(field: "symbols")
                    let symbol = s.text(r)
                    guard let native = nativeName(cryptofeedSymbol: symbol, venue: venue) else {
                        throw FrameError(.unknownInstrument(symbol), offset: r.lowerBound)
                    }
                    natives.append(native)
                }
                entries.append(Entry(channel: channel, instruments: natives))
            }
            try s.finish()
            return entries
        } }
        return Subscription(venue: venue, entries: try parsed.get())
    }

    static func cryptofeedChannel(_ name: String) -> Channel? {
        switch name {
        case "trades": return .trades
        case "l2_book": return .book
        case "ticker": return .ticker
        case "candles": return .kline(interval: "1m")
        case "funding": return .funding
        case "open_interest": return .openInterest
        case "liquidations": return .liquidations
        default: return nil
        }
    }

    /// The venue's native name for a cryptofeed symbol, or nil if it has no such market shape.
    public static func nativeName(cryptofeedSymbol symbol: String, venue: Venue) -> String? {
        let p = symbol.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard p.count >= 2, p.allSatisfy({ !$0.isEmpty }) else { return nil }
        let kind: InstrumentKind
        var quote = p[1]
        switch p.count {
        case 2:
            kind = .spot
        case 3 where p[2] == "PERP":
            kind = .perpetual
        case 3:
            guard let expiry = ExpiryDate.fromCryptofeed(Substring(p[2])) else { return nil }
            kind = .future(expiry: expiry)
        case 4, 5:
            // BASE-STRIKE-CODE-type, or BASE-QUOTE-STRIKE-CODE-type.
            let o = p.count - 4
            if o == 0 { quote = "USD" }
            guard let strike = FixedDecimal(p[1 + o]), let expiry = ExpiryDate.fromCryptofeed(Substring(p[2 + o])) else {
                return nil
            }
            let right: OptionRight
            switch p[3 + o].lowercased() {
            case "call", "c": right = .call
            case "put", "p": right = .put
            default: return nil
            }
            kind = .option(expiry: expiry, strike: strike, right: right)
        default:
            return nil
        }
        return InstrumentNaming.nativeName(venue: venue, base: p[0].uppercased(), quote: quote.uppercased(), kind: kind)
    }
}
