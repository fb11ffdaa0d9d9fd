import Model
import Testing

@testable import Publishing

@Suite struct MessageIdTests {
    @Test func idsFollowTheDocumentedRules() {
        let ids = Fixtures.everyKind.map(MessageId.make(for:))
        #expect(
            ids == [
                "binance:BTCUSDT:trade:1",
                "binance:BTCUSDT:orderbook:4242",
                "binance:BTCUSDT:ticker:s400900217",
                "binance:BTCUSDT:kline:1m:1714564740000000000:1714564800000000000",
                "binance_futures:BTCUSDT:funding:t1714564800000000000",
                "binance_futures:BTCUSDT:liquidation:t1714564800000000000:sell:63500.5:0.014",
                "okx:ETH-USDT-SWAP:open_interest:t1714564800000000000",
            ])
    }

    @Test func idsIgnoreTheLocalReceiveTime() {
        // Two collectors receive the same trade at different local times: one id.
        #expect(MessageId.make(for: Fixtures.trade(7)) == MessageId.make(for: Fixtures.trade(7, receiveOffset: 123_456_789)))
        #expect(MessageId.make(for: Fixtures.trade(7)) != MessageId.make(for: Fixtures.trade(8)))
    }

    @Test func sameTradeIdOnAnotherInstrumentOrVenueIsAnotherMessage() {
        let a = MessageId.make(for: Fixtures.trade(5, instrument: Fixtures.btcSpot))
        let b = MessageId.make(for: Fixtures.trade(5, instrument: Fixtures.btcPerp))
        let c = MessageId.make(for: Fixtures.trade(5, instrument: Fixtures.ethSwap))
        #expect(Set([a, b, c]).count == 3)
    }

    @Test func tickerWithoutSequenceUsesExchangeTime() {
        let t = Ticker(instrument: Fixtures.ethSwap, last: 3000, exchangeTime: .milliseconds(5), receiveTime: .milliseconds(9))
        #expect(MessageId.make(for: .ticker(t)) == "okx:ETH-USDT-SWAP:ticker:t5000000")
    }

    @Test func controlCharactersCannotBreakTheHeader() {
        var trade = Trade(
            instrument: Fixtures.btcSpot, tradeId: "1\r\nX-Evil: 1", price: 1, quantity: 1, side: .buy, exchangeTime: .zero,
            receiveTime: .zero)
        trade.tradeId = "1\r\nX-Evil: 1"
        let id = MessageId.make(for: .trade(trade))
        #expect(!id.utf8.contains(where: { $0 < 0x20 }))
        #expect(id == "binance:BTCUSDT:trade:1__X-Evil: 1")
    }
}
