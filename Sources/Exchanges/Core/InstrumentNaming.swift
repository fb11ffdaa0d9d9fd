import Model

/// The fallback used when no instruments metadata is at hand: derive an `Instrument` from the
/// venue's naming convention alone.
///
/// - Binance spot: `<BASE><QUOTE>` split at the longest known quote-asset suffix (`quoteAssetSuffixes`).
/// - Binance USD-M: the same for perpetuals; `<BASE><QUOTE>_YYMMDD` for quarterly futures.
/// - OKX: `BASE-QUOTE` spot, `BASE-QUOTE-SWAP`, `BASE-QUOTE-YYMMDD`, `BASE-QUOTE-YYMMDD-STRIKE-C|P`.
/// - Deribit: `BTC-PERPETUAL`, `BTC-24SEP21`, `BTC-24SEP21-8000-P` (quote USD, the strike currency),
///   `ETH_USDC-PERPETUAL` and `BTC_USDC` (explicit quote), strikes with `d` as decimal point (`0d625`).
public enum InstrumentNaming {
    /// Binance quote assets, longest first so `FDUSD` wins over `USD` and `USDT` over `USD`.
    public static let quoteAssetSuffixes: [String] = [
        "FDUSD", "USDT", "BUSD", "USDC", "TUSD", "USDP", "USDS", "BIDR", "IDRT", "AEUR", "EURI", "BVND",
        "DOGE", "USD", "BTC", "ETH", "BNB", "EUR", "TRY", "BRL", "GBP", "AUD", "UAH", "RUB", "NGN", "PLN",
        "RON", "ZAR", "ARS", "JPY", "MXN", "COP", "CZK", "DAI", "PAX", "VAI", "XRP", "TRX", "DOT", "UST",
    ].sorted { $0.count > $1.count }

    public static func instrument(venue: Venue, native: String) -> Instrument? {
        switch venue {
        case .binance: return binanceSpot(native)
        case .binanceFutures: return binanceFutures(native)
        case .okx: return okx(native)
        case .deribit: return deribit(native)
        }
    }

    static func splitBinancePair(_ pair: Substring) -> (String, String)? {
        for q in quoteAssetSuffixes where pair.count > q.count && pair.hasSuffix(q) {
            return (String(pair.dropLast(q.count)), q)
        }
        return nil
    }

    static func binanceSpot(_ native: String) -> Instrument? {
        guard let (b, q) = splitBinancePair(Substring(native)) else { return nil }
        return Instrument(venue: .binance, native: native, base: b, quote: q, kind: .spot)
    }

    static func binanceFutures(_ native: String) -> Instrument? {
        let parts = native.split(separator: "_", omittingEmptySubsequences: false)
        guard let (b, q) = splitBinancePair(parts[0]) else { return nil }
        switch parts.count {
        case 1:
            return Instrument(venue: .binanceFutures, native: native, base: b, quote: q, kind: .perpetual)
        case 2 where parts[1] == "PERP":
            return Instrument(venue: .binanceFutures, native: native, base: b, quote: q, kind: .perpetual)
        case 2:
            guard let expiry = ExpiryDate.fromYYMMDD(parts[1]) else { return nil }
            return Instrument(venue: .binanceFutures, native: native, base: b, quote: q, kind: .future(expiry: expiry))
        default:
            return nil
        }
    }

    static func okx(_ native: String) -> Instrument? {
        let p = native.split(separator: "-", omittingEmptySubsequences: false)
        guard p.count >= 2, !p[0].isEmpty, !p[1].isEmpty else { return nil }
        let (b, q) = (String(p[0]), String(p[1]))
        switch p.count {
        case 2:
            return Instrument(venue: .okx, native: native, base: b, quote: q, kind: .spot)
        case 3 where p[2] == "SWAP":
            return Instrument(venue: .okx, native: native, base: b, quote: q, kind: .perpetual)
        case 3:
            guard let expiry = ExpiryDate.fromYYMMDD(p[2]) else { return nil }
            return Instrument(venue: .okx, native: native, base: b, quote: q, kind: .future(expiry: expiry))
        case 5:
            guard let expiry = ExpiryDate.fromYYMMDD(p[2]), let strike = FixedDecimal(String(p[3])),
                let right = OptionRight(rawValue: String(p[4]))
            else { return nil }
            return Instrument(
                venue: .okx, native: native, base: b, quote: q, kind: .option(expiry: expiry, strike: strike, right: right))
        default:
            return nil
        }
    }

    static func deribit(_ native: String) -> Instrument? {
        let p = native.split(separator: "-", omittingEmptySubsequences: false)
        let currency = p[0].split(separator: "_", omittingEmptySubsequences: false)
        guard !currency[0].isEmpty, currency.count <= 2 else { return nil }
        let base = String(currency[0])
        let quote = currency.count == 2 ? String(currency[1]) : "USD"
        switch p.count {
        case 1:
            guard currency.count == 2, !currency[1].isEmpty else { return nil }
            return Instrument(venue: .deribit, native: native, base: base, quote: quote, kind: .spot)
        case 2 where p[1] == "PERPETUAL":
            return Instrument(venue: .deribit, native: native, base: base, quote: quote, kind: .perpetual)
        case 2:
            guard let expiry = ExpiryDate.fromDeribit(p[1]) else { return nil }
            return Instrument(venue: .deribit, native: native, base: base, quote: quote, kind: .future(expiry: expiry))
        case 4:
            guard let expiry = ExpiryDate.fromDeribit(p[1]),
                let strike = FixedDecimal(String(p[2].map { $0 == "d" ? "." : $0 })),
                let right = OptionRight(rawValue: String(p[3]))
            else { return nil }
            return Instrument(
                venue: .deribit, native: native, base: base, quote: quote,
                kind: .option(expiry: expiry, strike: strike, right: right))
        default:
            return nil
        }
    }

    /// The native name a venue would give `instrument`'s market (for encoders and symbol mapping).
    public static func nativeName(venue: Venue, base: String, quote: String, kind: InstrumentKind) -> String? {
        switch (venue, kind) {
        case (.binance, .spot), (.binanceFutures, .perpetual):
            return base + quote
        case (.binanceFutures, .future(let expiry)):
            return base + quote + "_" + ExpiryDate.toYYMMDD(expiry)
        case (.okx, .spot):
            return "\(base)-\(quote)"
        case (.okx, .perpetual):
            return "\(base)-\(quote)-SWAP"
        case (.okx, .future(let expiry)):
            return "\(base)-\(quote)-\(ExpiryDate.toYYMMDD(expiry))"
        case (.okx, .option(let expiry, let strike, let right)):
            return "\(base)-\(quote)-\(ExpiryDate.toYYMMDD(expiry))-\(strike.normalized)-\(right.rawValue)"
        case (.deribit, .spot):
            return "\(base)_\(quote)"
        case (.deribit, .perpetual):
            return (quote == "USD" ? base : "\(base)_\(quote)") + "-PERPETUAL"
        case (.deribit, .future(let expiry)):
            guard let d = ExpiryDate.toDeribit(expiry) else { return nil }
            return (quote == "USD" ? base : "\(base)_\(quote)") + "-" + d
        case (.deribit, .option(let expiry, let strike, let right)):
            guard let d = ExpiryDate.toDeribit(expiry) else { return nil }
            let k = String("\(strike.normalized)".map { $0 == "." ? "d" : $0 })
            return (quote == "USD" ? base : "\(base)_\(quote)") + "-\(d)-\(k)-\(right.rawValue)"
        default:
            return nil
        }
    }
}
