import Publishing

/// The kind of a published message, read from its subject's bytes (no String on the hot path):
/// the `type` dimension of `marketprism_messages_total`.
enum MessageKind: Int, CaseIterable, Sendable {
    case trade, orderbook, ticker, kline, funding, openInterest, liquidation, other

    var name: String {
        switch self {
        case .trade: "trade"
        case .orderbook: "orderbook"
        case .ticker: "ticker"
        case .kline: "kline"
        case .funding: "funding"
        case .openInterest: "open_interest"
        case .liquidation: "liquidation"
        case .other: "other"
        }
    }

    private static let suffixes: [(MessageKind, [UInt8])] = [
        (.trade, Array(".trade".utf8)), (.orderbook, Array(".orderbook".utf8)), (.ticker, Array(".ticker".utf8)),
        (.funding, Array(".funding".utf8)), (.openInterest, Array(".open_interest".utf8)),
    ]
    private static let liquidationPrefix = Array("market.liquidation.".utf8)
    private static let klineToken = Array(".kline.".utf8)

    init(_ message: OutboundMessage) {
        let s = message.storage
        let end = s.firstIndex(of: 0) ?? s.count
        for (kind, suffix) in Self.suffixes where end >= suffix.count {
            if s[(end - suffix.count)..<end].elementsEqual(suffix) {
                self = kind
                return
            }
        }
        if end >= Self.liquidationPrefix.count && s[0..<Self.liquidationPrefix.count].elementsEqual(Self.liquidationPrefix) {
            self = .liquidation
            return
        }
        let token = Self.klineToken
        if end >= token.count {
            for i in 0...(end - token.count) where s[i] == token[0] && s[i..<(i + token.count)].elementsEqual(token) {
                self = .kline
                return
            }
        }
        self = .other
    }
}
