import Foundation
import Model
import Recording
import Testing

/// Hostile bytes never crash the reader: every outcome is records, a reported tail, or a typed error.
@Suite("Recording reader fuzz")
struct ReaderFuzzTests {
    /// Reads everything it can; returns the records delivered and the error that ended reading, if any.
    func readEverything(_ path: String) -> (records: Int, error: RecordingError?) {
        var count = 0
        do {
            let reader = try RecordingReader(path: path)
            try reader.forEachRecord { view in
                // Touch every accessor: they must stay inside the validated frame.
                _ = (view.stream, view.wallNs, view.monoNs, view.isBinary, view.payload.count, view.url, view.method)
                _ = (view.status, view.headers, view.closeCode, view.closeReason)
                count += 1
            }
            _ = try reader.frameIndex()
            try reader.seek(toWallNs: 1_633_998_512_000_000_000)
            _ = try reader.nextRecord()
            return (count, nil)
        } catch let error as RecordingError {
            return (count, error)
        } catch {
            Issue.record("untyped error \(error)")
            return (count, nil)
        }
    }

    @Test("random multi-byte damage, cuts and splices are reported, never a crash", arguments: [1, 2, 3] as [UInt64])
    func mutations(seed: UInt64) throws {
        let scratch = try Scratch()
        var generator = RandomRecords(seed: seed)
        let records = (0..<60).map { _ in generator.next(large: 2_000) }
        let path = try writeRecording(records, to: scratch.path("f.mprec"), options: .init(frameTargetBytes: 2_000))[0]
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var random = SeededRandom(seed: seed &* 7919)
        let damaged = scratch.path("d.mprec")
        for round in 0..<300 {
            var bytes = original
            switch round % 4 {
            case 0:  // scattered byte changes
                for _ in 0..<(1 + Int(random.next() % 8)) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            case 1:  // a cut, then garbage appended
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
                bytes += (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            case 2:  // a block of the file copied over another place
                let length = 1 + Int(random.next() % 200)
                let from = Int(random.next() % UInt64(bytes.count - length))
                let to = Int(random.next() % UInt64(bytes.count - length))
                bytes.replaceSubrange(to..<(to + length), with: original[from..<(from + length)])
            default:  // a u32 size field set to something huge
                let at = Int(random.next() % UInt64(bytes.count - 4))
                bytes.replaceSubrange(at..<(at + 4), with: [0xFF, 0xFF, 0xFF, UInt8(random.next() % 256)])
            }
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
            let (count, _) = readEverything(damaged)
            #expect(count <= records.count, "round \(round)")
        }
    }

    @Test("garbage after a valid header is corruption or truncation, never a crash")
    func garbageBody() throws {
        let scratch = try Scratch()
        let path = try writeRecording([], to: scratch.path("h.mprec"))[0]
        let index = try RecordingReader(path: path)
        let header = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(Int(index.dataOffset)))
        var random = SeededRandom(seed: 77)
        for round in 0..<200 {
            var body = (0..<Int(random.next() % 300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if round % 2 == 0, body.count >= 8 {
                // Start like a frame info so the deeper checks run.
                body.replaceSubrange(0..<8, with: [0x51, 0x2A, 0x4D, 0x18, 40, 0, 0, 0])
            }
            try Data(header + body).write(to: URL(fileURLWithPath: scratch.path("g.mprec")))
            let (count, error) = readEverything(scratch.path("g.mprec"))
            #expect(count == 0)
            if body.count >= 8 { #expect(error != nil || body.count < 48, "round \(round)") }
        }
    }
}
