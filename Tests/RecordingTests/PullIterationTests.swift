import Foundation
import Model
import Recording
import Testing

/// `withNextRecord` (pull, what replays use) and `forEachRecord` (push) share no code past the frame
/// decoding, so both must deliver the same records, stop at the same place and report the same errors.
@Suite("Recording pull iteration")
struct PullIterationTests {
    /// Every record through `withNextRecord`, plus the error that ended the reading, if any.
    static func pulled(_ reader: RecordingReader) -> ([Record], RecordingError?) {
        var records: [Record] = []
        do {
            while let record = try reader.withNextRecord({ $0.makeRecord() }) { records.append(record) }
        } catch let error as RecordingError {
            return (records, error)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return (records, nil)
    }

    /// Every record through `forEachRecord`, plus the error that ended the reading, if any.
    static func pushed(_ reader: RecordingReader) -> ([Record], RecordingError?) {
        var records: [Record] = []
        do {
            try reader.forEachRecord { records.append($0.makeRecord()) }
        } catch let error as RecordingError {
            return (records, error)
        } catch {
            Issue.record("unexpected error \(error)")
        }
        return (records, nil)
    }

    @Test("pull and push deliver the written records over many frames, and pulling past the end stays nil")
    func sameRecords() throws {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: 11)
        let records = (0..<200).map { _ in generator.next(large: 6_000) }
        let path = try writeRecording(records, to: scratch.path("p.mprec"), options: .init(frameTargetBytes: 3_000))[0]
        let pull = try RecordingReader(path: path)
        let (pulled, pullError) = Self.pulled(pull)
        #expect(pullError == nil)
        #expect(pulled == records)
        #expect(pull.tail == .clean)
        #expect(pull.framesRead > 20)
        #expect(try pull.withNextRecord { $0.size } == nil)
        #expect(try pull.nextRecord() == nil)
        let (pushed, pushError) = Self.pushed(try RecordingReader(path: path))
        #expect(pushError == nil && pushed == records)
        // Mixed: a few pulls, then push the rest.
        let mixed = try RecordingReader(path: path)
        var both = (0..<7).compactMap { _ in try? mixed.nextRecord() }
        try mixed.forEachRecord { both.append($0.makeRecord()) }
        #expect(both == records)
    }

    @Test("on a cut file pull stops where push stops, with the same tail")
    func truncated() throws {
        let (scratch, path, records) = try RecoveryTests.sample(seed: 13, count: 60, frameTarget: 1_000)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        let cutPath = scratch.path("cut.mprec")
        for entry in index.suffix(3) {
            for cut in [entry.offset + 3, entry.offset + 48, entry.offset + entry.totalSize - 1] {
                try data.prefix(Int(cut)).write(to: URL(fileURLWithPath: cutPath))
                let expected = Array(records.prefix(index.filter { $0.offset < entry.offset }.reduce(0) { $0 + $1.recordCount }))
                let pull = try RecordingReader(path: cutPath), push = try RecordingReader(path: cutPath)
                let (pulled, pullError) = Self.pulled(pull)
                let (pushed, pushError) = Self.pushed(push)
                #expect(pullError == nil && pushError == nil, "cut at \(cut)")
                #expect(pulled == expected && pushed == expected, "cut at \(cut)")
                #expect(pull.tail == .truncated(offset: entry.offset, unreadableBytes: cut - entry.offset), "cut at \(cut)")
                #expect(pull.tail == push.tail, "cut at \(cut)")
            }
        }
    }

    @Test("on a damaged frame pull delivers the frames before it, then the same corruption as push, again on retry")
    func corrupt() throws {
        let (scratch, path, records) = try RecoveryTests.sample(seed: 17, count: 60, frameTarget: 1_000)
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        let index = try RecordingReader(path: path).frameIndex()
        let entry = index[index.count / 2]
        data[Int(entry.offset) + 48 + 10] ^= 0x40  // inside the zstd frame
        let damagedPath = scratch.path("damaged.mprec")
        try data.write(to: URL(fileURLWithPath: damagedPath))
        let expected = Array(records.prefix(index[..<(index.count / 2)].reduce(0) { $0 + $1.recordCount }))
        let pull = try RecordingReader(path: damagedPath)
        let (pulled, pullError) = Self.pulled(pull)
        let (pushed, pushError) = Self.pushed(try RecordingReader(path: damagedPath))
        #expect(pulled == expected && pushed == expected)
        guard case .corruptFrame(_, let offset, .frameChecksumMismatch)? = pullError else {
            Issue.record("expected a checksum mismatch, got \(String(describing: pullError))")
            return
        }
        #expect(offset == entry.offset + 48)
        #expect(pullError == pushError)
        #expect(throws: RecordingError.self) { try pull.withNextRecord { $0.size } }
    }
}
