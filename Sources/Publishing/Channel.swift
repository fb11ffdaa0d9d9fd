/// What kind of data a message carries; decides the last subject token(s) and the id rule.
public enum Channel: Hashable, Sendable {
    case trade
    case orderbook
    case ticker
    case funding
    case openInterest
    case kline(interval: String)
    case liquidation

    /// The name written into subjects, ids and the payload's `data_type`.
    public var name: String {
        switch self {
        case .trade: return "trade"
        case .orderbook: return "orderbook"
        case .ticker: return "ticker"
        case .funding: return "funding"
        case .openInterest: return "open_interest"
        case .kline: return "kline"
        case .liquidation: return "liquidation"
        }
    }
}
