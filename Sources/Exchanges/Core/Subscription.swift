import Model

/// A venue-neutral data channel; each adapter maps it to its own stream or channel names.
public enum Channel: Hashable, Sendable, CustomStringConvertible {
    case trades
    case book
    case ticker
    /// Candles with a venue-neutral interval: `1m`, `5m`, `1h`, `1d`, `1w`, `1M` (month).
    case kline(interval: String)
    case funding
    case liquidations
    case openInterest

    public var description: String {
        switch self {
        case .trades: return "trades"
        case .book: return "book"
        case .ticker: return "ticker"
        case .kline(let i): return "kline_\(i)"
        case .funding: return "funding"
        case .liquidations: return "liquidations"
        case .openInterest: return "open_interest"
        }
    }
}

/// What to subscribe to on one venue: channels x native instrument names, in a fixed order
/// (the order decides the order of streams in URLs and subscribe frames, so it is part of the input).
public struct Subscription: Hashable, Sendable {
    public struct Entry: Hashable, Sendable {
        public var channel: Channel
        /// Native names as the venue spells them (`BTCUSDT`, `BTC-USDT-SWAP`, `BTC-PERPETUAL`).
        public var instruments: [String]

        public init(channel: Channel, instruments: [String]) {
            self.channel = channel
            self.instruments = instruments
        }
    }

    public var venue: Venue
    public var entries: [Entry]

    public init(venue: Venue, entries: [Entry]) {
        self.venue = venue
        self.entries = entries
    }

    /// Every channel for every instrument.
    public init(venue: Venue, channels: [Channel], instruments: [String]) {
        self.init(venue: venue, entries: channels.map { Entry(channel: $0, instruments: instruments) })
    }

    /// The distinct native names, in first-seen order.
    public var instruments: [String] {
        var seen = Set<String>()
        var out: [String] = []
        for e in entries {
            for name in e.instruments where seen.insert(name).inserted { out.append(name) }
        }
        return out
    }

    public func includes(_ channel: Channel) -> Bool {
        entries.contains { $0.channel == channel && !$0.instruments.isEmpty }
    }

    public func includes(_ channel: Channel, native: String) -> Bool {
        entries.contains { $0.channel == channel && $0.instruments.contains(native) }
    }
}
