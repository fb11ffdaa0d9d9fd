import Books
import Model
import Testing

@Suite struct OKXChecksumTests {
    /// The example from OKX's documentation: the shorter bid side runs out and the asks continue.
    @Test func interleavesSidesAndContinuesWithTheLongerOne() {
        let book = Fixture.book(bids: [("3366.1", "7"), ("3366", "6")], asks: [("3366.8", "9"), ("3368", "8"), ("3372", "8")])
        #expect(OKXChecksum.checksumText(book) == "3366.1:7:3366.8:9:3366:6:3368:8:3372:8")
        // zlib.crc32 of that text, as a signed 32-bit integer.
        #expect(OKXChecksum.compute(book) == 1_362_239_393)
    }

    @Test func usesTheExactReceivedStrings() {
        let book = Fixture.book(bids: [("0.10", "1.500")], asks: [("0.20", "0.000001")])
        #expect(OKXChecksum.checksumText(book) == "0.10:1.500:0.20:0.000001")
        #expect(OKXChecksum.compute(book) == 364_619_299)
    }

    @Test func onlyTheTop25LevelsCount() throws {
        var book = Fixture.book(bids: [], asks: [])
        for i in 0..<30 {
            try book.apply(side: .bid, price: FixedDecimal(mantissa: Int64(1000 - i), scale: 0), size: 1)
            try book.apply(side: .ask, price: FixedDecimal(mantissa: Int64(2000 + i), scale: 0), size: 1)
        }
        let before = OKXChecksum.compute(book)
        try book.apply(side: .bid, price: 971, size: 5)  // rank 29
        try book.apply(side: .ask, price: 2029, size: 0)
        #expect(OKXChecksum.compute(book) == before)
        try book.apply(side: .ask, price: 2024, size: 5)  // rank 24
        #expect(OKXChecksum.compute(book) != before)
    }

    /// A real frame: the first 25 levels a side of OKX's BTC-USD-220527 `books` snapshot of 2022-05-13
    /// (cryptofeed-sample OKX.ws.1.0, line 29) and the checksum OKX sent with it.
    @Test func matchesARealOKXSnapshotChecksum() throws {
        let bids: [(String, String)] = [
            ("30233.6", "3"), ("30219.4", "104"), ("30219.3", "1520"), ("30212.3", "171"), ("30209.8", "5"),
            ("30205.8", "50"), ("30204.1", "1730"), ("30202.1", "30"), ("30185.4", "11"), ("30184", "1537"),
            ("30181.3", "18"), ("30181.2", "19"), ("30180.7", "249"), ("30168.9", "20"), ("30165.8", "3078"),
            ("30145.8", "4770"), ("30145.3", "120"), ("30133.2", "12"), ("30130.3", "1"), ("30130.1", "236"),
            ("30129.9", "442"), ("30117.7", "81"), ("30117.6", "369"), ("30074.9", "202"), ("30074.6", "373"),
        ]
        let asks: [(String, String)] = [
            ("30238.8", "2"), ("30249.5", "50"), ("30249.6", "29"), ("30261.1", "218"), ("30261.5", "215"),
            ("30261.7", "172"), ("30264.5", "11"), ("30265.9", "249"), ("30268.4", "40"), ("30280.8", "97"),
            ("30280.9", "217"), ("30283.1", "120"), ("30291.1", "442"), ("30316", "81"), ("30316.1", "1"),
            ("30323.1", "373"), ("30325", "17"), ("30371.7", "202"), ("30371.8", "10"), ("30418.3", "374"),
            ("30426.3", "508"), ("30439.6", "1539"), ("30449.2", "29"), ("30464.9", "202"), ("30486.8", "504"),
        ]
        let snapshot = Fixture.update(Fixture.okx, .snapshot, first: 0, last: 0, bids: bids, asks: asks)
        #expect(OKXChecksum.compute(try OrderBook(snapshot: snapshot)) == 1_054_815_633)
    }
}

@Suite struct CRC32SlicedTests {
    /// The sliced CRC the checksum uses must agree with the byte-at-a-time reference at every length and alignment.
    @Test func agreesWithTheBytewiseCRC() {
        var random = SeededRandom(seed: 7)
        let bytes = (0..<300).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes.withUnsafeBytes { all in
            for start in 0..<9 {
                for length in 0...(all.count - start) where length < 40 || length % 17 == 0 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32.updateSliced(0, slice) == CRC32.update(0, slice))
                    #expect(CRC32.updateSliced(0xDEAD_BEEF, slice) == CRC32.update(0xDEAD_BEEF, slice))
                }
            }
        }
        #expect(CRC32.updateSliced(0, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }
}

@Suite struct FixedDecimalRawTextTests {
    /// The checksum hashes `writeText` output, so it must be exactly `description` for every value.
    @Test func writesTheSameTextAsDescription() {
        var random = SeededRandom(seed: 11)
        var values: [FixedDecimal] = [.zero, FixedDecimal(mantissa: .min, scale: 18), FixedDecimal(mantissa: .max, scale: 0),
                                      FixedDecimal(mantissa: -5, scale: 3), FixedDecimal(mantissa: 100, scale: 2)]
        for _ in 0..<5000 {
            let digits = Int(random.next() % 19)
            var mantissa = Int64(bitPattern: random.next()) % (digits == 0 ? 10 : Int64(pow10(digits)))
            if random.next() % 5 == 0 { mantissa = 0 &- mantissa }
            values.append(FixedDecimal(mantissa: mantissa, scale: UInt8(random.next() % 19)))
        }
        var buffer = [UInt8](repeating: 0, count: FixedDecimal.maxTextLength)
        for value in values {
            let n = buffer.withUnsafeMutableBufferPointer { value.writeText(into: $0.baseAddress!) }
            #expect(String(decoding: buffer[..<n], as: UTF8.self) == value.description)
        }
    }

    func pow10(_ k: Int) -> Int64 { (0..<k).reduce(1) { r, _ in r * 10 } }
}
