import Foundation
import Model
import Recording
import TestSupport
import Testing

enum FrameMagic {
    /// The frame info magic 0x184D2A51 with its first stored byte (0x51) inverted.
    static let infoWithFirstByteFlipped: UInt32 = 0x184D_2A51 ^ 0xFF
}

/// What a crash, a cut copy or a damaged disk does to a recording, and what the reader makes of it.
@Suite("Recording recovery")
struct RecoveryTests {
    /// A recording of many small frames and its records.
    static func sample(seed: UInt64 = 5, count: Int = 80, frameTarget: Int = 1_500) throws -> (Scratch, String, [Record]) {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: seed)
        let records = (0..<count).map { _ in generator.next(large: frameTarget) }
        let path = try writeRecording(records, to: scratch.path("s.mprec"), options: .init(frameTargetBytes: frameTarget))[0]
        return (scratch, path, records)
    }

    @Test("a cut at any byte inside the last two frames reads every complete frame and reports the rest")
    func truncationAtEveryOffset() throws {
        // Few, small frames keep the footer short: every byte offset is tried.
        let (scratch, path, records) = try Self.sample(seed: 5, count: 40, frameTarget: 800)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        #expect(index.count >= 6)
        let firstCut = Int(index[index.count - 2].offset)
        let cutPath = scratch.path("cut.mprec")
        for cut in firstCut..<data.count {
            try data.prefix(cut).write(to: URL(fileURLWithPath: cutPath))
            let complete = index.filter { $0.offset + $0.totalSize <= Int64(cut) }
            let completeEnd = complete.last.map { $0.offset + $0.totalSize }!
            let expected = Array(records.prefix(complete.reduce(0) { $0 + $1.recordCount }))
            let reader = try RecordingReader(path: cutPath)
            let back = try reader.readAll()
            #expect(back == expected, "cut at \(cut)")
            #expect(reader.tail == .truncated(offset: completeEnd, unreadableBytes: Int64(cut) - completeEnd), "cut at \(cut)")
            let stats = try reader.stats()
            #expect(stats.truncated && !stats.endedCleanly && stats.records == expected.count)
            #expect(stats.unreadableBytes == Int64(cut) - completeEnd)
        }
    }

    @Test("a flipped byte anywhere in a data frame is reported as corruption at that frame's offset")
    func flippedBytes() throws {
        let (scratch, path, records) = try Self.sample(seed: 9)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        let damagedPath = scratch.path("flip.mprec")
        for frameNumber in [index.count / 2, index.count - 1] {
            let entry = index[frameNumber]
            let before = index[..<frameNumber].reduce(0) { $0 + $1.recordCount }
            for position in Int(entry.offset)..<Int(entry.offset + entry.totalSize) {
                var damaged = data
                damaged[position] ^= 0x20
                try damaged.write(to: URL(fileURLWithPath: damagedPath))
                let reader = try RecordingReader(path: damagedPath)
                var delivered: [Record] = []
                var caught: RecordingError?
                do {
                    try reader.forEachRecord { delivered.append($0.makeRecord()) }
                } catch let error as RecordingError {
                    caught = error
                }
                guard case .corruptFrame(_, let offset, _)? = caught else {
                    Issue.record("flip at \(position) in frame \(frameNumber) not reported: \(String(describing: caught))")
                    continue
                }
                #expect(offset >= entry.offset && offset < entry.offset + entry.totalSize, "flip at \(position)")
                #expect(delivered == Array(records.prefix(before)), "flip at \(position)")
                #expect(throws: RecordingError.self) { try RecordingReader(path: damagedPath).stats() }
            }
        }
    }

    @Test("salvage mode skips damaged frames, reports each, and reads every intact one")
    func salvage() throws {
        let (scratch, path, records) = try Self.sample(seed: 10, count: 120)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        #expect(index.count >= 8)
        // Damage the data of frame 2, the frame info magic of frame 5, and the footer.
        let (a, b) = (index[2], index[5])
        let footer = Int(index.last!.offset + index.last!.totalSize)
        var damaged = data
        damaged[Int(a.offset) + 60] ^= 0x10
        damaged[Int(b.offset)] ^= 0xFF
        damaged[footer + 12] ^= 0x01
        let damagedPath = scratch.path("salvage.mprec")
        try damaged.write(to: URL(fileURLWithPath: damagedPath))

        #expect(throws: RecordingError.self) { try RecordingReader(path: damagedPath).readAll() }
        let reader = try RecordingReader(path: damagedPath)
        reader.salvage = true
        let back = try reader.readAll()
        func recordsOf(_ frame: Int) -> Range<Int> {
            let start = index[..<frame].reduce(0) { $0 + $1.recordCount }
            return start..<(start + index[frame].recordCount)
        }
        let lost = Set(recordsOf(2)).union(recordsOf(5))
        #expect(back == records.indices.filter { !lost.contains($0) }.map { records[$0] })
        #expect(reader.damage.map(\.frameOffset) == [a.offset, b.offset, Int64(footer)])
        #expect(reader.damage[0].skippedBytes == a.totalSize && reader.damage[1].skippedBytes == b.totalSize)
        #expect(reader.damage[0].reason == .frameChecksumMismatch)
        #expect(reader.damage[1].reason == .unexpectedFrame(magic: FrameMagic.infoWithFirstByteFlipped))
        #expect(reader.tail == .truncated(offset: Int64(footer), unreadableBytes: Int64(data.count - footer)))
        let stats = try reader.stats()
        #expect(stats.damage.count == 3 && stats.records == back.count)
    }

    @Test("a damaged footer is corruption; the frame index then falls back to the frame infos")
    func damagedFooter() throws {
        let (scratch, path, records) = try Self.sample(seed: 3, count: 30)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        let footerStart = Int(index.last!.offset + index.last!.totalSize)
        data[footerStart + 10] ^= 1
        try data.write(to: URL(fileURLWithPath: scratch.path("f.mprec")))
        let reader = try RecordingReader(path: scratch.path("f.mprec"))
        #expect(try reader.frameIndex() == index)
        var delivered = 0
        #expect(throws: RecordingError.corruptFrame(path: scratch.path("f.mprec"), offset: Int64(footerStart), reason: .footerChecksumMismatch)) {
            try reader.forEachRecord { _ in delivered += 1 }
        }
        #expect(delivered == records.count)
    }

    @Test("bytes appended after the footer are reported")
    func trailingGarbage() throws {
        let (scratch, path, _) = try Self.sample(seed: 4, count: 10)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let end = data.count
        data.append(contentsOf: [1, 2, 3])
        try data.write(to: URL(fileURLWithPath: scratch.path("g.mprec")))
        #expect(throws: RecordingError.corruptFrame(path: scratch.path("g.mprec"), offset: Int64(end), reason: .bytesAfterFooter(3))) {
            try RecordingReader(path: scratch.path("g.mprec")).stats()
        }
    }

    @Test("unknown skippable frames between data frames are skipped, as zstd does")
    func unknownSkippableFrame() throws {
        let (scratch, path, records) = try Self.sample(seed: 6, count: 40)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        let at = Int(index[3].offset)
        var extra = Data([0x5E, 0x2A, 0x4D, 0x18, 5, 0, 0, 0])
        extra.append(contentsOf: Array("hello".utf8))
        var patched = data.prefix(at)
        patched.append(extra)
        patched.append(data.suffix(from: at))
        try patched.write(to: URL(fileURLWithPath: scratch.path("u.mprec")))
        let reader = try RecordingReader(path: scratch.path("u.mprec"))
        #expect(try reader.readAll() == records)
    }

    @Test("files that are not recordings, or a newer version, get a clear error")
    func notARecording() throws {
        let (scratch, path, _) = try Self.sample(seed: 8, count: 5)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func attempt(_ bytes: Data) throws -> RecordingError? {
            let p = scratch.path("x")
            try bytes.write(to: URL(fileURLWithPath: p))
            do {
                _ = try RecordingReader(path: p)
                return nil
            } catch {
                return error
            }
        }
        let p = scratch.path("x")
        #expect(try attempt(Data("1633998512.0633569: {\"stream\":\"x\"}\n".utf8)) == .notARecording(path: p))
        #expect(try attempt(Data()) == .notARecording(path: p))
        #expect(try attempt(Data([0x28, 0xB5, 0x2F, 0xFD, 0, 0, 0, 0, 0])) == .notARecording(path: p))
        // Another tool's skippable frame: right zstd magic, wrong payload magic.
        #expect(try attempt(Data([0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4])) == .notARecording(path: p))

        var newer = data
        newer[16] = 2  // the version byte after the 8-byte frame header and 8-byte magic text
        #expect(try attempt(newer) == .unsupportedVersion(path: p, found: 2, supported: 1))
        #expect(RecordingError.unsupportedVersion(path: p, found: 2, supported: 1).description.contains("newer"))

        var damagedHeader = data
        damagedHeader[20] ^= 0x01
        #expect(try attempt(damagedHeader) == .corruptFrame(path: p, offset: 0, reason: .headerChecksumMismatch))

        for cut in [2, 7, 12, 30] {
            #expect(try attempt(data.prefix(cut)) == .truncated(path: p, offset: 0, unreadableBytes: Int64(cut)), "cut \(cut)")
        }
        #expect(throws: RecordingError.io(path: scratch.path("missing"), operation: "open", errno: ENOENT)) {
            try RecordingReader(path: scratch.path("missing"))
        }
    }

    @Test("zstd -dc decodes the file to the raw records, which an independent parser reads back")
    func independentReader() throws {
        let zstd = URL(fileURLWithPath: "/usr/bin/zstd")
        try #require(FileManager.default.isExecutableFile(atPath: zstd.path), "zstd CLI not installed")
        let (scratch, path, records) = try Self.sample(seed: 12, count: 60)
        defer { withExtendedLifetime(scratch) {} }
        let result = try TestEnvironment.run(zstd, ["-q", "-dc", path])
        #expect(result.status == 0)
        // Parse with nothing but the layout in docs/recording-format.md.
        let raw = [UInt8](result.stdout)
        var parsed: [(kind: UInt8, stream: UInt32, wall: Int64, payload: [UInt8])] = []
        var offset = 0
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(raw[at + $1]) << (8 * $1) } }
        func i64(_ at: Int) -> Int64 { Int64(bitPattern: (0..<8).reduce(UInt64(0)) { $0 | UInt64(raw[at + $1]) << (8 * $1) }) }
        while offset < raw.count {
            let size = Int(u32(offset))
            let metadataLength = Int(u32(offset + 28))
            parsed.append((raw[offset + 4], u32(offset + 8), i64(offset + 12), Array(raw[(offset + 32 + metadataLength)..<(offset + size)])))
            offset += size
        }
        #expect(parsed.count == records.count)
        for (p, r) in zip(parsed, records) {
            #expect(p.kind == r.kind.code && p.stream == r.stream && p.wall == r.wallNs && p.payload == r.payload)
        }
    }
}
