import ExchangeServer
import Foundation
import Live
import Model
import Simulation
import TestSupport
import Testing

/// A client subscribing as the collector would gets exactly the recorded market-data frames, in order,
/// byte for byte, from each venue's endpoint.
struct StreamingTests {
    private func check(_ path: String) throws {
        let expected = try recordedDataFrames(path)
        try #require(!expected.isEmpty)
        let server = try startedServer([path])
        defer { server.stop() }
        let endpoint = try #require(server.endpoints.first)
        let adapter = try collectorAdapter(path)
        let got = try receiveAll(url: endpoint.websocketURL, venue: adapter.venue, send: adapter.connectFrames())
        #expect(got.error == nil)
        #expect(got.closeCode == 1000, "closed at the end of the recording")
        let data = got.texts.filter { isDataFrame($0, venue: adapter.venue) }
        #expect(data.count == expected.count)
        #expect(firstDifference(data, expected) == nil)
    }

    @Test(arguments: ["binance-spot", "binance-futures", "okx", "deribit"])
    func syntheticRecordingArrivesByteForByte(name: String) throws {
        try check(ServeRecordings.synthetic(name))
    }

    @Test(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)), arguments: ["BINANCE", "OKX", "DERIBIT"])
    func realCaptureArrivesByteForByte(feed: String) throws {
        try check(try ServeRecordings.sample(feed))
    }

    @Test func okxSubscriptionsAreAcknowledgedPerArgument() throws {
        let path = ServeRecordings.synthetic("okx")
        let server = try startedServer([path])
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        let frames = adapter.connectFrames()
        let got = try receiveAll(url: try #require(server.endpoints.first).websocketURL, venue: .okx, send: frames, limit: 1)
        let acks = got.texts.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix("{\"event\":\"subscribe\"") }
        let args = frames.map { String(decoding: $0, as: UTF8.self) }.reduce(0) { $0 + $1.components(separatedBy: "\"channel\"").count - 1 }
        #expect(acks.count == args)
        #expect(acks.first?.contains("\"arg\":{\"channel\":") == true)
    }

    @Test func binanceRawEndpointSendsBareDataObjects() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        let expected = try recordedDataFrames(path)
        let server = try startedServer([path])
        defer { server.stop() }
        let base = "ws://127.0.0.1:\(server.port)/binance/ws"
        let got = try receiveAll(
            url: base, venue: .okx, send: [Array(#"{"method":"SUBSCRIBE","params":["btcusdt@depth@100ms"],"id":1}"#.utf8)])
        #expect(got.closeCode == 1000)
        #expect(got.texts.first == Array(#"{"result":null,"id":1}"#.utf8))
        let depth = expected.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix("{\"stream\":\"btcusdt@depth@100ms\"") }
        let bare = depth.map { text -> String in
            let start = text.range(of: "\"data\":")!.upperBound
            return String(text[start..<text.index(before: text.endIndex)])
        }
        #expect(firstDifference(Array(got.texts.dropFirst()), bare.map { Array($0.utf8) }) == nil)
        #expect(!bare.isEmpty)
    }

    @Test func severalVenuesShareOnePortWithDistinctPaths() throws {
        let paths = ["binance-spot", "binance-futures", "okx", "deribit"].map(ServeRecordings.synthetic)
        let server = try startedServer(paths)
        defer { server.stop() }
        let urls = server.endpoints.map(\.websocketURL)
        #expect(urls.count == 4)
        #expect(urls[0].contains("/binance/stream?streams="))
        #expect(urls[1].contains("/binance_futures/stream?streams="))
        #expect(urls[2].hasSuffix("/okx/ws/v5/public"))
        #expect(urls[3].hasSuffix("/deribit/ws/api/v2"))
        #expect(Set(server.endpoints.map(\.restBaseURL)) == ["http://127.0.0.1:\(server.port)"])
        // Futures on its own path gets futures frames, not spot ones.
        let futures = try receiveAll(url: urls[1], venue: .binanceFutures, send: [], limit: 50)
        #expect(futures.texts.count == 50)
        #expect(futures.texts.allSatisfy { String(decoding: $0, as: UTF8.self).contains("\"stream\":") })
        #expect(futures.texts.contains { String(decoding: $0, as: UTF8.self).contains("markPrice") })
    }

    @Test func realTimePacingStillDeliversEverythingInOrder() throws {
        // 200x: the synthetic recording's 120 s in well under a second or two.
        let path = ServeRecordings.synthetic("okx")
        let expected = try recordedDataFrames(path)
        let server = try startedServer([path], speed: .multiple(200))
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        let got = try receiveAll(url: try #require(server.endpoints.first).websocketURL, venue: .okx, send: adapter.connectFrames())
        #expect(firstDifference(got.texts.filter { isDataFrame($0, venue: .okx) }, expected) == nil)
    }
}
