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
/// event moved. An instrument does not change once made; values compare and hash by their fields.
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
    let fields: Fields

    public init(venue: Venue, native: String, base: String, quote: String, kind: InstrumentKind) {
        fields = Fields(venue: venue, native: native, base: base.uppercased(), quote: quote.uppercased(), kind: kind)
    }

    @inlinable public var venue: Venue { fields.venue }
    /// The venue's own name, exactly as it appears on the wire (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`).
    @inlinable public var native: String { fields.native }
    @inlinable public var base: String { fields.base }
    @inlinable public var quote: String { fields.quote }
    @inlinable public var kind: InstrumentKind { fields.kind }

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
