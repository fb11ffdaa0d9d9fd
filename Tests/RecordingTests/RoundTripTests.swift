import Foundation
import Model
import Recording
import Testing

@Suite("Recording round trip")
struct RoundTripTests {
    @Test("random records of every kind read back identical", arguments: [1, 2, 3, 42, 2026] as [UInt64])
    func randomRoundTrip(seed: UInt64) throws {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: seed)
        let records = (0..<300).map { _ in generator.next() }
        // Small frames so a run spans many frames and large payloads get frames of their own.
        let options = RecordingWriterOptions(frameTargetBytes: 16 << 10)
        let paths = try writeRecording(records, to: scratch.path("r.mprec"), options: options)
        #expect(paths == [scratch.path("r.mprec")])
        #expect(!FileManager.default.fileExists(atPath: scratch.path("r.mprec.tmp")))

        let reader = try RecordingReader(path: paths[0])
        #expect(reader.header.venue == "binance")
        #expect(reader.header.subscription == #"{"trades":["BTC-USDT"]}"#)
        #expect(reader.header.host == "test-host")
        #expect(reader.header.startWallNs == records[0].wallNs)
        let back = try reader.readAll()
        #expect(back.count == records.count)
        #expect(back == records)
        #expect(reader.tail == .clean)
        #expect(RecordKind.allCases.allSatisfy { kind in records.contains { $0.kind == kind } })
        #expect(records.contains { $0.payload.isEmpty } && records.contains { $0.payload.count > 16 << 10 })
    }

    @Test("borrowed views match owned records, field by field")
    func views() throws {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: 7)
        let records = (0..<100).map { _ in generator.next(large: 5_000) }
        let paths = try writeRecording(records, to: scratch.path("v.mprec"), options: .init(frameTargetBytes: 4096))
        let reader = try RecordingReader(path: paths[0])
        var index = 0
        try reader.forEachRecord { view in
            let expected = records[index]
            #expect(view.kind == expected.kind && view.stream == expected.stream)
            #expect(view.wallNs == expected.wallNs && view.monoNs == expected.monoNs && view.isBinary == expected.isBinary)
            #expect(Array(view.payload) == expected.payload)
            #expect(view.url == expected.url && view.method == expected.method && view.status == expected.status)
            #expect(view.headers == expected.headers && view.closeCode == expected.closeCode)
            #expect(view.closeReason == expected.closeReason)
            index += 1
        }
        #expect(index == records.count)
        #expect(reader.framesRead > 10)
    }

    @Test("the fast append path writes the same bytes as append(Record)")
    func plainAppend() throws {
        let scratch = try Scratch()
        let header = RecordingHeader(venue: "okx", toolVersion: "t", startWallNs: 1)
        let writer = try RecordingWriter(path: scratch.path("p.mprec"), header: header)
        let payload = Array(#"{"arg":{"channel":"books"}}"#.utf8)
        try payload.withUnsafeBytes { try writer.append(kind: .wsReceived, stream: 9, wallNs: 10, monoNs: 20, payload: $0) }
        try [UInt8]().withUnsafeBytes { try writer.append(kind: .wsSent, stream: 9, wallNs: 11, monoNs: 21, isBinary: true, payload: $0) }
        try writer.close()
        let records = try RecordingReader(path: scratch.path("p.mprec")).readAll()
        #expect(records == [
            Record(kind: .wsReceived, stream: 9, wallNs: 10, monoNs: 20, payload: payload),
            Record(kind: .wsSent, stream: 9, wallNs: 11, monoNs: 21, isBinary: true),
        ])
    }

    @Test("an empty recording is valid and ends cleanly")
    func emptyRecording() throws {
        let scratch = try Scratch()
        let paths = try writeRecording([], to: scratch.path("e.mprec"))
        let reader = try RecordingReader(path: paths[0])
        #expect(try reader.readAll().isEmpty)
        let stats = try reader.stats()
        #expect(stats.records == 0 && stats.endedCleanly && !stats.truncated && stats.frames == 0)
        #expect(stats.firstWallNs == nil)
    }

    @Test("frames are cut by size and by record wall time")
    func frameCuts() throws {
        let scratch = try Scratch()
        var records: [Record] = []
        // 10 records 0.3 s apart: a frame is cut when a record is 1 s after its first.
        for i in 0..<10 {
            records.append(Record(kind: .wsReceived, stream: 1, wallNs: Int64(i) * 300_000_000, monoNs: Int64(i), payload: [1, 2, 3]))
        }
        let paths = try writeRecording(records, to: scratch.path("t.mprec"))
        let index = try RecordingReader(path: paths[0]).frameIndex()
        #expect(index.map(\.recordCount) == [4, 4, 2])
        #expect(index.allSatisfy { $0.maxWallNs - $0.minWallNs < 1_000_000_000 })

        // A 100 KB target with 30 KB records: three records per frame; a 250 KB record gets its own.
        let big = (0..<7).map { i in
            Record(kind: .restResponse, stream: 2, wallNs: Int64(i), monoNs: 0, payload: [UInt8](repeating: UInt8(i), count: i == 4 ? 250_000 : 30_000))
        }
        let paths2 = try writeRecording(big, to: scratch.path("s.mprec"), options: .init(frameTargetBytes: 100_000))
        let index2 = try RecordingReader(path: paths2[0]).frameIndex()
        #expect(index2.map(\.recordCount) == [3, 1, 1, 2])
        #expect(try RecordingReader(path: paths2[0]).readAll() == big)
    }

    @Test("seek finds the first record at or after a time, from the footer and from frame infos")
    func seek() throws {
        let scratch = try Scratch()
        let records = (0..<500).map { i in
            Record(kind: .wsReceived, stream: 1, wallNs: 1_000 + Int64(i) * 10_000_000, monoNs: Int64(i), payload: Array("m\(i)".utf8))
        }
        let path = try writeRecording(records, to: scratch.path("k.mprec"), options: .init(frameTargetBytes: 2_000))[0]
        // The same file without its footer: the index is rebuilt from the frame infos.
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let reader = try RecordingReader(path: path)
        let footerIndex = try reader.frameIndex()
        let cut = Int(footerIndex.last!.offset + footerIndex.last!.totalSize)
        try data.prefix(cut).write(to: URL(fileURLWithPath: scratch.path("cut.mprec")))
        let crashed = try RecordingReader(path: scratch.path("cut.mprec"))
        #expect(try crashed.frameIndex() == footerIndex)
        #expect(footerIndex.count >= 8)

        for r in [reader, crashed] {
            for target in [0, 1_000, 1_001, 2_500_000_000, 4_990_001_000, 4_990_001_001] as [Int64] {
                try r.seek(toWallNs: target)
                let next = try r.nextRecord()
                #expect(next == records.first { $0.wallNs >= target }, "seek to \(target)")
            }
            try r.seek(toWallNs: 3_000_000_000)
            var rest = 0
            try r.forEachRecord { _ in rest += 1 }
            #expect(rest == records.filter { $0.wallNs >= 3_000_000_000 }.count)
        }
        #expect(reader.tail == .clean)
        #expect(crashed.tail == .truncated(offset: Int64(cut), unreadableBytes: 0))
    }

    @Test("rotation by size and by time gives numbered, complete files that together hold every record")
    func rotation() throws {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: 11)
        let records = (0..<400).map { _ in generator.next(large: 3_000) }.enumerated().map { i, record in
            var r = record
            r.wallNs = Int64(i) * 100_000_000  // 40 s in total
            return r
        }
        let bySize = try writeRecording(
            records, to: scratch.path("size.mprec"), options: .init(frameTargetBytes: 8_000, rotateAfterBytes: 40_000))
        #expect(bySize.count > 3)
        #expect(bySize[0] == scratch.path("size.000000.mprec") && bySize[1] == scratch.path("size.000001.mprec"))
        var back: [Record] = []
        for (n, path) in bySize.enumerated() {
            let reader = try RecordingReader(path: path)
            #expect(reader.header.segment == UInt32(n))
            let part = try reader.readAll()
            #expect(reader.header.startWallNs == part.first?.wallNs)
            #expect(reader.tail == .clean)
            back += part
        }
        #expect(back == records)

        let byTime = try writeRecording(records, to: scratch.path("time"), options: .init(rotateAfterWallNs: 10_000_000_000))
        #expect(byTime == (0..<4).map { scratch.path("time.00000\($0)") })
        let counts = try byTime.map { try RecordingReader(path: $0).readAll().count }
        #expect(counts == [100, 100, 100, 100])
    }

    @Test("the writer rejects bad options and use after close")
    func writerErrors() throws {
        let scratch = try Scratch()
        let header = RecordingHeader(venue: "okx", toolVersion: "t", startWallNs: 0)
        #expect(throws: RecordingError.self) {
            try RecordingWriter(path: scratch.path("x"), header: header, options: .init(frameTargetBytes: 0))
        }
        #expect(throws: RecordingError.self) {
            try RecordingWriter(path: scratch.path("x"), header: header, options: .init(compressionLevel: 99))
        }
        #expect(throws: RecordingError.io(path: "/nonexistent-dir/x.mprec.tmp", operation: "create", errno: ENOENT)) {
            try RecordingWriter(path: "/nonexistent-dir/x.mprec", header: header)
        }
        let writer = try RecordingWriter(path: scratch.path("y.mprec"), header: header)
        try writer.close()
        #expect(throws: RecordingError.writerClosed(path: scratch.path("y.mprec"))) {
            try writer.append(Record(kind: .error, stream: 0, wallNs: 0, monoNs: 0))
        }
    }
}
