import Publishing
import Testing

@testable import Collector

struct MessageKindTests {
    @Test func subjectsMapToTheirKinds() {
        let cases: [(String, MessageKind)] = [
            ("market.binance.BTC-USDT.trade", .trade), ("market.okx.BTC-USDT-PERP.orderbook", .orderbook),
            ("market.binance.ETH-USDT.ticker", .ticker), ("market.binance.BTC-USDT.kline.1m", .kline),
            ("market.okx.BTC-USDT-PERP.funding", .funding), ("market.okx.BTC-USDT-PERP.open_interest", .openInterest),
            ("market.liquidation.binance_futures", .liquidation), ("market.x.y.unknown", .other),
            // A symbol that merely contains a kind's name is not that kind.
            ("market.x.trade-USDT.orderbook", .orderbook),
        ]
        for (subject, kind) in cases {
            #expect(MessageKind(OutboundMessage(subject: subject, id: "i", payload: Array("{}".utf8))) == kind, "\(subject)")
        }
        #expect(MessageKind.openInterest.name == "open_interest")
    }
}
