import ExchangeServer
import Foundation
import Live
import Model
import Recording
import Simulation
import Stack
import TestSupport
import Testing

/// REST endpoints at the venues' own paths: recorded answers first, then snapshots synthesized from the
/// truth book at the market's position; instrument listings; unknown paths 404.
struct RestTests {
    @Test(.enabled(if: TestEnvironment.hasSharedData, Comment(rawValue: TestEnvironment.sharedDataSkipMessage)))
    func recordedBinanceSnapshotsComeBackInOrderThenSynthesizedAtTheEnd() throws {
        let path = try ServeRecordings.sample("BINANCE")
        var recorded: [(target: String, body: [UInt8])] = []
        try RecordingReader(path: path).forEachRecord { r in
            guard r.kind == .restResponse, let url = r.url, url.contains("/api/v3/depth") else { return }
            recorded.append((String(url[url.range(of: "/api/v3/depth")!.lowerBound...]), Array(r.payload)))
        }
        try #require(!recorded.isEmpty)
        let server = try startedServer([path])
        defer { server.stop() }
        let client = try CurlRestClient()
        let base = try #require(server.endpoints.first).restBaseURL
        // First request of one URL: its first recorded answer, byte for byte.
        let target = recorded[0].target
        let first = try client.get(base + target)
        #expect(first.status == 200)
        #expect(first.body == recorded[0].body)

        // Play the whole recording to a client, then ask again until the recorded answers run out: the
        // answer is synthesized from the truth book at the end, equal to the fault-free replay's book.
        let adapter = try collectorAdapter(path)
        _ = try receiveAll(url: try #require(server.endpoints.first).websocketURL, venue: .binance, send: adapter.connectFrames())
        let sameURL = recorded.filter { $0.target == target }.count
        var last = first
        for _ in 0..<sameURL { last = try client.get(base + target) }
        #expect(last.status == 200)
        let feed = try RecordedFeed.load(path: path)
        let instrument = try #require(feed.snapshotInstrument(url: "https://api.binance.com" + target))
        var parser = adapter
        let parsed = last.body.withUnsafeBytes { parser.parseSnapshot(body: $0, instrument: instrument, receivedAt: Instant(nanoseconds: 0)) }
        let snapshot = try parsed.get()
        let truth = try BookReplay.run(path: path)
        let book = try #require(truth.book(native: instrument.native))
        #expect(snapshot.bids == book.levels(.bid))
        #expect(snapshot.asks == book.levels(.ask))
        #expect(server.snapshotsSynthesized >= 1)
    }

    @Test func synthesizedSnapshotForABookTheRecordingNeverFetchedAgain() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        let server = try startedServer([path])
        defer { server.stop() }
        let adapter = try collectorAdapter(path)
        _ = try receiveAll(url: try #require(server.endpoints.first).websocketURL, venue: .binance, send: adapter.connectFrames())
        let client = try CurlRestClient()
        let base = try #require(server.endpoints.first).restBaseURL
        // Use up whatever was recorded for this URL, then the truth answers.
        var answers: [Live.RestResponse] = []
        for _ in 0..<6 { answers.append(try client.get(base + "/api/v3/depth?symbol=BTCUSDT&limit=1000")) }
        #expect(answers.allSatisfy { $0.status == 200 })
        let last = String(decoding: try #require(answers.last).body, as: UTF8.self)
        #expect(last.hasPrefix("{\"lastUpdateId\":"))
        #expect(server.snapshotsSynthesized >= 1)
    }

    @Test func listingsAndUnknownPaths() throws {
        let server = try startedServer(["binance-spot", "okx"].map(ServeRecordings.synthetic))
        defer { server.stop() }
        let client = try CurlRestClient()
        let base = "http://127.0.0.1:\(server.port)"
        let info = try client.get(base + "/api/v3/exchangeInfo")
        #expect(info.status == 200)
        #expect(String(decoding: info.body, as: UTF8.self).contains("\"symbol\":\"BTCUSDT\""))
        let instruments = try client.get(base + "/api/v5/public/instruments?instType=SPOT")
        #expect(instruments.status == 200)
        #expect(String(decoding: instruments.body, as: UTF8.self).contains("\"instId\":\"BTC-USDT\""))
        #expect(try client.get(base + "/nothing/here").status == 404)
        #expect(try client.get(base + "/fapi/v1/depth?symbol=BTCUSDT").status == 404, "no futures recording served")
    }
}
