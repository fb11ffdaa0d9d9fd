import Testing

@testable import Model

/// `CRC32.alternatingPieces` gives the CRC of a text it never sees: it must equal the CRC read byte
/// by byte over the joined text for any split, order, length and either path (carry-less or portable).
@Suite struct CRC32PiecesTests {
    /// Random pieces, each starting with a separator, joined alternately from two lists.
    struct Case {
        var first: [[UInt8]]
        var second: [[UInt8]]

        var text: [UInt8] {
            var joined: [UInt8] = []
            for rank in 0..<max(first.count, second.count) {
                if rank < first.count { joined += first[rank] }
                if rank < second.count { joined += second[rank] }
            }
            return Array(joined.dropFirst())
        }

        static func pieces(_ list: [[UInt8]]) -> [UInt64] {
            list.map { bytes in bytes.withUnsafeBufferPointer { CRC32.piece($0.baseAddress!, count: $0.count) } }
        }
    }

    static func randomCase(_ random: inout SeededRandom, maxPieces: Int, maxLength: Int) -> Case {
        func below(_ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }
        func list() -> [[UInt8]] {
            (0..<below(maxPieces + 1)).map { _ in
                [UInt8(ascii: ":")] + (0..<below(maxLength)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
        }
        return Case(first: list(), second: list())
    }

    @Test func matchesTheBytewiseCRCOverRandomSplits() {
        var random = SeededRandom(seed: 2_611)
        var nonEmpty = 0
        for _ in 0..<3_000 {
            let c = Self.randomCase(&random, maxPieces: 26, maxLength: 47)
            let text = c.text
            let expected = text.withUnsafeBytes { CRC32.update(0, $0) }
            let first = Case.pieces(c.first)
            let second = Case.pieces(c.second)
            let fast = first.withUnsafeBufferPointer { f in
                second.withUnsafeBufferPointer { s in CRC32.alternatingPieces(f, s, droppingFirstByte: UInt8(ascii: ":")) }
            }
            // An empty text has nothing to drop; the CRC of nothing is 0 either way.
            #expect(fast == expected, "pieces \(c.first.count)/\(c.second.count), \(text.count) bytes")
            let portable = first.withUnsafeBufferPointer { f in
                second.withUnsafeBufferPointer { s in CRC32.alternatingPiecesPortable(f, s, droppingFirstByte: UInt8(ascii: ":")) }
            }
            #expect(portable == expected)
            if !text.isEmpty { nonEmpty += 1 }
        }
        #expect(nonEmpty > 2_500)
    }

    /// Texts longer than the shift table (taken in several steps) and one-byte texts (nothing left
    /// after the dropped byte), one side empty, pieces of a single byte.
    @Test func edgeLengths() {
        var random = SeededRandom(seed: 77)
        let cases: [Case] = [
            Case(first: [[58]], second: []),
            Case(first: [], second: [[58]]),
            Case(first: [[58], [58]], second: [[58]]),
            Case(first: [[58, 49]], second: []),
            Self.randomCase(&random, maxPieces: 200, maxLength: 90),
            Case(first: [[58] + [UInt8](repeating: 0x61, count: 5_000)], second: [[58, 50]]),
            Case(first: (0..<150).map { _ in [58] + [UInt8](repeating: 0x31, count: 40) }, second: []),
        ]
        for c in cases {
            let expected = c.text.withUnsafeBytes { CRC32.update(0, $0) }
            let first = Case.pieces(c.first)
            let second = Case.pieces(c.second)
            let got = first.withUnsafeBufferPointer { f in
                second.withUnsafeBufferPointer { s in CRC32.alternatingPieces(f, s, droppingFirstByte: 58) }
            }
            let portable = first.withUnsafeBufferPointer { f in
                second.withUnsafeBufferPointer { s in CRC32.alternatingPiecesPortable(f, s, droppingFirstByte: 58) }
            }
            #expect(got == expected, "\(c.text.count) bytes")
            #expect(portable == expected, "\(c.text.count) bytes")
        }
        #expect(CRC32.alternatingPieces(UnsafeBufferPointer(start: nil, count: 0), UnsafeBufferPointer(start: nil, count: 0),
                                        droppingFirstByte: 58) == 0)
    }

    /// A piece's register is the raw register of its bytes: `update` works on inverted registers, so
    /// reading the bytes from update's state ~0 gives the raw register inverted.
    @Test func pieceRegisterIsTheRawRegister() {
        var random = SeededRandom(seed: 5)
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let piece = bytes.withUnsafeBufferPointer { CRC32.piece($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: $0.count) }
            #expect(piece >> 32 == UInt64(length))
            #expect(UInt32(truncatingIfNeeded: piece) == ~bytes.withUnsafeBytes { CRC32.update(0xFFFF_FFFF, $0) })
        }
    }
}
