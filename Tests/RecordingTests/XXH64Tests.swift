import Foundation
import Model
import TestSupport
import Testing

@Suite("XXH64")
struct XXH64Tests {
    @Test("published test vectors")
    func vectors() {
        #expect(XXH64.hash([UInt8]()) == 0xEF46_DB37_51D8_E999)
        #expect(XXH64.hash(Array("a".utf8)) == 0xD24E_C4F1_A98C_6E5B)
        #expect(XXH64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }

    @Test("agrees with the content checksum zstd writes (its low 32 bits), at every length class")
    func agreesWithZstd() throws {
        let zstd = URL(fileURLWithPath: "/usr/bin/zstd")
        try #require(FileManager.default.isExecutableFile(atPath: zstd.path), "zstd CLI not installed")
        var random = SeededRandom(seed: 99)
        for length in [1, 3, 4, 7, 8, 31, 32, 33, 63, 64, 100, 1_000, 65_537] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let result = try TestEnvironment.run(zstd, ["-q", "-c", "--check"], stdin: Data(bytes))
            #expect(result.status == 0)
            let frame = [UInt8](result.stdout)
            let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(frame[frame.count - 4 + $1]) << (8 * $1) }
            #expect(UInt32(truncatingIfNeeded: XXH64.hash(bytes)) == stored, "length \(length)")
        }
    }
}
