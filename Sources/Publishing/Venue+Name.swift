import Model

extension Venue {
    /// The raw value as a compile-time constant: subjects and ids start with it on every message, and a
    /// `StaticString` is copied without touching a `String` (no retain, no UTF-8 view).
    var name: StaticString {
        switch self {
        case .binance: "binance"
        case .binanceFutures: "binance_futures"
        case .okx: "okx"
        case .deribit: "deribit"
        }
    }
}
