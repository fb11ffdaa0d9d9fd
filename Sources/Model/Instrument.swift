/// Whether a traded contract is spot, a perpetual swap, a dated future or an option.
public enum InstrumentKind: Hashable, Sendable {
    case spot
    case perpetual
    /// Expiry as `YYYYMMDD`.
    case future(expiry: String)
    case option(expiry: String, strike: FixedDecimal, right: OptionRight)
}

public enum OptionRight: String, Hashable, Sendable {
    case call = "C"
    case put = "P"
}

/// A market on one venue, with a normalized symbol that compares across venues
/// (`BTC-USDT`, `BTC-USDT-PERP`, `BTC-USD-20240628`, `BTC-USD-20240628-60000-C`) and the venue's native name.
public struct Instrument: Hashable, Sendable, CustomStringConvertible {
    public var venue: Venue
    /// The venue's own name, exactly as it appears on the wire (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`).
    public var native: String
    public var base: String
    public var quote: String
    public var kind: InstrumentKind

    public init(venue: Venue, native: String, base: String, quote: String, kind: InstrumentKind) {
        self.venue = venue
        self.native = native
        self.base = base.uppercased()
        self.quote = quote.uppercased()
        self.kind = kind
    }

    /// The normalized symbol.
    public var symbol: String {
        switch kind {
        case .spot: return "\(base)-\(quote)"
        case .perpetual: return "\(base)-\(quote)-PERP"
        case .future(let expiry): return "\(base)-\(quote)-\(expiry)"
        case .option(let expiry, let strike, let right): return "\(base)-\(quote)-\(expiry)-\(strike.normalized)-\(right.rawValue)"
        }
    }

    public var description: String { "\(venue.rawValue):\(symbol)" }
}
