import ExchangeServer
import Foundation
import Live
import Model
import Simulation
import TestSupport
import Testing

/// A connection that subscribes after the market started (a collector reconnecting after a fault) joins
/// where the market is, and gets a book it can sync from: an in-stream snapshot (OKX) or a REST snapshot
/// (Binance) synthesized from the truth at that point, which the stream then continues.
struct LateJoinTests {
    private func number(after key: String, in text: String) -> Int64? {
        guard let range = text.range(of: key) else { return nil }
        return Int64(text[range.upperBound...].prefix { $0 == "-" || $0.isNumber })
    }

    @Test func aLateOKXSubscriberGetsASynthesizedBookThatTheStreamContinues() throws {
        let path = ServeRecordings.synthetic("okx")
        let server = try startedServer([path], speed: .multiple(20), closeAtEnd: false)
        defer { server.stop() }
        let url = try #require(server.endpoints.first).websocketURL
        let frames = try collectorAdapter(path).connectFrames()
        let early = try receiveAll(url: url, venue: .okx, send: frames, limit: 1_000)
        #expect(early.texts.count >= 1_000)
        let late = try receiveAll(url: url, venue: .okx, send: frames, limit: 300)
        let books = late.texts.map { String(decoding: $0, as: UTF8.self) }.filter { $0.hasPrefix(#"{"arg":{"channel":"books","instId":"BTC-USDT"}"#) }
        try #require(books.count >= 2)
        #expect(books[0].contains(#""action":"snapshot""#))
        let recorded = Set(try recordedDataFrames(path))
        #expect(!recorded.contains(Array(books[0].utf8)), "synthesized, not the recording's first snapshot")
        let seq = try #require(number(after: #""seqId":"#, in: books[0]))
        #expect(number(after: #""prevSeqId":"#, in: books[1]) == seq, "the recorded updates continue the synthesized book")
        #expect(server.snapshotsSynthesized >= 1)
    }

    @Test func aLateBinanceSubscriberGetsASnapshotTheStreamBridges() throws {
        let path = ServeRecordings.synthetic("binance-spot")
        let server = try startedServer([path], speed: .multiple(20), closeAtEnd: false)
        defer { server.stop() }
        let endpoint = try #require(server.endpoints.first)
        // Half the recording (a minute of it): the recorded snapshot from its start is far behind by then.
        _ = try receiveAll(url: endpoint.websocketURL, venue: .binance, send: [], limit: 3_000)
        let socket = try CurlWebSocket(url: endpoint.websocketURL, options: .init(random: SeededRandom(seed: 11)))
        defer { socket.close(timeoutMilliseconds: 200) }
        _ = try socket.receive(timeoutMilliseconds: 5_000)
        let snapshot = try CurlRestClient().get(endpoint.restBaseURL + "/api/v3/depth?symbol=BTCUSDT&limit=1000")
        #expect(snapshot.status == 200)
        let last = try #require(number(after: #""lastUpdateId":"#, in: String(decoding: snapshot.body, as: UTF8.self)))
        var bridged = false
        for _ in 0..<3_000 where !bridged {
            guard case .text(let bytes) = try socket.receive(timeoutMilliseconds: 5_000) else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.hasPrefix(#"{"stream":"btcusdt@depth@100ms""#), let first = number(after: #""U":"#, in: text),
                let final = number(after: #""u":"#, in: text)
            else { continue }
            if first <= last + 1 && last + 1 <= final { bridged = true }
        }
        #expect(bridged, "an update spans lastUpdateId+1")
        #expect(server.snapshotsSynthesized >= 1)
    }
}
