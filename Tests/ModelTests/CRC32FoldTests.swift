import CCRC32Fold
import Model
import Testing

@Suite struct CRC32FoldTests {
    static let bytes: [UInt8] = {
        var random = SeededRandom(seed: 11)
        return (0..<1_200).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }()

    /// The folded blocks alone, where the CPU has carry-less multiply: every length the fold accepts,
    /// from several alignments and starting states, against the byte-at-a-time reference.
    @Test(.enabled(if: marketprism_crc32_fold_available() != 0, "this CPU has no PCLMULQDQ: nothing to fold"))
    func foldedBlocksMatchTheBytewiseCRC() {
        Self.bytes.withUnsafeBytes { all in
            for start in [0, 1, 7, 8, 15] {
                for length in stride(from: 64, through: all.count - start, by: 16) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    let p = slice.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    for state: UInt32 in [0, 0xFFFF_FFFF, 0x1234_5678] {
                        // The fold works on the raw state: `update` inverts before and after.
                        #expect(~marketprism_crc32_fold(~state, p, length) == CRC32.update(state, slice))
                    }
                }
            }
        }
    }

    /// `updateSliced` (fold, then table steps for the rest) at every length up to 1,200 bytes.
    @Test func updateSlicedMatchesTheBytewiseCRCAtEveryLength() {
        Self.bytes.withUnsafeBytes { all in
            for start in [0, 3] {
                for length in 0...(all.count - start) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32.updateSliced(0, slice) == CRC32.update(0, slice))
                }
            }
        }
    }

    /// The standard check value of CRC-32/ISO-HDLC, and a long input of one repeated byte.
    @Test func knownValues() {
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC32.updateSliced(0, $0) } == 0xCBF4_3926)
        let long = [UInt8](repeating: 0x61, count: 1_000)
        #expect(long.withUnsafeBytes { CRC32.updateSliced(0, $0) } == long.withUnsafeBytes { CRC32.update(0, $0) })
    }
}
