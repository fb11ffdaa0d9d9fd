import Exchanges
import Model
import Testing

/// Acks, errors, keepalives, malformed input, subscription frames and REST requests.
struct ProtocolFrameTests {
    static func parse<A: VenueAdapter>(_ adapter: inout A, _ text: String) -> [AdapterOutput] {
        var out: [AdapterOutput] = []
        adapter.parse(frame: Array(text.utf8), receivedAt: .milliseconds(1), into: &out)
        return out
    }

    static func okx() -> OKXAdapter {
        OKXAdapter(
            subscription: Subscription(venue: .okx, channels: [.book, .trades, .liquidations], instruments: ["BTC-USDT", "BTC-USDT-SWAP"]),
            catalog: InstrumentCatalog(venue: .okx))
    }

    static func deribit() -> DeribitAdapter {
        DeribitAdapter(
            subscription: Subscription(venue: .deribit, channels: [.book, .ticker, .funding], instruments: ["BTC-PERPETUAL"]),
            catalog: InstrumentCatalog(venue: .deribit), heartbeatInterval: 15)
    }

    @Test func okxControlFrames() {
        var a = Self.okx()
        #expect(Self.parse(&a, "pong") == [.pong])
        #expect(Self.parse(&a, "ping") == [.replyRequired(frame: Array("pong".utf8))])
        #expect(
            Self.parse(&a, #"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a4d3ae55"}"#)
                == [.subscribed(channels: ["books:BTC-USDT"])])
        #expect(
            Self.parse(&a, #"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#)
                == [.subscribeError(code: "60012", message: #"Invalid request: {"op": "subscribe"}"#)])
        #expect(
            Self.parse(&a, #"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade."}"#)
                == [.notice(code: "64008", message: "The connection will soon be closed for a service upgrade.")])
        #expect(a.counters.controlMessages == 5 && a.counters.errors == 0 && a.counters.frames == 5)
        #expect(a.keepalive == .clientPing(frame: Array("ping".utf8), idle: .seconds(25), deadline: .seconds(30)))
    }

    @Test func okxLegacyAndNewBookSequencing() throws {
        var a = Self.okx()
        let snapshot = Self.parse(
            &a,
            #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["41006.8","0.60038921","0","1"]],"bids":[["41006.3","0.30178218","0","2"]],"ts":"1629966436396","checksum":-1285307224,"prevSeqId":-1,"seqId":123456}]}"#
        )
        guard case .event(.book(let b)) = try #require(snapshot.first) else { Issue.record("no book"); return }
        #expect(b.kind == .snapshot && b.sequence == BookSequence(first: 123_456, last: 123_456, previous: -1))
        #expect(b.checksum == -1_285_307_224 && b.instrument.symbol == "BTC-USDT")
        #expect(b.asks == [BookLevel(price: FixedDecimal("41006.8")!, size: FixedDecimal("0.60038921")!)])
        let update = Self.parse(
            &a,
            #"{"arg":{"channel":"books","instId":"BTC-USDT-SWAP"},"action":"update","data":[{"asks":[],"bids":[["1","0","0","0"]],"ts":"1","checksum":0,"prevSeqId":123456,"seqId":123457}]}"#
        )
        guard case .event(.book(let u)) = try #require(update.first) else { Issue.record("no book"); return }
        #expect(u.kind == .delta && u.sequence.previous == 123_456 && u.checksum == nil, "checksum 0 (2026) means none")
        #expect(u.instrument.symbol == "BTC-USDT-PERP")
    }

    @Test func okxSubscribeFramesAndRequests() throws {
        let a = Self.okx()
        let frames = a.subscribeFrames().map { String(decoding: $0, as: UTF8.self) }
        #expect(
            frames == [
                #"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"books","instId":"BTC-USDT-SWAP"},{"channel":"trades","instId":"BTC-USDT"},{"channel":"trades","instId":"BTC-USDT-SWAP"},{"channel":"liquidation-orders","instType":"SWAP"}]}"#
            ])
        let swap = try #require(a.catalog.instrument(native: "BTC-USDT-SWAP"))
        #expect(a.snapshotRequest(for: swap).url == "https://www.okx.com/api/v5/market/books?instId=BTC-USDT-SWAP&sz=400")
        #expect(a.fundingRequest(for: swap)?.pathAndQuery == "/api/v5/public/funding-rate?instId=BTC-USDT-SWAP")
        #expect(a.openInterestRequest(for: swap)?.pathAndQuery == "/api/v5/public/open-interest?instType=SWAP&instId=BTC-USDT-SWAP")
        var b = a
        let error = b.parseSnapshot(body: Array(#"{"code":"51001","msg":"Instrument ID does not exist","data":[]}"#.utf8), instrument: swap, receivedAt: .zero)
        #expect(error == .failure(FrameError(.venueError(code: "51001", message: "Instrument ID does not exist"), offset: 0)))
        #expect(b.counters.errors(.venueError) == 1)
    }

    @Test func deribitHeartbeatsAcksAndErrors() {
        var a = Self.deribit()
        let test = Self.parse(&a, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#)
        #expect(test == [.replyRequired(frame: Array(#"{"jsonrpc":"2.0","id":1000000,"method":"public/test","params":{}}"#.utf8))])
        let test2 = Self.parse(&a, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}"#)
        #expect(test2 == [.replyRequired(frame: Array(#"{"jsonrpc":"2.0","id":1000001,"method":"public/test","params":{}}"#.utf8))])
        #expect(Self.parse(&a, #"{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}"#) == [.heartbeat])
        #expect(Self.parse(&a, #"{"jsonrpc":"2.0","id":0,"result":"ok","usIn":1,"usOut":2,"usDiff":1,"testnet":false}"#) == [.response(id: 0)])
        #expect(
            Self.parse(&a, #"{"jsonrpc":"2.0","id":1,"result":["book.BTC-PERPETUAL.100ms"]}"#)
                == [.subscribed(channels: ["book.BTC-PERPETUAL.100ms"])])
        #expect(
            Self.parse(&a, #"{"jsonrpc":"2.0","id":8163,"error":{"code":11050,"message":"bad_request"},"testnet":false}"#)
                == [.subscribeError(code: "11050", message: "bad_request")])
        let frames = a.connectFrames().map { String(decoding: $0, as: UTF8.self) }
        #expect(
            frames == [
                #"{"jsonrpc":"2.0","id":0,"method":"public/set_heartbeat","params":{"interval":15}}"#,
                #"{"jsonrpc":"2.0","id":1,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.100ms","ticker.BTC-PERPETUAL.100ms"]}}"#,
            ])
        #expect(a.counters.errors == 0)
    }

    @Test func deribitTickerFeedsFundingAndExponentNumbers() throws {
        var a = Self.deribit()
        let out = Self.parse(
            &a,
            #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.BTC-PERPETUAL.100ms","data":{"timestamp":1623060194301,"stats":{"volume_usd":1.0e8,"volume":null,"price_change":null,"low":null,"high":null},"state":"open","settlement_price":36000.0,"open_interest":502097590,"min_price":35898.37,"max_price":36991.72,"mark_price":36446.51,"last_price":36457.5,"interest_value":1.7362511643080387,"instrument_name":"BTC-PERPETUAL","index_price":36441.64,"funding_8h":2.5e-05,"estimated_delivery_price":36441.64,"current_funding":0.0,"best_bid_price":36442.5,"best_bid_amount":5000.0,"best_ask_price":36443.0,"best_ask_amount":1e-05}}}"#
        )
        #expect(out.count == 2, "ticker and funding are subscribed, open interest is not")
        guard case .event(.funding(let f)) = out.last else { Issue.record("no funding: \(out)"); return }
        #expect(f.rate == FixedDecimal("0.000025")! && f.markPrice == FixedDecimal("36446.51")! && f.indexPrice == FixedDecimal("36441.64")!)
        guard case .event(.ticker(let t)) = out.first else { Issue.record("no ticker"); return }
        #expect(t.bestAsk == BookLevel(price: 36443, size: FixedDecimal("0.00001")!))
        #expect(t.high24h == nil && t.last == FixedDecimal("36457.5")!)
    }

    @Test func binanceControlFramesAndRequests() throws {
        var a = BinanceSpotAdapter(
            subscription: Subscription(venue: .binance, channels: [.book, .trades, .funding], instruments: ["BTCUSDT"]),
            catalog: InstrumentCatalog(venue: .binance))
        #expect(Self.parse(&a, #"{"result":null,"id":1}"#) == [.subscribed(channels: ["id:1"])])
        #expect(Self.parse(&a, #"{"code":2,"msg":"Invalid request: unknown stream"}"#) == [.subscribeError(code: "2", message: "Invalid request: unknown stream")])
        #expect(Self.parse(&a, #"{"error":{"code":2,"msg":"Invalid request"},"id":3}"#) == [.subscribeError(code: "2", message: "Invalid request")])
        #expect(a.websocketURL == "wss://stream.binance.com:9443/stream?streams=btcusdt@depth@100ms/btcusdt@aggTrade", "spot has no funding stream")
        #expect(a.subscribeFrames().isEmpty)
        #expect(String(decoding: a.liveSubscribeFrame(id: 9), as: UTF8.self) == #"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@aggTrade"],"id":9}"#)
        let payload: [UInt8] = [1, 2, 3]
        #expect(payload.withUnsafeBytes { a.pongPayload(forPing: $0) } == payload)
        let btc = try #require(a.catalog.instrument(native: "BTCUSDT"))
        #expect(BinanceSpotAdapter(subscription: a.subscription, catalog: a.catalog, depthLimit: 5000).snapshotRequest(for: btc).weight == 250)
        #expect(BinanceSpotAdapter(subscription: a.subscription, catalog: a.catalog, depthLimit: 100).snapshotRequest(for: btc).weight == 5)
        var f = BinanceFuturesAdapter(
            subscription: Subscription(venue: .binanceFutures, channels: [.book, .funding, .liquidations], instruments: ["BTCUSDT"]),
            catalog: InstrumentCatalog(venue: .binanceFutures))
        #expect(f.websocketURL == "wss://fstream.binance.com/stream?streams=btcusdt@depth@100ms/btcusdt@markPrice@1s/btcusdt@forceOrder")
        let fbtc = try #require(f.catalog.instrument(native: "BTCUSDT"))
        #expect(f.snapshotRequest(for: fbtc).url == "https://fapi.binance.com/fapi/v1/depth?symbol=BTCUSDT&limit=1000")
        #expect(f.snapshotRequest(for: fbtc).weight == 20)
        #expect(f.openInterestRequest(for: fbtc)?.pathAndQuery == "/fapi/v1/openInterest?symbol=BTCUSDT")
        let rejected = f.parseSnapshot(body: Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8), instrument: fbtc, receivedAt: .zero)
        #expect(rejected == .failure(FrameError(.venueError(code: "-1121", message: "Invalid symbol."), offset: 0)))
        // Futures depth with pu; markPrice; forceOrder (documented frames).
        let depth = Self.parse(
            &f,
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1591270260907,"T":1591270260891,"s":"BTCUSDT","U":157,"u":160,"pu":149,"b":[["9517.12","10"]],"a":[["9518.20","0.000"]]}}"#
        )
        guard case .event(.book(let b)) = depth.first else { Issue.record("no book \(depth)"); return }
        #expect(b.sequence == BookSequence(first: 157, last: 160, previous: 149))
        #expect(b.asks == [BookLevel(price: FixedDecimal("9518.2")!, size: 0)])
        let mark = Self.parse(
            &f,
            #"{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","E":1562305380000,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"11784.25641265","r":"0.00038167","T":1562306400000}}"#
        )
        #expect(
            mark == [
                .event(.funding(FundingRate(
                    instrument: fbtc, rate: FixedDecimal("0.00038167")!, nextFundingTime: .milliseconds(1_562_306_400_000),
                    markPrice: FixedDecimal("11794.15")!, indexPrice: FixedDecimal("11784.62659091")!,
                    exchangeTime: .milliseconds(1_562_305_380_000), receiveTime: .milliseconds(1))))
            ])
        let liquidation = Self.parse(
            &f,
            #"{"stream":"btcusdt@forceOrder","data":{"e":"forceOrder","E":1568014460893,"o":{"s":"BTCUSDT","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910","ap":"9910","X":"FILLED","l":"0.014","z":"0.014","T":1568014460893}}}"#
        )
        #expect(
            liquidation == [
                .event(.liquidation(Liquidation(
                    instrument: fbtc, side: .sell, price: 9910, quantity: FixedDecimal("0.014")!,
                    exchangeTime: .milliseconds(1_568_014_460_893), receiveTime: .milliseconds(1))))
            ])
        // A raw (unwrapped) stream event.
        let raw = Self.parse(&a, #"{"e":"trade","E":1,"s":"BTCUSDT","t":12345,"p":"0.001","q":"100","b":88,"a":50,"T":2,"m":true,"M":true}"#)
        guard case .event(.trade(let t)) = raw.first else { Issue.record("no trade \(raw)"); return }
        #expect(t.tradeId == "12345" && t.side == .sell && t.exchangeTime == .milliseconds(2))
    }

