@testable import ExchangeServer
import Model
import Simulation
import Testing

/// The sans-IO pieces: path routing, the venue sessions' replies, client frame decoding, fault windows.
struct SessionLogicTests {
    @Test func websocketPathsResolvePerVenueAndUnprefixedOnlyWhenUnambiguous() {
        let all: [Venue] = [.binance, .binanceFutures, .okx, .deribit]
        #expect(ServedPaths.webSocketRoute(path: "/binance/stream", served: all)?.venue == .binance)
        #expect(ServedPaths.webSocketRoute(path: "/binance_futures/ws", served: all) == WebSocketRoute(venue: .binanceFutures, binanceRaw: true, rawStreams: []))
        #expect(ServedPaths.webSocketRoute(path: "/stream", served: all) == nil, "spot and futures both have /stream")
        #expect(ServedPaths.webSocketRoute(path: "/stream", served: [.binanceFutures, .okx])?.venue == .binanceFutures)
        #expect(ServedPaths.webSocketRoute(path: "/ws/v5/public", served: all)?.venue == .okx)
        #expect(ServedPaths.webSocketRoute(path: "/binance/ws/btcusdt@aggTrade", served: all)?.rawStreams == ["btcusdt@aggTrade"])
        #expect(ServedPaths.restVenue(path: "/fapi/v1/depth") == .binanceFutures)
        #expect(ServedPaths.restVenue(path: "/api/v2/public/get_order_book") == .deribit)
    }

    @Test func binanceStreamsInTheURLSubscribeAtOnce() {
        var session = VenueSession(route: WebSocketRoute(venue: .binance, binanceRaw: false, rawStreams: []), connectionNumber: 0)
        #expect(session.opened(target: "/binance/stream?streams=btcusdt@depth@100ms/ethusdt@aggTrade") == [.subscribe(["btcusdt@depth@100ms", "ethusdt@aggTrade"])])
        let reply = session.received(text: Array(#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","ethusdt@aggTrade"],"id":7}"#.utf8))
        #expect(reply == [.send(Array(#"{"result":null,"id":7}"#.utf8)), .subscribe(["btcusdt@aggTrade"])])
    }

    @Test func okxAcksEachArgumentAndAnswersPing() {
        var session = VenueSession(route: WebSocketRoute(venue: .okx, binanceRaw: false, rawStreams: []), connectionNumber: 1)
        let effects = session.received(text: Array(#"{"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"},{"channel":"trades","instId":"ETH-USDT"}]}"#.utf8))
        #expect(effects.count == 3)
        #expect(effects[0] == .send(Array("{\"event\":\"subscribe\",\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"connId\":\"\(session.connectionID)\"}".utf8)))
        #expect(effects[2] == .subscribe(["books:BTC-USDT", "trades:ETH-USDT"]))
        #expect(session.received(text: Array("ping".utf8)) == [.keepalive(Array("pong".utf8))])
        if case .send(let bytes) = session.received(text: Array("nonsense".utf8)).first {
            #expect(String(decoding: bytes, as: UTF8.self).hasPrefix(#"{"event":"error","code":"60012""#))
        } else {
            Issue.record("no error reply")
        }
    }

    @Test func deribitJSONRPC() {
        var session = VenueSession(route: WebSocketRoute(venue: .deribit, binanceRaw: false, rawStreams: []), connectionNumber: 2)
        let sub = session.received(text: Array(#"{"jsonrpc":"2.0","id":3,"method":"public/subscribe","params":{"channels":["book.BTC-PERPETUAL.100ms"]}}"#.utf8))
        #expect(sub == [.send(Array(#"{"jsonrpc":"2.0","id":3,"result":["book.BTC-PERPETUAL.100ms"]}"#.utf8)), .subscribe(["book.BTC-PERPETUAL"])])
        let hb = session.received(text: Array(#"{"jsonrpc":"2.0","id":4,"method":"public/set_heartbeat","params":{"interval":15}}"#.utf8))
        #expect(hb.last == .heartbeats(seconds: 15))
        let tooShort = session.received(text: Array(#"{"jsonrpc":"2.0","id":5,"method":"public/set_heartbeat","params":{"interval":3}}"#.utf8))
        #expect(tooShort.count == 1)
        let unknown = session.received(text: Array(#"{"jsonrpc":"2.0","id":"x","method":"private/buy","params":{}}"#.utf8))
        #expect(unknown == [.send(Array(#"{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"Method not found"}}"#.utf8))])
    }

    @Test func recordedFrameKeys() {
        func key(_ venue: Venue, _ text: String) -> String? {
            Array(text.utf8).withUnsafeBytes { RecordedFrameKey.key(venue: venue, frame: $0) }
        }
        #expect(key(.binance, #"{"stream":"btcusdt@aggTrade","data":{"e":"aggTrade"}}"#) == "btcusdt@aggTrade")
        #expect(key(.binance, #"{"result":null,"id":1}"#) == nil)
        #expect(key(.okx, #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[]}"#) == "books:BTC-USDT")
        #expect(key(.okx, #"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}}"#) == nil)
        #expect(key(.okx, "pong") == nil)
        #expect(key(.deribit, #"{"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.BTC-PERPETUAL.raw","data":{}}}"#) == "book.BTC-PERPETUAL")
        #expect(key(.deribit, #"{"jsonrpc":"2.0","id":1,"result":["book.BTC-PERPETUAL.raw"]}"#) == nil)
    }

    @Test func faultWindowsOneShotsAndCounts() throws {
        var plan = try FaultPlan(faults: [
            Fault(kind: .connectionStall, at: 1_000, duration: 500),
            Fault(kind: .connectionReset, at: 2_000),
            Fault(kind: .connectRefuse, at: 0, count: 2),
        ])
        #expect(plan.window(.connectionStall, at: 999) == nil)
        #expect(plan.window(.connectionStall, at: 1_200) != nil)
        #expect(plan.window(.connectionStall, at: 1_500) == nil)
        #expect(plan.oneShots(after: 1_500, upTo: 2_000, openedAt: 0).map(\.kind) == [.connectionReset])
        #expect(plan.oneShots(after: 1_500, upTo: 2_000, openedAt: 2_001).isEmpty, "opened after it fired")
        #expect(plan.take([.connectRefuse], at: 10) != nil)
        #expect(plan.take([.connectRefuse], at: 10) != nil)
        #expect(plan.take([.connectRefuse], at: 10) == nil)
        #expect(plan.nextChange(after: 1_200) == 1_500)
        #expect(throws: ExchangeServerError.self) { _ = try FaultPlan(faults: [Fault(kind: .brokerDown, at: 0, duration: 1)]) }
    }

    @Test func pacingFollowsRecordedTimesFromTheStart() {
        let clock = ReplayClock(speed: .multiple(2), firstFrameNs: 1_000)
        #expect(clock.due(wallNs: 1_000, startNs: 50) == 50)
        #expect(clock.due(wallNs: 3_000, startNs: 50) == 1_050)
        #expect(clock.recordedTime(nowNs: 1_050, startNs: 50) == 3_000)
        #expect(ReplayClock(speed: .max, firstFrameNs: 0).due(wallNs: 99, startNs: 5) == 5)
    }
}
