/// The venues MarketPrism collects from. Raw values are the names used in subjects, configs and recordings.
public enum Venue: String, CaseIterable, Sendable, Hashable, Codable {
    case binance
    case binanceFutures = "binance_futures"
    case okx
    case deribit
}
