import Exchanges
import Model
import Testing

/// `resolve` first compares the name with the one found last (length and first and last words), then
/// with the entry last found for names sharing a few bits (length, first and last byte). Whatever order names come in, it must give what a fresh catalog's lookup
/// gives: the same instrument for a held name, nil for an unknown one without the naming fallback.
struct InstrumentLookupCacheTests {
    static let held = [
        "BTCUSDT", "ETHUSDT", "BTCUSDC", "ETHBTC", "SOLUSDT", "XRPUSDT", "BNBUSDT", "DOGEUSDT", "ADAUSDT",
        "1000PEPEUSDT", "BTCFDUSD", "ETHFDUSD", "LTCUSDT", "LINKUSDT", "AVAXUSDT", "TRXUSDT", "BTCUSDT_250926",
    ]

    @Test func resolveGivesWhatTheTableGives() {
        // Base and quote made up from the name: only the lookup is under test.
        let instruments = Self.held.map {
            Instrument(venue: .binance, native: $0, base: String($0.prefix(3)), quote: String($0.dropFirst(3)), kind: .spot)
        }
        var catalog = InstrumentCatalog(venue: .binance, instruments: instruments, usesNamingFallback: false)
        let fresh = catalog
        // Held names, their prefixes and one-byte changes (same length, same first and last byte).
        // Also names one byte away in the middle, which only the whole-name comparison tells apart.
        let unknown = [
            "BTCUSD", "ETHUSDC", "BTCUSDTT", "BTCVSDT", "ETHUSDS", "BTCUSDT_250927", "", "B", "T", "SOLUSDX",
            "BTCUSDT_251926", "1000PEPFUSDT", "BTCFDVSD", "LINKVSDT", "BTC", "BT", "BTCU",
        ]
        let names = Self.held + unknown
        var random = SeededRandom(seed: 52)
        var hits = 0
        for _ in 0..<20_000 {
            let name = names[Int(random.next() % UInt64(names.count))]
            // Copied into an exact-size buffer so a word read past the name would leave the allocation.
            let bytes = Array(name.utf8)
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
            defer { buffer.deallocate() }
            bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            let got = catalog.resolve(UnsafeRawBufferPointer(buffer))
            let expected = fresh.instrument(native: name)
            #expect(got == expected, "\(name)")
            #expect((got != nil) == Self.held.contains(name), "\(name)")
            if got != nil { hits += 1 }
        }
        #expect(hits > 8_000)
    }

    /// With the naming fallback, an unknown name is made once, then found like a held one.
    @Test func madeInstrumentsAreFoundAgain() {
        var catalog = InstrumentCatalog(venue: .binance)
        for round in 0..<3 {
            for name in ["BTCUSDT", "ETHUSDT", "BTCUSDT", "SOLUSDT", "ETHUSDT"] {
                let got = name.utf8.withContiguousStorageIfAvailable { catalog.resolve(UnsafeRawBufferPointer($0)) } ?? nil
                #expect(got == InstrumentNaming.instrument(venue: .binance, native: name), "\(name) round \(round)")
            }
        }
        #expect(catalog.count == 3)
    }
}
