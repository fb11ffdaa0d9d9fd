import Model
import Testing

@testable import Publishing

@Suite struct SubjectTests {
    @Test func subjectsFollowTheOriginalScheme() {
        let subjects = Fixtures.everyKind.map(Subject.make(for:))
        #expect(
            subjects == [
                "market.binance.BTC-USDT.trade",
                "market.binance.BTC-USDT.orderbook",
                "market.binance.BTC-USDT.ticker",
                "market.binance.BTC-USDT.kline.1m",
                "market.binance_futures.BTC-USDT-PERP.funding",
                "market.liquidation.binance_futures",
                "market.okx.ETH-USDT-PERP.open_interest",
            ])
    }

    @Test func optionSymbolsStayOneToken() {
        let s = Subject.make(venue: .deribit, symbol: Fixtures.option.symbol, channel: .trade)
        #expect(s == "market.deribit.BTC-USD-20240628-60000-C.trade")
        #expect(s.split(separator: ".").count == 4)
    }

    @Test(arguments: [("BTC.USDT", "BTC_USDT"), ("a*b", "a_b"), ("x>y", "x_y"), ("A B\tC", "A_B_C"), ("", "_"), ("ok-1", "ok-1")])
    func tokensNeverLeakSpecialCharacters(input: String, expected: String) {
        #expect(Subject.token(input) == expected)
        let subject = Subject.make(venue: .okx, symbol: input, channel: .kline(interval: input))
        #expect(subject.split(separator: ".", omittingEmptySubsequences: false).count == 5)
        #expect(!subject.contains("*") && !subject.contains(">") && !subject.contains(" "))
    }

    @Test func everySubjectMatchesTheStreamFilter() {
        for e in Fixtures.everyKind {
            #expect(Subject.make(for: e).hasPrefix("market."))
        }
        #expect(Subject.streamFilter == "market.>")
    }
}
