import Foundation
import Model

/// The subscription as MarketPrism writes it into recording headers and reads it from configs:
/// `{"venue":"okx","channels":[{"channel":"book","instruments":["BTC-USDT"]},{"channel":"kline_1m",...}]}`.
/// Order is kept: it decides stream order in URLs and subscribe frames.
extension Subscription {
    public var json: String {
        var out = "{\"venue\":\"\(venue.rawValue)\",\"channels\":["
        out += entries.map { e in
            "{\"channel\":\"\(e.channel)\",\"instruments\":[" + e.instruments.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        }.joined(separator: ",")
        return out + "]}"
    }

    /// Parses `json`; nil when it is not this format (a cryptofeed configuration, say).
    public static func fromJSON(_ text: String) -> Subscription? {
        guard let data = text.data(using: .utf8),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let venueName = root["venue"] as? String, let venue = Venue(rawValue: venueName),
            let channels = root["channels"] as? [[String: Any]]
        else { return nil }
        var entries: [Entry] = []
        for c in channels {
            guard let name = c["channel"] as? String, let channel = Channel(name: name),
                let instruments = c["instruments"] as? [String]
            else { return nil }
            entries.append(Entry(channel: channel, instruments: instruments))
        }
        return Subscription(venue: venue, entries: entries)
    }
}

extension Channel {
    /// The inverse of `description`: `trades`, `book`, `ticker`, `kline_1m`, `funding`, `liquidations`, `open_interest`.
    public init?(name: String) {
        switch name {
        case "trades": self = .trades
        case "book": self = .book
        case "ticker": self = .ticker
        case "funding": self = .funding
        case "liquidations": self = .liquidations
        case "open_interest": self = .openInterest
        default:
            guard name.hasPrefix("kline_"), name.count > 6 else { return nil }
            self = .kline(interval: String(name.dropFirst(6)))
        }
    }
}
