import Foundation
import Model
import Recording
import TestSupport
import Testing

/// `marketprism repack`, run as the built binary: live framing in, offline framing out, the same records.
@Suite("marketprism repack")
struct RepackCommandTests {
    @Test("repack keeps the header and every record, in fewer frames and fewer bytes")
    func sameRecordsFewerFrames() throws {
        let scratch = try Scratch()
        let records = OfflineFramingTests.frames(count: 2_000, gapNs: 100_000_000)  // 200 s
        let input = try writeRecording(records, to: scratch.path("live.mprec"))[0]
        let output = scratch.path("offline.mprec")
        let result = try TestEnvironment.marketprism("repack", input, "--output", output)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("2000 records"))
        let before = try RecordingReader(path: input), after = try RecordingReader(path: output)
        #expect(after.header == before.header)
        #expect(try after.readAll() == records)
        #expect(after.tail == .clean)
        let framesBefore = try before.frameIndex().count, framesAfter = try RecordingReader(path: output).frameIndex().count
        #expect(framesAfter < framesBefore / 10)
        let sizes = try [input, output].map { try #require(try FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int) }
        #expect(sizes[1] < sizes[0])
    }

    @Test("a truncated input: every complete record is rewritten and the warning names the offset")
    func truncatedInput() throws {
        let scratch = try Scratch()
        let records = OfflineFramingTests.frames(count: 2_000, gapNs: 100_000_000)
        let input = try writeRecording(records, to: scratch.path("live.mprec"))[0]
        var bytes = try Data(contentsOf: URL(fileURLWithPath: input))
        bytes.removeLast(bytes.count / 2)
        try bytes.write(to: URL(fileURLWithPath: input))
        let output = scratch.path("offline.mprec")
        let result = try TestEnvironment.marketprism("repack", input, "--output", output)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stderrText.contains("is truncated at byte offset"))
        let kept = try RecordingReader(path: output).readAll()
        #expect(kept.count > 500 && kept.count < records.count)
        #expect(kept == Array(records.prefix(kept.count)))
    }

    @Test("a file that is not a recording is an error naming it, and nothing is written")
    func notARecording() throws {
        let scratch = try Scratch()
        let input = scratch.path("notes.txt")
        try Data("not a recording\n".utf8).write(to: URL(fileURLWithPath: input))
        let output = scratch.path("out.mprec")
        let result = try TestEnvironment.marketprism("repack", input, "--output", output)
        #expect(result.status == 2)
        #expect(result.stderrText.contains(input))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