    @Test func malformedFramesBecomeCountedErrors() {
        var a = BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: InstrumentCatalog(venue: .binance, usesNamingFallback: false))
        let cases: [(String, FrameError.Reason.Kind)] = [
            (#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"]"#, .truncated),
            (#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[["1","2"]],"a":[]}}"#, .unknownInstrument),
            (#"{"stream":"btcusdt@bogus","data":{}}"#, .unknownChannel),
            (#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":1,"p":"x1","q":"1","T":1,"m":true}}"#, .invalidNumber),
            (#"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade","s":"BTCUSDT","a":1,"p":"1","q":"1","T":1}}"#, .missingField),
            (#"{"stream":"btcusdt@aggTrade","data":{"p":"1"]}"#, .unexpectedByte),
            (#"{"result":null,"id":1} x"#, .trailingBytes),
            (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), .unexpectedByte),
            (#"{"x":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}", .tooDeep),
            ("", .truncated),
            (#"{"id":1}"#, .unknownMessage),
        ]
        for (frame, kind) in cases {
            let out = Self.parse(&a, frame)
            #expect(out.count == 1, "\(frame)")
            guard case .error(let e) = out.first else {
                Issue.record("expected an error for \(frame), got \(out)")
                continue
            }
            #expect(e.reason.kind == kind, "\(frame): \(e)")
            #expect(e.offset >= 0 && e.offset <= frame.utf8.count)
        }
        #expect(a.counters.errors == cases.count)
        #expect(a.counters.errors(.truncated) == 2 && a.counters.events == 0 && a.counters.frames == cases.count)
        // A later valid frame still parses: errors leave no state behind.
        var b = BinanceSpotAdapter(subscription: Subscription(venue: .binance, entries: []), catalog: InstrumentCatalog(venue: .binance))
        _ = Self.parse(&b, "{\"stream\":")
        let ok = Self.parse(&b, #"{"stream":"btcusdt@bookTicker","data":{"u":400900217,"s":"BTCUSDT","b":"25.3519","B":"31.21","a":"25.3652","A":"40.66"}}"#)
        #expect(ok.count == 1 && b.counters.errors == 1 && b.counters.events == 1)
    }

    @Test func errorsInsideOneEventOfManyLeaveNoPartialOutput() {
        var a = Self.okx()
        let out = Self.parse(
            &a,
            #"{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"1","px":"1","sz":"1","side":"buy","ts":"1"},{"instId":"BTC-USDT","tradeId":"2","px":"1","sz":"1","side":"sideways","ts":"1"}]}"#
        )
        #expect(out.count == 1)
        guard case .error(let e) = out.first else { Issue.record("\(out)"); return }
        #expect(e.reason == .invalidValue && e.field == "side")
    }
}
