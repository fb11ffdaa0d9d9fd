import Testing
@testable import Model

@Suite("FixedDecimal")
struct FixedDecimalTests {
    @Test("exchange text round-trips exactly", arguments: [
        "0.35130000", "6195.00000000", "0", "0.0", "-1.5", "29865.1", "0.00000001", "100000", "123456789012.345678",
    ])
    func roundTrip(text: String) throws {
        let d = try #require(FixedDecimal(text))
        #expect(d.description == text)
    }

    @Test func valueEqualityIgnoresScale() throws {
        let a = try #require(FixedDecimal("1.50"))
        let b = try #require(FixedDecimal("1.5"))
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(!(a < b) && !(b < a))
        #expect(FixedDecimal("1.49")! < b)
        #expect(FixedDecimal("-2")! < FixedDecimal("0.001")!)
    }

    @Test func exponentNotationAsDeribitPrintsSmallAmounts() throws {
        #expect(FixedDecimal("1e-05") == FixedDecimal("0.00001"))
        #expect(FixedDecimal("2.5E3") == FixedDecimal("2500"))
    }

    @Test("malformed text is rejected", arguments: ["", "-", ".", "1.2.3", "abc", "1e", "12345678901234567890", "1-2"])
    func rejects(text: String) {
        #expect(FixedDecimal(text) == nil)
    }

    @Test func arithmeticIsExact() throws {
        let p = try #require(FixedDecimal("0.1"))
        let q = try #require(FixedDecimal("0.2"))
        #expect((p + q).description == "0.3")
        #expect((q - p) == p)
        let notional = try #require(FixedDecimal("29865.12")!.multipliedExactly(by: FixedDecimal("0.005")!))
        #expect(notional.description == "149.3256")
    }

    @Test func comparisonSurvivesScaleOverflow() throws {
        let big = FixedDecimal(mantissa: 9_000_000_000_000_000_000, scale: 0)
        let tiny = FixedDecimal(mantissa: 1, scale: 18)
        #expect(tiny < big)
        #expect(!(big < tiny))
        #expect(big != tiny)
    }
}

@Suite("Instrument and CRC32")
struct InstrumentTests {
    @Test func normalizedSymbols() {
        let spot = Instrument(venue: .binance, native: "BTCUSDT", base: "btc", quote: "usdt", kind: .spot)
        #expect(spot.symbol == "BTC-USDT")
        let perp = Instrument(venue: .okx, native: "BTC-USDT-SWAP", base: "BTC", quote: "USDT", kind: .perpetual)
        #expect(perp.symbol == "BTC-USDT-PERP")
        let option = Instrument(
            venue: .deribit, native: "BTC-28JUN24-60000-C", base: "BTC", quote: "USD",
            kind: .option(expiry: "20240628", strike: 60000, right: .call))
        #expect(option.symbol == "BTC-USD-20240628-60000-C")
    }

    @Test func crc32MatchesZlib() {
        // zlib.crc32(b"123456789") == 0xCBF43926
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func seededRandomIsReproducible() {
        var a = SeededRandom(seed: 42)
        var b = SeededRandom(seed: 42)
        let xs = (0..<8).map { _ in a.next() }
        let ys = (0..<8).map { _ in b.next() }
        #expect(xs == ys)
        #expect(Set(xs).count == 8)
    }
}
