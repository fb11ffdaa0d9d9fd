import ExchangeServer
import Exchanges
import Foundation
import Live
import Model
import Simulation
import Stack
import TestSupport
import Testing

/// Deribit `public/get_order_book`: the recordings have none, so serve synthesizes it from the truth book
/// at the market's position, with the request's `depth`.
struct DeribitRestTests {
    @Test func getOrderBookIsSynthesizedFromTheTruthWithTheRequestedDepth() throws {
        let path = ServeRecordings.synthetic("deribit")
        let server = try startedServer([path])
        defer { server.stop() }
        let endpoint = try #require(server.endpoint(.deribit))
        var adapter = try collectorAdapter(path)
        let client = try CurlRestClient()
        // Before any subscription the market has not started: no book to give yet.
        let early = try client.get(endpoint.restBaseURL + "/api/v2/public/get_order_book?instrument_name=BTC-PERPETUAL&depth=5")
        #expect(early.status == 503)
        // Play the whole recording, then ask: the book at the end, as the fault-free replay ends with it.
        let got = try receiveAll(url: endpoint.websocketURL, venue: .deribit, send: adapter.connectFrames())
        #expect(got.closeCode == 1000)
        let truth = try BookReplay.run(path: path)
        let feed = try RecordedFeed.load(path: path)
        let instrument = try #require(feed.catalog.instrument(native: "BTC-PERPETUAL")
            ?? InstrumentNaming.instrument(venue: .deribit, native: "BTC-PERPETUAL"))
        let book = try #require(truth.book(native: "BTC-PERPETUAL"))
        for depth in [5, nil] as [Int?] {
            let answer = try client.get(
                endpoint.restBaseURL + "/api/v2/public/get_order_book?instrument_name=BTC-PERPETUAL" + (depth.map { "&depth=\($0)" } ?? ""))
            #expect(answer.status == 200)
            let parsed = answer.body.withUnsafeBytes { adapter.parseSnapshot(body: $0, instrument: instrument, receivedAt: Instant(nanoseconds: 0)) }
            let snapshot = try parsed.get()
            let expected = depth.map { book.top($0) } ?? (book.levels(.bid), book.levels(.ask))
            #expect(snapshot.bids == expected.0, "depth \(String(describing: depth))")
            #expect(snapshot.asks == expected.1, "depth \(String(describing: depth))")
            #expect(snapshot.bids.count == depth ?? book.levels(.bid).count)
        }
        #expect(server.snapshotsSynthesized >= 2)
    }
}
