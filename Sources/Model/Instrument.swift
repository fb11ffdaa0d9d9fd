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
///
/// The fields live in one immutable shared box: every event carries its instrument through parsing, book sync and
/// publishing, and copying one reference costs one retain where the fields cost four and ~80 bytes more in every
/// event moved. Setting a field gives this value a new box; values compare and hash by their fields.
public struct Instrument: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    final class Fields: Sendable {
        @usableFromInline let venue: Venue
        @usableFromInline let native: String
        @usableFromInline let base: String
        @usableFromInline let quote: String
        @usableFromInline let kind: InstrumentKind
        /// Computed once: encoders and reports ask for it per message.
        @usableFromInline let symbol: String

        init(venue: Venue, native: String, base: String, quote: String, kind: InstrumentKind) {
            self.venue = venue
            self.native = native
            self.base = base
            self.quote = quote
            self.kind = kind
            switch kind {
            case .spot: symbol = "\(base)-\(quote)"
            case .perpetual: symbol = "\(base)-\(quote)-PERP"
            case .future(let expiry): symbol = "\(base)-\(quote)-\(expiry)"
            case .option(let expiry, let strike, let right):
                symbol = "\(base)-\(quote)-\(expiry)-\(strike.normalized)-\(right.rawValue)"
            }
        }
    }

    @usableFromInline
    var fields: Fields

    public init(venue: Venue, native: String, base: String, quote: String, kind: InstrumentKind) {
        fields = Fields(venue: venue, native: native, base: base.uppercased(), quote: quote.uppercased(), kind: kind)
    }

    public var venue: Venue {
        @inlinable get { fields.venue }
        set { fields = Fields(venue: newValue, native: native, base: base, quote: quote, kind: kind) }
    }

    /// The venue's own name, exactly as it appears on the wire (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`).
    public var native: String {
        @inlinable get { fields.native }
        set { fields = Fields(venue: venue, native: newValue, base: base, quote: quote, kind: kind) }
    }

    public var base: String {
        @inlinable get { fields.base }
        set { fields = Fields(venue: venue, native: native, base: newValue, quote: quote, kind: kind) }
    }

    public var quote: String {
        @inlinable get { fields.quote }
        set { fields = Fields(venue: venue, native: native, base: base, quote: newValue, kind: kind) }
    }

    public var kind: InstrumentKind {
        @inlinable get { fields.kind }
        set { fields = Fields(venue: venue, native: native, base: base, quote: quote, kind: newValue) }
    }

    /// The normalized symbol.
    @inlinable
    public var symbol: String { fields.symbol }

    public var description: String { "\(venue.rawValue):\(symbol)" }

    @inlinable
    public static func == (lhs: Instrument, rhs: Instrument) -> Bool {
        if lhs.fields === rhs.fields { return true }
        return lhs.venue == rhs.venue && lhs.native == rhs.native && lhs.base == rhs.base
            && lhs.quote == rhs.quote && lhs.kind == rhs.kind
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(venue)
        hasher.combine(native)
        hasher.combine(base)
        hasher.combine(quote)
        hasher.combine(kind)
    }
}
