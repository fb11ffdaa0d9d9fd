import Foundation
import Model
import Testing
import TestSupport
@testable import Simulation

@Suite("Synthetic markets")
struct SyntheticMarketTests {
    static let cases: [(Venue, [String])] = [
        (.binance, ["BTC-USDT", "ETH-USDT"]), (.binanceFutures, ["BTC-USDT-PERP"]), (.okx, ["BTC-USDT", "ETH-USDT-PERP"]),
        (.deribit, ["BTC-USD-PERP"]),
    ]

    @Test("replaying the generator's output through the adapters gives the generator's own books", arguments: 0..<4)
    func roundTrip(index: Int) throws {
        let (venue, symbols) = Self.cases[index]
        let dir = try TestEnvironment.temporaryDirectory("synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("\(venue.rawValue).mprec").path
        var market = SyntheticMarket(spec: SyntheticMarketSpec(venue: venue, symbols: symbols, durationNs: 20_000_000_000, seed: 9))
        try market.write(to: path, toolVersion: "test")
        #expect(market.framesWritten > 300)
        let replay = try BookReplay.run(path: path)
        #expect(replay.totals.sequenceErrors == 0)
        #expect(replay.counts.trade > 20)
        #expect(market.truth.count == symbols.count)
        for (native, truth) in market.truth {
            let book = try #require(replay.book(native: native), "no valid book for \(native)")
            #expect(book == truth, "\(venue.rawValue) \(native)")
            #expect(book.bidCount > 10 && book.askCount > 10)
            #expect(!book.isCrossed)
        }
        if venue == .okx { #expect(replay.totals.checksumsChecked > 100 && replay.totals.checksumsFailed == 0) }
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let dir = try TestEnvironment.temporaryDirectory("synth")
        defer { try? FileManager.default.removeItem(at: dir) }
        func make(_ seed: UInt64, _ name: String) throws -> Data {
            var m = SyntheticMarket(spec: SyntheticMarketSpec(venue: .binance, symbols: ["BTC-USDT"], durationNs: 5_000_000_000, seed: seed))
            let path = dir.appendingPathComponent(name).path
            try m.write(to: path, toolVersion: "test")
            return try Data(contentsOf: URL(fileURLWithPath: path))
        }
        #expect(try make(1, "a.mprec") == make(1, "b.mprec"))
        #expect(try make(1, "c.mprec") != make(2, "d.mprec"))
    }

    @Test func unknownMarketShapesAreRejected() {
        var m = SyntheticMarket(spec: SyntheticMarketSpec(venue: .binance, symbols: ["BTC-USDT-PERP"], durationNs: 1_000_000_000))
        #expect(throws: SyntheticMarketError.self) { try m.write(to: "/tmp/never.mprec", toolVersion: "test") }
    }
}
